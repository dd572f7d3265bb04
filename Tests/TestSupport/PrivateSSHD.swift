import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An sshd of its own on 127.0.0.9 (the fleet host amd64-1's host key and the fleet's authorized keys, plus
/// `extraConfig`, e.g. a `SetEnv PATH=...` that leaves a program out), started and stopped by the test that needs it.
public struct PrivateSSHD: Sendable {
    /// Where it listens.
    public let address = "127.0.0.9"
    /// Its port (random, 20000-29999).
    public let port: Int
    /// A known_hosts file with its key for `[127.0.0.9]:PORT`.
    public let knownHosts: String
    /// Its PID file.
    public let pidFile: String
    /// Its folder: `sshd_config`, `known_hosts`, `sshd.log`; removed by ``stop()``.
    public let directory: String

    /// sshd did not start.
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts one with the fleet's host key and authorized keys and `extraConfig` appended to its configuration.
    public static func start(_ fleet: Fleet, extraConfig: String) async throws -> PrivateSSHD {
        let testbed = try fleet.value("TESTBED_DIR")
        var template = Array((NSTemporaryDirectory() + "/private-sshd-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else { throw StartError(description: "mkdtemp failed") }
        let directory = String(cString: created)
        let port = Int.random(in: 20_000...29_999)
        let pidFile = directory + "/sshd.pid"
        let hostKey = testbed + "/hosts/amd64-1/host_ed25519"
        let config = directory + "/sshd_config"
        try """
            ListenAddress 127.0.0.9
            Port \(port)
            HostKey \(hostKey)
            PidFile \(pidFile)
            AuthorizedKeysFile \(testbed)/keys/authorized_keys
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password
            UsePAM no
            StrictModes no
            \(extraConfig)

            """.write(toFile: config, atomically: true, encoding: .utf8)
        let publicKey = try String(contentsOfFile: hostKey + ".pub", encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        let knownHosts = directory + "/known_hosts"
        try "[127.0.0.9]:\(port) \(publicKey)\n".write(toFile: knownHosts, atomically: true, encoding: .utf8)
        let started = try await Shell.run(["/usr/sbin/sshd", "-f", config, "-E", directory + "/sshd.log"])
        guard started.status == 0 else {
            try? FileManager.default.removeItem(atPath: directory)
            throw StartError(description: "sshd did not start: \(started.stderr)")
        }
        for _ in 0..<50 where (try? String(contentsOfFile: pidFile, encoding: .utf8)) == nil {
            try await Task.sleep(for: .milliseconds(20))
        }
        return PrivateSSHD(port: port, knownHosts: knownHosts, pidFile: pidFile, directory: directory)
    }

    /// Stops it (SIGTERM: sshd ends its listener; sessions it started end with their clients) and removes its folder.
    public func stop() {
        if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            kill(pid, SIGTERM)
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
