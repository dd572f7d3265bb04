import Shared

/// The argument quoting that Windows programs built with the Microsoft C runtime (and Go programs such as
/// `docker`) use to split their command line into `argv`.
///
/// Documented rules ("Parsing C command-line arguments", Microsoft Learn):
/// - arguments are separated by spaces or tabs; a string in double quotes is one argument;
/// - `\"` is a literal `"`; backslashes are literal unless they come right before a `"`;
/// - `2n` backslashes before `"` give `n` backslashes and the quote delimits;
///   `2n+1` backslashes before `"` give `n` backslashes and a literal `"`.
///
/// ``quote(_:)`` is the inverse: it wraps an argument in quotes when needed, escapes its quotes and doubles the
/// backslashes that precede a quote or the closing quote. Both work on Unicode scalars.
public enum WindowsCommandLine {
    /// Quotes one argument so that the C runtime gives it back unchanged.
    /// - Throws: ``ShellQuotingError`` when the value contains NUL.
    public static func quote(_ argument: String) throws -> String {
        let scalars = argument.unicodeScalars
        if scalars.contains("\0") {
            throw ShellQuotingError(shell: .cmd, value: argument, reason: .nulCharacter)
        }
        let needsQuotes = scalars.isEmpty || scalars.contains { [" ", "\t", "\n", "\u{0B}", "\""].contains($0) }
        if !needsQuotes {
            return argument
        }
        var quoted = String.UnicodeScalarView()
        quoted.append("\"")
        var backslashes = 0
        for scalar in scalars {
            if scalar == "\\" {
                backslashes += 1
                continue
            }
            if scalar == "\"" {
                quoted.append(contentsOf: repeatElement("\\", count: backslashes * 2 + 1))
            } else {
                quoted.append(contentsOf: repeatElement("\\", count: backslashes))
            }
            quoted.append(scalar)
            backslashes = 0
        }
        quoted.append(contentsOf: repeatElement("\\", count: backslashes * 2))
        quoted.append("\"")
        return String(quoted)
    }

    /// Joins `arguments` into one command line tail, each quoted with ``quote(_:)``.
    public static func join(_ arguments: [String]) throws -> String {
        try arguments.map(quote).joined(separator: " ")
    }

    /// Splits a command line the way the C runtime does (the documented rules above); used to check quoting.
    public static func split(_ commandLine: String) -> [String] {
        var arguments: [String] = []
        var current = String.UnicodeScalarView()
        var inArgument = false
        var inQuotes = false
        var scalars = Array(commandLine.unicodeScalars)[...]
        while let scalar = scalars.popFirst() {
            switch scalar {
            case "\\":
                var count = 1
                while scalars.first == "\\" {
                    scalars.removeFirst()
                    count += 1
                }
                inArgument = true
                if scalars.first == "\"" {
                    current.append(contentsOf: repeatElement("\\", count: count / 2))
                    if count % 2 == 1 {
                        scalars.removeFirst()
                        current.append("\"")
                    }
                } else {
                    current.append(contentsOf: repeatElement("\\", count: count))
                }
            case "\"":
                inArgument = true
                if inQuotes, scalars.first == "\"" {
                    // "" inside quotes is a literal quote and ends the quoted part (the documented
                    // example `a"b"" c d` gives `ab"`, `c`, `d`).
                    scalars.removeFirst()
                    current.append("\"")
                    inQuotes = false
                } else {
                    inQuotes.toggle()
                }
            case " ", "\t":
                if inQuotes {
                    current.append(scalar)
                } else if inArgument {
                    arguments.append(String(current))
                    current = String.UnicodeScalarView()
                    inArgument = false
                }
            default:
                inArgument = true
                current.append(scalar)
            }
        }
        if inArgument {
            arguments.append(String(current))
        }
        return arguments
    }
}
