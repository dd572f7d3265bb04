/// What to do with a host key that no known-hosts file mentions.
public enum HostKeyPolicy: Sendable, Equatable {
    /// Refuse unknown hosts (OpenSSH `StrictHostKeyChecking yes`). The default.
    case strict
    /// Accept a host that no file knows and append its key to the first known-hosts file
    /// (OpenSSH `StrictHostKeyChecking accept-new`). A *changed* key is still refused.
    case acceptNew
}

/// Everything needed to open an SSH session to one build host.
///
/// Usually built from an inventory `Host`. When ``address`` names a `Host` alias of
/// ``sshConfigFile`` (default `~/.ssh/config`), its `HostName`, `User`, `Port` and `IdentityFile`
/// fill in what the target leaves unset, as OpenSSH does.
public struct SSHTarget: Sendable {
    /// The inventory host name, used in every error message.
    public var name: String
    /// Host name, IPv4 or IPv6 address (`::1` or `[::1]`), or a `~/.ssh/config` alias.
    public var address: String
    /// TCP port. Until it is assigned explicitly, a default 22 gives way to an `~/.ssh/config` `Port`.
    public var port: Int {
        didSet { portMayComeFromConfig = false }
    }
    /// Remote user. Empty means: the alias's `User`, else the local user name.
    public var user: String
    /// Private key files, tried in order after the agent's keys (`~` is expanded). Empty means the
    /// alias's `IdentityFile`s, else OpenSSH's defaults (`~/.ssh/id_rsa`, `id_ecdsa`, `id_ed25519`...).
    public var identityFiles: [String]
    /// Try the keys of the ssh-agent at ``agentSocket`` first.
    public var useAgent: Bool
    /// The agent's socket. `nil` means `$SSH_AUTH_SOCK`.
    public var agentSocket: String?
    /// known_hosts files consulted for the host key; new keys (``HostKeyPolicy/acceptNew``) go to
    /// the first one.
    public var knownHostsFiles: [String]
    /// Strict by default.
    public var hostKeyPolicy: HostKeyPolicy
    /// Passphrase for protected identity files. `nil` means the environment variable
    /// ``SSHTarget/passphraseEnvironmentVariable``; the library never prompts.
    public var passphrase: String?
    /// Bound on each connection phase: TCP connect, SSH handshake, authentication.
    public var connectTimeout: Duration
    /// How often an idle session asks the server for a sign of life; after three unanswered
    /// intervals the connection counts as lost. `.zero` turns keepalives off.
    public var keepaliveInterval: Duration
    /// OpenSSH client configuration consulted for `Host` aliases; `nil` skips it.
    public var sshConfigFile: String?
    /// The remote login shell is POSIX (`sh`, `bash`, `dash`...): commands are prefixed with a line
    /// that reports their process group, so cancelling a command kills it and its children. Set to
    /// `false` for PowerShell or cmd hosts, where cancelling only closes the channel.
    public var posixShell: Bool

    /// Whether ``port`` is a default that `~/.ssh/config` may replace.
    var portMayComeFromConfig: Bool

    /// Name of the environment variable read when ``passphrase`` is `nil`.
    public static let passphraseEnvironmentVariable = "COORDINATOR_SSH_PASSPHRASE"

    /// `~/.ssh/known_hosts`.
    public static let userKnownHostsFile = "~/.ssh/known_hosts"

    /// Creates a target; see each property for what the defaults mean.
    public init(
        name: String? = nil,
        address: String,
        port: Int = 22,
        user: String = "",
        identityFiles: [String] = [],
        useAgent: Bool = true,
        agentSocket: String? = nil,
        knownHostsFiles: [String] = [SSHTarget.userKnownHostsFile],
        hostKeyPolicy: HostKeyPolicy = .strict,
        passphrase: String? = nil,
        connectTimeout: Duration = .seconds(15),
        keepaliveInterval: Duration = .seconds(15),
        sshConfigFile: String? = "~/.ssh/config",
        posixShell: Bool = true
    ) {
        self.name = name ?? address
        self.address = address
        self.port = port
        self.user = user
        self.identityFiles = identityFiles
        self.useAgent = useAgent
        self.agentSocket = agentSocket
        self.knownHostsFiles = knownHostsFiles
        self.hostKeyPolicy = hostKeyPolicy
        self.passphrase = passphrase
        self.connectTimeout = connectTimeout
        self.keepaliveInterval = keepaliveInterval
        self.sshConfigFile = sshConfigFile
        self.posixShell = posixShell
        self.portMayComeFromConfig = port == 22
    }

    /// `address:port` as people write it (`[::1]:2222` for IPv6).
    public var endpoint: String {
        let host = hostAddress
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// ``address`` without the brackets an IPv6 literal may carry.
    var hostAddress: String {
        if address.hasPrefix("["), address.hasSuffix("]") {
            return String(address.dropFirst().dropLast())
        }
        return address
    }

    /// "name (address:port)" or just the endpoint when the name is the address.
    var displayName: String {
        name == address || name == hostAddress ? endpoint : "\(name) (\(endpoint))"
    }
}
