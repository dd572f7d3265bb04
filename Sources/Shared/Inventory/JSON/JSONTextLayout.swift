import Foundation

/// The text of a JSON document seen as lines and offsets, for edits that keep every other byte: turns a
/// parser ``SourceLocation`` into a byte offset, finds the bracket closing a value, and reads the
/// indentation and line endings the file uses.
struct JSONTextLayout {
    let bytes: [UInt8]
    /// Byte offset where each line starts (line 1 after a byte order mark, as the parser counts).
    private let lineStarts: [Int]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        var starts = [bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0]
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") { starts.append(index + 1) }
        lineStarts = starts
    }

    /// Nothing but whitespace (or nothing at all).
    var isBlank: Bool {
        bytes.dropFirst(lineStarts[0]).allSatisfy { Self.isWhitespace($0) }
    }

    /// `\r\n` when the file uses it, else `\n`.
    var newline: String {
        bytes.indices.contains { bytes[$0] == UInt8(ascii: "\n") && $0 > 0 && bytes[$0 - 1] == UInt8(ascii: "\r") }
            ? "\r\n" : "\n"
    }

    /// One level of indentation: a tab when the first indented line starts with one, else as many
    /// spaces as it has (two when no line is indented).
    var indentUnit: String {
        for start in lineStarts {
            let indent = indentation(ofLineAt: start)
            guard let first = indent.first, start + indent.utf8.count < bytes.count,
                !Self.isWhitespace(bytes[start + indent.utf8.count])
            else { continue }
            return first == "\t" ? "\t" : String(repeating: " ", count: indent.count)
        }
        return "  "
    }

    /// The byte offset of a location (columns count characters).
    func offset(of location: SourceLocation) -> Int {
        var index = lineStarts[min(location.line, lineStarts.count) - 1]
        var column = 1
        while column < location.column, index < bytes.count {
            index += 1
            while index < bytes.count, bytes[index] & 0xC0 == 0x80 { index += 1 }
            column += 1
        }
        return index
    }

    /// The 1-based line holding the byte at `offset`.
    func line(of offset: Int) -> Int {
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        return low + 1
    }

    /// The spaces and tabs that start the line holding `offset`.
    func indentation(ofLineAt offset: Int) -> String {
        var index = lineStarts[line(of: offset) - 1]
        var indent = ""
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") {
            indent.append(Character(Unicode.Scalar(bytes[index])))
            index += 1
        }
        return indent
    }

    /// The offset of the `]` or `}` closing the array or object that opens at `open` (the document is valid
    /// JSON, so strings are the only place brackets may hide).
    func matchingClose(_ open: Int) -> Int {
        var depth = 0
        var index = open
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
                if depth == 0 { return index }
            default:
                break
            }
            index += 1
        }
        return bytes.count
    }

    /// Just past the last value before the closing bracket at `close` (skipping whitespace back).
    func endOfValue(before close: Int) -> Int {
        var index = close
        while index > 0, Self.isWhitespace(bytes[index - 1]) { index -= 1 }
        return index
    }

    /// The bytes with `range` replaced by `text`.
    func replacing(_ range: Range<Int>, with text: String) -> [UInt8] {
        var result = bytes
        result.replaceSubrange(range, with: Array(text.replacingOccurrences(of: "\n", with: newline).utf8))
        return result
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
            || byte == UInt8(ascii: "\r")
    }
}
