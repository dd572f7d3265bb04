import Foundation
import Shared
import Worker

/// The one-file build contexts of `hosts check --smoke`: `FROM scratch` plus one `COPY` for Linux and
/// cross-built platforms, and the same on the Windows nanoserver image of each release for Windows hosts.
/// The file names its host and platform, so no two hosts push the same layer at once (registry:2 can answer
/// 500 to concurrent uploads of one blob to one repository).
enum SmokeContext {
    /// Writes the context for `platform` on `host` under `directory`, building on `base` (`scratch` or a
    /// Windows image).
    static func make(in directory: String, host: String, platform: Platform, base: String) throws -> BuildContext {
        let root = directory + "/\(host)-\(platform.description.replacingOccurrences(of: "/", with: "-"))"
        let destination = base == "scratch" ? "/smoke.txt" : "C:/smoke.txt"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try "FROM \(base)\nCOPY smoke.txt \(destination)\n".write(
            toFile: root + "/Dockerfile", atomically: true, encoding: .utf8)
        // The Dockerfile keeps one time, so its store object is the same from run to run: a second smoke run on a host
        // assembles it from the host's store (a hard link, or a copy) while smoke.txt, new each run, is sent.
        try FileManager.default.setAttributes([.modificationDate: Self.dockerfileTime], ofItemAtPath: root + "/Dockerfile")
        try "coordinator hosts check --smoke: \(host) \(platform)\n".write(
            toFile: root + "/smoke.txt", atomically: true, encoding: .utf8)
        return try BuildContext.scan(root: root)
    }

    /// The Dockerfile's modification time.
    static let dockerfileTime = Date(timeIntervalSince1970: 946_684_800)  // 2000-01-01

    /// The nanoserver image of a Windows release (ltsc2019's is tagged 1809).
    static func windowsBase(_ version: WindowsVersion) -> String {
        "mcr.microsoft.com/windows/nanoserver:" + (version == .ltsc2019 ? "1809" : version.rawValue)
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
