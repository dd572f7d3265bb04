import Foundation

/// Turns the `#< CLIXML` records Windows PowerShell 5.1 writes on a redirected standard error (a
/// non-interactive `powershell.exe` over SSH serializes its error, warning and progress streams) back into
/// readable text.
///
/// A record is the line `#< CLIXML` followed by one `<Objs ...>` line; each message is an `<S S="Error">`
/// (or `Warning`, `Verbose`, `Debug`, `Information`) element whose text escapes XML's five entities and, as
/// `_xHHHH_`, control characters and a literal `_x` (PowerShell's serializer, `XmlConvert.EncodeName` rules;
/// PowerShell/PowerShell#5912 shows the format). Progress records carry no message and are dropped. Scripts the
/// coordinator sends print their own errors as plain text; this decoder covers what PowerShell itself writes.
public enum CLIXML {
    /// The line that introduces a record.
    public static let header = "#< CLIXML"

    /// Whether `line` is part of a record (the header or the objects line).
    public static func isRecordLine(_ line: String) -> Bool {
        line == header || (line.hasPrefix("<Objs ") && line.contains("schemas.microsoft.com/powershell"))
    }

    /// The messages of an `<Objs ...>` line, one per element, with trailing line breaks removed; empty when the
    /// line holds only progress records.
    public static func messages(in line: String) -> [String] {
        var messages: [String] = []
        var rest = Substring(line)
        while let open = rest.range(of: "<S S=\"") {
            guard let tagEnd = rest[open.upperBound...].range(of: "\">"),
                let close = rest[tagEnd.upperBound...].range(of: "</S>")
            else { break }
            let text = unescape(String(rest[tagEnd.upperBound..<close.lowerBound]))
            let trimmed = text.trimmingCharacters(in: ["\r", "\n", " "])
            if !trimmed.isEmpty { messages.append(trimmed) }
            rest = rest[close.upperBound...]
        }
        return messages
    }

    /// `text` with every record replaced by its messages (one line each); other lines unchanged.
    public static func readable(_ text: String) -> String {
        guard text.contains(header) || text.contains("<Objs ") else { return text }
        var lines: [String] = []
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = String(line)
            if line == header { continue }
            if isRecordLine(line) {
                lines += messages(in: line).flatMap { $0.split(whereSeparator: \.isNewline).map(String.init) }
            } else {
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Undoes XML entities and `_xHHHH_` escapes.
    static func unescape(_ text: String) -> String {
        var result = ""
        var scalars = Array(text.unicodeScalars)[...]
        while let scalar = scalars.first {
            if scalar == "_", scalars.count >= 7, scalars[scalars.startIndex + 1] == "x",
                scalars[scalars.startIndex + 6] == "_",
                let value = UInt32(String(String.UnicodeScalarView(scalars.dropFirst(2).prefix(4))), radix: 16),
                let decoded = Unicode.Scalar(value)
            {
                result.unicodeScalars.append(decoded)
                scalars = scalars.dropFirst(7)
                continue
            }
            if scalar == "&", let semicolon = scalars.prefix(8).firstIndex(of: ";") {
                let entity = String(String.UnicodeScalarView(scalars[scalars.startIndex...semicolon]))
                let replacement = ["&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": "\"", "&apos;": "'"][entity]
                if let replacement {
                    result += replacement
                    scalars = scalars[(semicolon + 1)...]
                    continue
                }
            }
            result.unicodeScalars.append(scalar)
            scalars = scalars.dropFirst()
        }
        return result
    }
}
