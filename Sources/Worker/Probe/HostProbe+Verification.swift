import Shared

/// The platform truth check before a build: the host must be what the inventory says.
extension HostProbe {
    /// Checks the probe against the host's inventory entry: every native platform's OS and architecture
    /// (cross platforms are exempt: their check rests on the image config), the Windows build when the entry
    /// names a Windows version, and that the builder works.
    /// - Throws: ``HostProbeError`` naming both what the inventory says and what the host says.
    public func verify(against host: BuildHost) throws {
        try Self.refuse(host, platformProblems(host) + builderProblems)
    }

    /// The platform part of ``verify(against:)``, all of it but the builder: what must hold before anything
    /// is built on the host.
    /// - Throws: ``HostProbeError`` naming both what the inventory says and what the host says.
    public func verifyPlatform(against host: BuildHost) throws {
        try Self.refuse(host, platformProblems(host))
    }

    /// The builder part of ``verify(against:)``.
    /// - Throws: ``HostProbeError`` saying why the builder cannot be used.
    public func verifyBuilder(against host: BuildHost) throws {
        try Self.refuse(host, builderProblems)
    }

    private var builderProblems: [String] {
        builder.problem.map { ["the \(builder.kind.rawValue) builder cannot be used: \($0)"] } ?? []
    }

    private static func refuse(_ host: BuildHost, _ problems: [String]) throws {
        guard problems.isEmpty else {
            let fix = "fix the inventory entry (platforms, crossPlatforms for platforms it cross-builds, "
                + "windowsVersion, builder) or the host"
            throw HostProbeError(
                host: "\(host.name) (\(host.address))", message: problems.joined(separator: "; ") + "; " + fix,
                disqualifiesHost: true)
        }
    }

    private func platformProblems(_ host: BuildHost) -> [String] {
        var problems: [String] = []
        for platform in host.platforms {
            if platform.os != operatingSystem {
                problems.append("the inventory says it builds \(platform) natively, but the host runs "
                    + "\(operatingSystem) (\(reportedArchitecture))")
                continue
            }
            guard let probed = self.platform else {
                problems.append("the inventory says it builds \(platform) natively, but the host reports the unknown "
                    + "architecture \(String(reflecting: reportedArchitecture))")
                continue
            }
            if !Self.canRun(platform, on: probed) {
                let source = operatingSystem == "windows" ? "PROCESSOR_ARCHITECTURE" : "`uname -m`"
                problems.append("the inventory says it builds \(platform) natively, but \(source) reports "
                    + "\(reportedArchitecture) (\(probed))")
            }
        }
        if let windowsVersion = host.windowsVersion, host.platforms.contains(where: \.isWindows) {
            if let build = windowsBuild {
                if build != windowsVersion.build && !build.hasPrefix(windowsVersion.build + ".") {
                    let actual = WindowsVersion(build: build).map { " (\($0.rawValue))" } ?? ""
                    problems.append("the inventory says windowsVersion \(windowsVersion.rawValue) "
                        + "(\(windowsVersion.build)), but `cmd /c ver` reports \(build)\(actual)")
                }
            } else if operatingSystem == "windows" {
                problems.append("the inventory says windowsVersion \(windowsVersion.rawValue), but `cmd /c ver` gave "
                    + "no version")
            }
        }
        return problems
    }

    /// Whether a host of `probed` platform runs `platform` natively: same architecture, and for 32-bit arm
    /// a variant no newer than the CPU's.
    static func canRun(_ platform: Platform, on probed: Platform) -> Bool {
        guard platform.os == probed.os, platform.architecture == probed.architecture else { return false }
        guard platform.architecture == "arm", let wanted = platform.variant, let have = probed.variant else {
            return true
        }
        return (Int(wanted.dropFirst()) ?? 0) <= (Int(have.dropFirst()) ?? 0)
    }
}
