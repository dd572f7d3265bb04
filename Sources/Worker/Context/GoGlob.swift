/// The syntax check of Go's `path/filepath.Match` (Unix), which patternmatcher runs on every pattern:
/// Docker refuses a `.dockerignore` whose pattern Match calls malformed.
///
/// The pattern is cut into chunks at `*` outside brackets; in a chunk, `\` must escape something; a `[`
/// class holds an optional `^` and one or more items `c` or `c-c`, where `c` is any character but `-` or
/// `]` (or an escaped one), and ends with `]`.
enum GoGlob {
    /// A sentence describing what is malformed, or nil when the pattern is valid.
    static func syntaxError(in pattern: String) -> String? {
        var rest = Array(pattern.unicodeScalars)[...]
        while !rest.isEmpty {
            while rest.first == "*" {
                rest.removeFirst()
            }
            let chunk = scanChunk(&rest)
            if let problem = check(chunk) {
                return problem
            }
        }
        return nil
    }

    /// Takes the chunk up to the next `*` outside brackets (Go's `scanChunk`).
    private static func scanChunk(_ rest: inout ArraySlice<Unicode.Scalar>) -> ArraySlice<Unicode.Scalar> {
        var inRange = false
        var index = rest.startIndex
        scan: while index < rest.endIndex {
            switch rest[index] {
            case "\\":
                if index + 1 < rest.endIndex {
                    index += 1
                }
            case "[":
                inRange = true
            case "]":
                inRange = false
            case "*":
                if !inRange {
                    break scan
                }
            default:
                break
            }
            index += 1
        }
        let chunk = rest[rest.startIndex..<index]
        rest = rest[index...]
        return chunk
    }

    /// Go's `matchChunk` syntax checks.
    private static func check(_ chunk: ArraySlice<Unicode.Scalar>) -> String? {
        var chunk = chunk
        while let first = chunk.first {
            switch first {
            case "[":
                chunk.removeFirst()
                if chunk.first == "^" {
                    chunk.removeFirst()
                }
                var ranges = 0
                while true {
                    if chunk.first == "]", ranges > 0 {
                        chunk.removeFirst()
                        break
                    }
                    guard escapedCharacter(&chunk) else {
                        return "has a malformed character class (an empty, unclosed or misplaced `-`/`]` range)"
                    }
                    if chunk.first == "-" {
                        chunk.removeFirst()
                        guard escapedCharacter(&chunk) else {
                            return "has a malformed character range"
                        }
                    }
                    ranges += 1
                }
            case "\\":
                chunk.removeFirst()
                if chunk.isEmpty {
                    return "ends with a lone backslash"
                }
                chunk.removeFirst()
            default:
                chunk.removeFirst()
            }
        }
        return nil
    }

    /// Go's `getEsc`: consumes one class character; false when malformed.
    private static func escapedCharacter(_ chunk: inout ArraySlice<Unicode.Scalar>) -> Bool {
        guard let first = chunk.first, first != "-", first != "]" else { return false }
        if first == "\\" {
            chunk.removeFirst()
            if chunk.isEmpty {
                return false
            }
        }
        chunk.removeFirst()
        return !chunk.isEmpty
    }
}
