/// The build hosts a release can use, read from `inventory.json`.
public struct Inventory: Hashable, Sendable {
    /// The hosts, in the order the file lists them (the planner's tie-breaker).
    public var hosts: [BuildHost]
    /// Where the inventory was read from, for messages.
    public var source: String

    public init(hosts: [BuildHost], source: String = "inventory") {
        self.hosts = hosts
        self.source = source
    }

    /// The host called `name`.
    public func host(named name: String) -> BuildHost? {
        hosts.first { $0.name == name }
    }
}

/// One build host reached over SSH.
public struct BuildHost: Hashable, Sendable {
    /// A short unique name (`arm-1`), used in output, logs and file names.
    public var name: String
    /// Hostname, IPv4 or IPv6 address (without brackets), or an alias from `~/.ssh/config`.
    public var address: String
    /// SSH port; `nil` means the `~/.ssh/config` port or 22.
    public var port: Int?
    /// Remote user; `nil` means the `~/.ssh/config` user or the local user name.
    public var user: String?
    /// Private key files to try, `~` already expanded, in the order given.
    public var identityFiles: [String]
    /// Whether to try keys held by ssh-agent (`SSH_AUTH_SOCK`) first.
    public var agent: Bool
    /// An extra known_hosts file for this host, `~` expanded (checked with `~/.ssh/known_hosts`).
    public var knownHostsFile: String?
    /// Platforms the host builds natively.
    public var platforms: [Platform]
    /// Platforms it builds by cross-building (for example windows/amd64 images whose Windows stage
    /// has no `RUN`, built on a Linux host). Their truth check rests on the image config alone.
    public var crossPlatforms: [Platform]
    /// The container builder on the host.
    public var builder: BuilderKind
    /// A named builder instance (`docker buildx build --builder NAME`, Velero's `BUILDX_INSTANCE`).
    public var builderInstance: String?
    /// The shell OpenSSH runs commands with on the host.
    public var shell: ShellKind
    /// The Windows release the host builds images for; required when any platform is Windows.
    public var windowsVersion: WindowsVersion?
    /// How many builds may run on the host at once.
    public var capacity: Int
    /// Remote directory for contexts, logs and temporary files.
    public var workDir: String
    /// Free-form labels (`rack`, `pool`, ...), shown in plans and reports.
    public var labels: [String: String]

    public init(
        name: String, address: String, port: Int? = nil, user: String? = nil, identityFiles: [String] = [],
        agent: Bool = true, knownHostsFile: String? = nil, platforms: [Platform], crossPlatforms: [Platform] = [],
        builder: BuilderKind = .buildx, builderInstance: String? = nil, shell: ShellKind? = nil,
        windowsVersion: WindowsVersion? = nil, capacity: Int = 1, workDir: String? = nil,
        labels: [String: String] = [:]
    ) {
        let shell = shell ?? (platforms.contains(where: \.isWindows) ? .powershell : .sh)
        self.name = name
        self.address = address
        self.port = port
        self.user = user
        self.identityFiles = identityFiles
        self.agent = agent
        self.knownHostsFile = knownHostsFile
        self.platforms = platforms
        self.crossPlatforms = crossPlatforms
        self.builder = builder
        self.builderInstance = builderInstance
        self.shell = shell
        self.windowsVersion = windowsVersion
        self.capacity = capacity
        self.workDir = workDir ?? shell.defaultWorkDir
        self.labels = labels
    }

    /// How this host can build `platform`, or `nil` when it cannot.
    public func buildMode(for platform: Platform) -> BuildMode? {
        if platforms.contains(platform) { return .native }
        if crossPlatforms.contains(platform) { return .cross }
        return nil
    }

    /// Every platform the host can build, native first.
    public var allPlatforms: [Platform] { platforms + crossPlatforms }

    /// The SSH port to dial when nothing else says otherwise.
    public var effectivePort: Int { port ?? 22 }
}

/// Whether a host builds a platform on its own hardware or cross-builds it.
public enum BuildMode: String, Hashable, Sendable, Codable {
    case native
    case cross
}

/// The container builders a host can run.
public enum BuilderKind: String, CaseIterable, Hashable, Sendable, Codable {
    /// `docker buildx build` (the default).
    case buildx
    /// Classic `docker build` + `docker push`, usual on Windows Server hosts.
    case docker
    /// `buildah build` + `buildah push`.
    case buildah
    /// `podman build` + `podman push`.
    case podman
}

/// The shell that OpenSSH on the host runs commands with.
public enum ShellKind: String, CaseIterable, Hashable, Sendable, Codable {
    /// POSIX sh (Linux, macOS, BSD hosts).
    case sh
    /// Windows PowerShell (`powershell.exe`).
    case powershell
    /// Windows `cmd.exe`, the default shell of OpenSSH for Windows.
    case cmd

    /// Whether commands run on Windows.
    public var isWindows: Bool { self != .sh }

    /// The work directory used when the inventory gives none.
    public var defaultWorkDir: String {
        switch self {
        case .sh: "/var/tmp/coordinator"
        case .powershell, .cmd: "C:/ProgramData/coordinator"
        }
    }
}
