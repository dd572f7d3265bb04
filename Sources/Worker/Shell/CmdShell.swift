import Shared

/// Quoting for a command line run by cmd.exe (the default shell of OpenSSH for Windows).
///
/// cmd.exe's documented rules (`cmd /?`, "Command shell overview"): `& | < > ^ ( )` are operators outside
/// double quotes and literal inside them; `%VAR%` is expanded everywhere, inside quotes too, and `!VAR!` as
/// well when delayed expansion is on; there is no escape for `"` inside a quoted string. The program then
/// splits its own arguments with the C runtime rules (``WindowsCommandLine``).
///
/// So an argument is refused when it contains `%`, `!`, `"`, a line break or NUL, and otherwise wrapped in
/// double quotes whenever it contains a space, a tab or a cmd.exe operator, with trailing backslashes
/// doubled so that the closing quote stays a quote.
///
/// No exec request is written this way any more: every request to a Windows host is the constant
/// ``WindowsBootstrap``, whatever its DefaultShell. These rules remain for ``maximumCommandLength`` and for the
/// quoting tests that document what cmd.exe does.
public enum CmdShell {
    /// Characters with no safe spelling on a cmd.exe command line.
    public static let unsafeCharacters: Set<Unicode.Scalar> = ["%", "!", "\"", "\n", "\r", "\0"]
    /// Characters that make cmd.exe or the C runtime split or redirect unless quoted.
    static let needsQuotes: Set<Unicode.Scalar> = [" ", "\t", "&", "|", "<", ">", "^", "(", ")", ",", ";", "="]
    /// cmd.exe's command line limit.
    public static let maximumCommandLength = 8191

    /// Quotes one argument for cmd.exe and the C runtime.
    /// - Throws: ``ShellQuotingError`` for NUL and for characters cmd.exe cannot carry.
    public static func quote(_ argument: String) throws -> String {
        if argument.unicodeScalars.contains("\0") {
            throw ShellQuotingError(shell: .cmd, value: argument, reason: .nulCharacter)
        }
        let scalars = argument.unicodeScalars
        if let bad = scalars.first(where: { unsafeCharacters.contains($0) }) {
            throw ShellQuotingError(shell: .cmd, value: argument, reason: .unsafeForCmd(Character(bad)))
        }
        guard scalars.isEmpty || scalars.contains(where: { needsQuotes.contains($0) }) else {
            return argument
        }
        let trailing = scalars.reversed().prefix { $0 == "\\" }.count
        return "\"" + argument + String(repeating: "\\", count: trailing) + "\""
    }

    /// Renders one command for cmd.exe. The program name is never quoted: `cmd /c` strips a leading quote and
    /// the last quote of the line when the line starts with a quote.
    public static func commandLine(_ arguments: [String]) throws -> String {
        guard let program = arguments.first else { return "" }
        let plain = !program.isEmpty && program.unicodeScalars.allSatisfy {
            !needsQuotes.contains($0) && !unsafeCharacters.contains($0)
        }
        guard plain else {
            throw ShellQuotingError(shell: .cmd, value: program, reason: .unsafeProgramName)
        }
        return try ([program] + arguments.dropFirst().map(quote)).joined(separator: " ")
    }
}
