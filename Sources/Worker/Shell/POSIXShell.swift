import Shared

/// Quoting for POSIX `sh` (dash, bash, busybox ash, ksh, zsh in sh mode).
///
/// Every value is either a word made only of characters that no POSIX shell treats specially, or is wrapped
/// in single quotes, inside which every character is literal; a single quote itself is written as `'\''`
/// (close the quote, an escaped quote, reopen). That is the whole rule: no expansion happens inside single
/// quotes, so `$`, backticks, `\`, `!`, `%`, newlines and unicode arrive unchanged.
public enum POSIXShell {
    /// The longest single argument Linux accepts (`MAX_ARG_STRLEN`, 32 pages, including the final NUL).
    public static let maximumArgumentLength = 131_072 - 1

    /// The sh lines that run `cleanup` (a command list, after `status=$?`) when a script exits, keeping the exit
    /// status, and turn SIGHUP, SIGINT and SIGTERM into exits (129, 130, 143) so that it runs then too.
    static func exitTraps(cleanup: String) -> String {
        """
        cleanup() { status=$?; \(cleanup); exit "$status"; }
        trap cleanup EXIT
        trap 'exit 129' HUP
        trap 'exit 130' INT
        trap 'exit 143' TERM
        """
    }

    /// Quotes `value` as one shell word.
    /// - Throws: ``ShellQuotingError`` when the value contains NUL.
    public static func quote(_ value: String) throws -> String {
        try refuseNUL(value)
        if !value.isEmpty, value.unicodeScalars.allSatisfy(isPlain) {
            return value
        }
        return singleQuoted(value)
    }

    /// `value` in single quotes, each `'` written as `'\''`; a quote followed by a combining mark is still seen
    /// as a quote. Works on the UTF-8 bytes: the byte of `'` never occurs inside another scalar's encoding, so
    /// this is the same as working on Unicode scalars, without building the string scalar by scalar.
    static func singleQuoted(_ value: String) -> String {
        let quote = UInt8(ascii: "'")
        var quoted: [UInt8] = [quote]
        quoted.reserveCapacity(value.utf8.count + 2)
        for byte in value.utf8 {
            if byte == quote {
                quoted += [quote, UInt8(ascii: "\\"), quote, quote]
            } else {
                quoted.append(byte)
            }
        }
        quoted.append(quote)
        return String(decoding: quoted, as: UTF8.self)
    }

    /// Renders `arguments` as one simple command: each argument is quoted, the first (the program) is
    /// quoted even when it contains `=`, so that it can never be read as a variable assignment.
    public static func commandLine(_ arguments: [String]) throws -> String {
        var words: [String] = []
        for (index, argument) in arguments.enumerated() {
            if index == 0, argument.unicodeScalars.contains("=") {
                try refuseNUL(argument)
                words.append(singleQuoted(argument))
            } else {
                words.append(try quote(argument))
            }
        }
        return words.joined(separator: " ")
    }

    /// Characters that mean nothing to a POSIX shell in any position of a word (Python's `shlex` set).
    static func isPlain(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": true
        case "_", "@", "%", "+", "=", ":", ",", ".", "/", "-": true
        default: false
        }
    }

    static func refuseNUL(_ value: String) throws {
        if value.unicodeScalars.contains("\0") {
            throw ShellQuotingError(shell: .sh, value: value, reason: .nulCharacter)
        }
    }
}
