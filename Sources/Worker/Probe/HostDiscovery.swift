import Shared

/// What `coordinator hosts add` learns about a host it has no inventory entry for yet: its login shell,
/// OS, architecture, Windows build, and every builder it has (buildx, podman, buildah, docker) with
/// their versions. Asked by ``run(on:host:)`` in two round trips: the shell first, then one script in
/// that shell's language (``command(shell:)``), parsed like ``HostProbe``'s answers.
public struct HostDiscovery: Sendable, Hashable {
    /// The shell OpenSSH runs commands with.
    public var shell: ShellKind
    /// `linux`, `windows`, `darwin`, …
    public var operatingSystem: String
    /// The architecture as the host spells it (`x86_64`, `aarch64`, `AMD64`).
    public var reportedArchitecture: String
    /// The Windows version (`10.0.20348.2322`), on Windows hosts.
    public var windowsBuild: String?
    /// Each builder looked for, in ``BuilderKind`` preference order; a missing or broken one has a
    /// ``BuilderProbe/problem``.
    public var builders: [BuilderProbe]
    /// What the tools check printed (``HostTools``; POSIX hosts), or nil when it was not asked.
    var toolsAnswer: String?

    /// The host tools the build path runs that failed their check on a POSIX host, for a host that builds with
    /// `builder` (some checks concern one builder only); nil for a Windows host.
    public func tools(for builder: BuilderKind) -> HostTools? {
        toolsAnswer.map { HostTools.parse($0, builder: builder) }
    }

    /// Creates a discovery result.
    public init(
        shell: ShellKind, operatingSystem: String, reportedArchitecture: String, windowsBuild: String? = nil,
        builders: [BuilderProbe]
    ) {
        self.shell = shell
        self.operatingSystem = operatingSystem
        self.reportedArchitecture = reportedArchitecture
        self.windowsBuild = windowsBuild
        self.builders = builders
    }

    /// The order in which a builder is chosen when none is asked for (classic docker first on Windows, where
    /// buildx cannot build Windows images natively).
    public var preference: [BuilderKind] {
        operatingSystem == "windows" ? [.docker, .buildx] : [.buildx, .podman, .buildah, .docker]
    }

    /// The builders that answered, in ``preference`` order.
    public var presentBuilders: [BuilderProbe] {
        preference.compactMap { kind in builders.first { $0.kind == kind && $0.problem == nil } }
    }

    /// The platform the host builds natively.
    /// - Throws: ``HostProbeError`` when the architecture maps to no platform.
    public func platform(host: String) throws(HostProbeError) -> Platform {
        do {
            return try Platform(os: operatingSystem, reportedArchitecture: reportedArchitecture)
        } catch {
            throw HostProbeError(
                host: host, message: "it reports OS \(MessageText.quoted(operatingSystem)) and architecture "
                    + "\(MessageText.quoted(reportedArchitecture)), which is no platform the coordinator knows: \(error)")
        }
    }

    /// The Windows release of the host's build (`10.0.20348.*` → ltsc2022), when it is one.
    public var windowsVersion: WindowsVersion? {
        windowsBuild.flatMap(WindowsVersion.init(build:))
    }

    /// The builder to write: `requested` when the host has it, else the first present in ``preference``.
    /// - Throws: ``HostProbeError`` saying what each builder answered, when none (or not the one asked
    ///   for) works.
    public func builder(requested: BuilderKind?, host: String) throws(HostProbeError) -> BuilderProbe {
        if let requested {
            guard let probe = builders.first(where: { $0.kind == requested }) else {
                throw HostProbeError(
                    host: host, message: "--builder \(requested.rawValue) does not run on a \(operatingSystem) host; "
                        + "use one of: \(preference.map(\.rawValue).joined(separator: ", "))")
            }
            if let problem = probe.problem {
                let others = presentBuilders.map(\.kind.rawValue)
                throw HostProbeError(
                    host: host, message: "--builder \(requested.rawValue) is not usable there: \(problem); install it, or "
                        + (others.isEmpty ? "install another builder" : "pass --builder \(others.joined(separator: " or "))"))
            }
            return probe
        }
        if let first = presentBuilders.first { return first }
        let answers = builders.map { "\($0.kind.rawValue): \($0.problem ?? "no version")" }.joined(separator: "; ")
        throw HostProbeError(
            host: host, message: "no container builder works there (\(answers)); install docker with buildx, podman "
                + "or buildah, then run hosts add again")
    }
}
