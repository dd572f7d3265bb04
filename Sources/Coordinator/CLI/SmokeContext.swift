import Foundation
import Shared
import Worker

/// The one-file build contexts of `hosts check --smoke`: `FROM scratch` plus one `COPY` for Linux and
/// cross-built platforms, and the same on the Windows nanoserver image of each release for Windows hosts.
struct SmokeContext: Sendable {
    let linux: BuildContext
    private let windowsContexts: [String: BuildContext]

    /// Writes the contexts under `directory`.
    init(directory: String) throws {
        linux = try Self.make(directory + "/linux", from: "scratch", destination: "/smoke.txt")
        var windows: [String: BuildContext] = [:]
        for version in WindowsVersion.allCases {
            let base = Self.windowsBase(version)
            windows[base] = try Self.make(directory + "/\(version.rawValue)", from: base, destination: "C:/smoke.txt")
        }
        windowsContexts = windows
    }

    /// The context whose Dockerfile starts `FROM base`.
    func windows(_ base: String) -> BuildContext {
        windowsContexts[base] ?? linux
    }

    /// The nanoserver image of a Windows release (ltsc2019's is tagged 1809).
    static func windowsBase(_ version: WindowsVersion) -> String {
        "mcr.microsoft.com/windows/nanoserver:" + (version == .ltsc2019 ? "1809" : version.rawValue)
    }

    private static func make(_ root: String, from base: String, destination: String) throws -> BuildContext {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try "FROM \(base)\nCOPY smoke.txt \(destination)\n".write(toFile: root + "/Dockerfile", atomically: true, encoding: .utf8)
        try "coordinator hosts check --smoke\n".write(toFile: root + "/smoke.txt", atomically: true, encoding: .utf8)
        return try BuildContext.scan(root: root)
    }

    /// Whether the Windows host has `base` (it is not pulled: Windows base images are gigabytes). Returns the
    /// failed step and what to do, or nil when the image is there.
    static func checkBaseImage(_ base: String, on host: BuildHost, target: SSHTarget) async -> (String, String)? {
        let connection: SSHConnection
        do { connection = try await SSHConnection.connect(to: target) } catch { return ("connect", "\(error)") }
        do {
            let command = try RemoteShell(host.shell).commandLine(["docker", "image", "inspect", "--format", "{{.Id}}", base])
            let result = try await connection.run(command)
            await connection.close()
            guard result.status == .exited(0) else {
                return ("base image", "host \(host.name) does not have \(base), the base of the Windows smoke image; "
                    + "pull it there once (`docker pull \(base)`, on the host), then run hosts check --smoke again")
            }
            return nil
        } catch {
            await connection.close()
            return ("base image", "cannot ask host \(host.name) for \(base): \(error)")
        }
    }
}
