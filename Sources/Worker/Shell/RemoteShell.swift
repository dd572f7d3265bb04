import Shared

/// How commands are written for one host's login shell (the inventory's `shell`).
///
/// - `sh`: commands are POSIX shell words (``POSIXShell``); a script is sent as `sh -c 'SCRIPT'`, so that it
///   does not depend on the login shell being POSIX beyond single-quote rules.
/// - `powershell` and `cmd` (OpenSSH for Windows): every command line is the same constant bootstrap
///   (``WindowsBootstrap``), under 2,000 characters, which both default shells pass through unchanged; the
///   Windows PowerShell 5.1 script itself goes first on standard input. Native programs are started with their
///   command line quoted by the C runtime rules (``WindowsCommandLine``), which Windows PowerShell 5.1's own
///   argument passing does not get right for embedded quotes.
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

    /// The longest command line the host accepts for this shell, and that fits one SSH exec request. On Windows
    /// hosts every command line is ``WindowsBootstrap/command``, whose length no input changes; the limit is the
    /// margin it is held to (``windowsCommandLimit``).
    public var commandLengthLimit: Int {
        switch kind {
        case .sh: min(POSIXShell.maximumArgumentLength, Self.execRequestLimit)
        case .powershell, .cmd: Self.windowsCommandLimit
        }
    }

    /// The most characters any exec request to a Windows host holds: a wide margin under cmd.exe's 8,191.
    public static let windowsCommandLimit = 2_000

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

    /// The exec request that runs one program with `arguments` (program first) on this host.
    public func commandLine(_ arguments: [String]) throws -> RemoteInvocation {
        switch family {
        case .posix:
            return RemoteInvocation(command: try checked(POSIXShell.commandLine(arguments)))
        case .windows:
            return try command(for: RemoteScript([.run(RemoteCommand(arguments))]))
        }
    }

    /// The exec request that runs `script` on this host.
    public func command(for script: RemoteScript) throws -> RemoteInvocation {
        try command(forScriptText: render(script))
    }

    /// The exec request that runs a script already written in the shell family's language: `sh -c 'SCRIPT'`, or
    /// the constant Windows bootstrap with the script framed on standard input.
    public func command(forScriptText text: String) throws -> RemoteInvocation {
        switch family {
        case .posix: RemoteInvocation(command: try checked("sh -c " + POSIXShell.quote(text)))
        case .windows: try WindowsBootstrap.invocation(text)
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
