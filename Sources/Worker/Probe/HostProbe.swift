import Shared

/// What a host says about itself: OS, real architecture, Windows build, home and docker configuration
/// directories, and the builder it has. Read by one remote command (``HostProbe/command(for:)``) and parsed
/// by ``HostProbe/parse(_:builder:)``.
public struct HostProbe: Sendable, Hashable {
    /// `linux`, `windows`, `darwin`, `freebsd` (lowercased `uname -s`, or `windows`).
    public var operatingSystem: String
    /// The architecture as the host spells it (`x86_64`, `aarch64`, `AMD64`).
    public var reportedArchitecture: String
    /// The platform that OS and architecture normalise to, or nil when the architecture is unknown.
    public var platform: Platform?
    /// The Windows version from `cmd /c ver` (`10.0.20348.2322`), on Windows hosts.
    public var windowsBuild: String?
    /// The remote user's home directory.
    public var home: String?
    /// The docker CLI's configuration directory (`${DOCKER_CONFIG:-$HOME/.docker}`).
    public var dockerConfig: String?
    /// The builder the inventory names, as found on the host.
    public var builder: BuilderProbe
    /// Whether the context directory the probe was asked about exists (it is then marked used), or nil when
    /// it was not asked: folding this question into the probe saves a round trip per build.
    public var contextPresent: Bool?
    /// What the check of the host tools found (``HostTools``), or nil when it was not asked
    /// (``HostProbe/Questions/tools``) or the host is a Windows host.
    public var tools: HostTools?

    /// Creates a probe result.
    public init(
        operatingSystem: String, reportedArchitecture: String, platform: Platform?, windowsBuild: String? = nil,
        home: String? = nil, dockerConfig: String? = nil, builder: BuilderProbe
    ) {
        self.operatingSystem = operatingSystem
        self.reportedArchitecture = reportedArchitecture
        self.platform = platform
        self.windowsBuild = windowsBuild
        self.home = home
        self.dockerConfig = dockerConfig
        self.builder = builder
    }
}

/// The builder found on a host.
public struct BuilderProbe: Sendable, Hashable {
    /// Which builder was looked for.
    public var kind: BuilderKind
    /// Its version (`26.1.5`, `1.28.2`), or nil when it is missing.
    public var version: String?
    /// The buildx plugin version, for buildx.
    public var buildxVersion: String?
    /// The buildx driver of the instance used (`docker`, `docker-container`, `remote`).
    public var buildxDriver: String?
    /// What the builder or its engine reports as OS/architecture (`linux/amd64`).
    public var enginePlatform: String?
    /// Why the builder cannot be used, or nil when it can.
    public var problem: String?

    /// Creates a builder probe.
    public init(
        kind: BuilderKind, version: String? = nil, buildxVersion: String? = nil, buildxDriver: String? = nil,
        enginePlatform: String? = nil, problem: String? = nil
    ) {
        self.kind = kind
        self.version = version
        self.buildxVersion = buildxVersion
        self.buildxDriver = buildxDriver
        self.enginePlatform = enginePlatform
        self.problem = problem
    }
}
