import Shared

/// How commands are written for one host's login shell (the inventory's `shell`).
///
/// - `sh`: commands are POSIX shell words (``POSIXShell``); a script is sent as `sh -c 'SCRIPT'`, so that it
///   does not depend on the login shell being POSIX beyond single-quote rules.
/// - `powershell` and `cmd` (OpenSSH for Windows): a script is sent as an encoded Windows PowerShell command
///   (``PowerShell/encodedInvocation(_:)``), which both default shells pass through unchanged; native programs
///   are started with their command line quoted by the C runtime rules (``WindowsCommandLine``), which
///   Windows PowerShell 5.1's own argument passing does not get right for embedded quotes.
///   On `cmd` hosts a single simple command is written for cmd.exe (``CmdShell``) when every value is safe
///   there, and through PowerShell otherwise.
public struct RemoteShell: Sendable, Hashable {
    /// The shell families, which decide the script language and path rules.
    public enum Family: Sendable, Hashable {
        /// POSIX sh: `/` paths, sh scripts.
        case posix
        /// Windows: `\` paths, PowerShell scripts.
        case windows
    }

    /// The host's login shell.
    public let kind: ShellKind

    /// Creates the renderer for a host's shell.
    public init(_ kind: ShellKind) {
        self.kind = kind
    }

    /// The family of ``kind``.
    public var family: Family {
        switch kind {
        case .sh: .posix
        case .powershell, .cmd: .windows
        }
    }

    /// The longest command line the host accepts for this shell, and that fits one SSH exec request.
    public var commandLengthLimit: Int {
        switch kind {
        case .sh: min(POSIXShell.maximumArgumentLength, Self.execRequestLimit)
        case .powershell: min(32_767, Self.execRequestLimit)
        case .cmd: min(CmdShell.maximumCommandLength, Self.execRequestLimit)
        }
    }

    /// The longest command (UTF-8 bytes) an exec request can carry: libssh2 sends no packet over 35,000
    /// bytes (`MAX_SSH_PACKET_LEN`, a 32 KiB payload by RFC 4253), and refuses a longer request with
    /// "Unable to send channel request", which would otherwise look like a host failure.
    public static let execRequestLimit = 32_000

    /// Quotes a value as a literal of the shell's script language (POSIX sh or PowerShell).
    public func quote(_ value: String) throws -> String {
        switch family {
        case .posix: try POSIXShell.quote(value)
        case .windows: try PowerShell.quote(value)
        }
    }

    /// The command line that runs one program with `arguments` (program first) on this host.
    public func commandLine(_ arguments: [String]) throws -> String {
        switch kind {
        case .sh:
            return try checked(POSIXShell.commandLine(arguments))
        case .cmd:
            do {
                return try checked(CmdShell.commandLine(arguments))
            } catch let error as ShellQuotingError {
                switch error.reason {
                case .unsafeForCmd, .unsafeProgramName, .tooLong:
                    return try command(for: RemoteScript([.run(RemoteCommand(arguments))]))
                default:
                    throw error
                }
            }
        case .powershell:
            return try command(for: RemoteScript([.run(RemoteCommand(arguments))]))
        }
    }

    /// The command line that runs `script` on this host.
    public func command(for script: RemoteScript) throws -> String {
        try command(forScriptText: render(script))
    }

    /// The command line that runs a script already written in the shell family's language.
    public func command(forScriptText text: String) throws -> String {
        switch family {
        case .posix: try checked("sh -c " + POSIXShell.quote(text))
        case .windows: try checked(PowerShell.encodedInvocation(text))
        }
    }

    /// The script text for `script` in the family's language.
    public func render(_ script: RemoteScript) throws -> String {
        switch family {
        case .posix: try renderPOSIX(script)
        case .windows: try renderPowerShell(script)
        }
    }

    func checked(_ command: String) throws -> String {
        let length = family == .posix ? command.utf8.count : command.utf16.count
        if length > commandLengthLimit || command.utf8.count > Self.execRequestLimit {
            throw ShellQuotingError(shell: kind, value: command, reason: .tooLong(length: length, limit: commandLengthLimit))
        }
        return command
    }

    func validated(_ variable: EnvironmentVariable) throws -> EnvironmentVariable {
        guard EnvironmentVariable.isValidName(variable.name) else {
            throw ShellQuotingError(shell: kind, value: variable.name, reason: .invalidEnvironmentName)
        }
        return variable
    }
}
