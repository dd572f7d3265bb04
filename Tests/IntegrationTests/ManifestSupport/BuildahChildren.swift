import Foundation
import Shared

/// Per-platform child images built with buildah (no daemon, vfs storage, `FROM scratch`), each with content
/// unique to its platform and to this test process, then pushed to fleet registries with buildah itself.
actor BuildahChildren {
    static let shared = BuildahChildren()

    /// What to build.
    struct Spec: Hashable, Sendable {
        var platform: String
        var dockerFormat = false
        /// `--os-version` for Windows images; `nil` leaves it out of the config.
        var osVersion: String?

        static let amd64 = Spec(platform: "linux/amd64")
        static let arm64 = Spec(platform: "linux/arm64")
        static let windows = Spec(platform: "windows/amd64", osVersion: "10.0.20348.2527")
        static let windowsWithoutVersion = Spec(platform: "windows/amd64")

        var docker: Spec {
            var copy = self
            copy.dockerFormat = true
            return copy
        }

        var localName: String {
            "localhost/manifest-itest/child:" + platform.replacingOccurrences(of: "/", with: "-")
                + (dockerFormat ? "-docker" : "-oci") + (osVersion.map { "-" + $0 } ?? "")
        }
    }

    private let root = NSTemporaryDirectory() + "coordinator-manifest-itest"
    private let runID = UUID().uuidString
    private var built: Set<Spec> = []

    private var storageFlags: [String] {
        ["--root", root + "/containers", "--runroot", root + "/containers-run", "--storage-driver", "vfs"]
    }

    /// Builds `spec` once per test process.
    func build(_ spec: Spec) throws {
        guard !built.contains(spec) else { return }
        let context = root + "/context-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: context) }
        try "\(spec.platform) \(spec.osVersion ?? "") \(runID)\n".write(toFile: context + "/platform.txt", atomically: true, encoding: .utf8)
        try "FROM scratch\nCOPY platform.txt /platform.txt\n".write(toFile: context + "/Containerfile", atomically: true, encoding: .utf8)
        var arguments = ["buildah"] + storageFlags + ["build", "--isolation", "chroot", "--platform", spec.platform, "-q"]
        if let osVersion = spec.osVersion { arguments += ["--os-version", osVersion] }
        if spec.dockerFormat { arguments += ["--format", "docker"] }
        try ExternalTool.check(arguments + ["-t", spec.localName, context])
        built.insert(spec)
    }

    /// Builds `spec` if needed and pushes it to `registry` as `repository:tag`; returns the pushed manifest digest.
    @discardableResult
    func push(_ spec: Spec, to registry: FleetRegistry, repository: String, tag: String) throws -> Digest {
        try build(spec)
        let digestFile = root + "/digest-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: digestFile) }
        try ExternalTool.check(
            ["buildah"] + storageFlags + ["push"] + registry.containersToolFlags
                + ["--digestfile", digestFile, spec.localName, "docker://\(registry.host)/\(repository):\(tag)"])
        return try Digest(parsing: String(contentsOfFile: digestFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
