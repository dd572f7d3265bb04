/// How error messages show values that came from the user (flags, environment, inventory), which may be
/// hostile: quoted, escaped and cut short, so a value can neither break the message across lines,
/// reorder or recolour the terminal, nor bury the message under 64 KiB of text.
public enum MessageText {
    /// `value` in double quotes. `"` and `\` are escaped, and so are control characters (`\n`, `\r`,
    /// `\t`, `\0`, others as `\u{1B}`), format characters such as the bidi override U+202E, line and
    /// paragraph separators, private-use, unassigned and surrogate code points, and combining marks that do not
    /// follow a letter. Past `limit` characters the text is cut with `…` and the full length is given, e.g.
    /// `"AAAA…" (65536 characters)`.
    public static func quoted(_ value: String, limit: Int = 120) -> String {
        var text = "\""
        var shown = 0
        var previous: Unicode.Scalar?
        for scalar in value.unicodeScalars {
            if shown == limit {
                return text + "…\" (\(value.unicodeScalars.count) characters)"
            }
            text += escaped(scalar, after: previous)
            previous = scalar
            shown += 1
        }
        return text + "\""
    }

    private static func escaped(_ scalar: Unicode.Scalar, after previous: Unicode.Scalar?) -> String {
        switch scalar {
        case "\"": return "\\\""
        case "\\": return "\\\\"
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case "\0": return "\\0"
        default: break
        }
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate, .unassigned:
            return "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        case .nonspacingMark, .spacingMark, .enclosingMark:
            // A combining mark on a quote, `/` or `.` would disguise it (`../\u{301}x` looks like `../x`).
            let onLetter = previous?.properties.isAlphabetic ?? false
            return onLetter ? String(scalar) : "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        default:
            return String(scalar)
        }
    }
}
