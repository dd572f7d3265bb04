import Shared

/// A value that cannot be carried safely to a remote shell.
///
/// Thrown before anything is sent: a command is either quoted exactly or refused.
public struct ShellQuotingError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Why the value was refused.
    public enum Reason: Sendable, Equatable {
        /// The value contains a NUL character, which no shell, command line or C string can carry.
        case nulCharacter
        /// cmd.exe has no escape for this character in a command line (`%`, `!`, `"`, newlines).
        case unsafeForCmd(Character)
        /// The rendered command is longer than the remote side accepts.
        case tooLong(length: Int, limit: Int)
        /// An environment variable name that is not `[A-Za-z_][A-Za-z0-9_]*`.
        case invalidEnvironmentName
        /// A program name cmd.exe would misparse (it must not need quotes).
        case unsafeProgramName
        /// A remote path that is not absolute for the shell's platform.
        case relativePath
    }

    /// The shell the value was meant for.
    public var shell: ShellKind
    /// The refused value, shortened for display.
    public var value: String
    /// Why it was refused.
    public var reason: Reason

    /// Creates an error; `value` is shortened to keep messages readable.
    public init(shell: ShellKind, value: String, reason: Reason) {
        self.shell = shell
        self.value = value.count > 80 ? String(value.prefix(77)) + "..." : value
        self.reason = reason
    }

    public var description: String {
        let shown = String(reflecting: value)
        switch reason {
        case .nulCharacter:
            return "the value \(shown) contains a NUL character, which cannot be sent to a remote \(shell) shell; "
                + "remove it"
        case .unsafeForCmd(let character):
            return "the value \(shown) contains \(String(reflecting: String(character))), which cmd.exe cannot "
                + "carry literally; set the host's shell to \"powershell\" in the inventory (the command is then sent "
                + "as an encoded PowerShell script) or remove the character"
        case .tooLong(let length, let limit):
            return "the rendered \(shell) command is \(length) characters long, over the limit of \(limit); "
                + "pass fewer or shorter build arguments"
        case .invalidEnvironmentName:
            return "\(shown) is not a valid environment variable name (letters, digits and _ only, not starting "
                + "with a digit)"
        case .unsafeProgramName:
            return "the program name \(shown) would need quotes, which cmd.exe strips from the start of a command "
                + "line; use a plain program name or put it on PATH"
        case .relativePath:
            return "the remote path \(shown) is not absolute for a \(shell) host; give an absolute path in the "
                + "inventory's workDir (for example /var/tmp/coordinator or C:\\coordinator)"
        }
    }
}
