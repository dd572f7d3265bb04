import Foundation
import Testing
import TestSupport

@testable import Worker

#if canImport(Glibc)
import Glibc
#endif

extension SSHTests {
    @Suite("Ciphers and MACs")
    struct Algorithms {
        @Test("the fleet's OpenSSH 9.2 negotiates AES-128-CTR with HMAC-SHA2-256")
        func negotiated() async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect()
            #expect(connection.algorithms == "aes128-ctr + hmac-sha2-256")
            await connection.close()
        }

        @Test(
            "a server that offers only ciphers or MACs outside the preference is refused at the handshake",
            arguments: ["Ciphers aes128-cbc,aes256-cbc,3des-cbc", "MACs hmac-md5,hmac-sha1-96,hmac-md5-96"])
        func weakOnly(restriction: String) async throws {
            let fleet = try SSHFleet.load()
            let server = try await PrivateSSHD.start(fleet, extraConfig: restriction)
            defer { server.stop() }
            let target = server.target(fleet)
            let error = await #expect(throws: SSHError.self) { try await SSHConnection.connect(to: target) }
            #expect(error?.kind == .handshakeFailed)
            #expect(error?.description.contains("no SSH algorithm in common") == true, "\(String(describing: error))")
        }
    }
}

/// An sshd of its own on 127.0.0.9 (the fleet host amd64-1's host key and authorized keys, plus
/// `extraConfig`), started and stopped by the test that needs it.
struct PrivateSSHD {
    let address = "127.0.0.9"
    let port: Int
    let knownHosts: String
    let pidFile: String
    let directory: TemporaryDirectory

    static func start(_ fleet: SSHFleet, extraConfig: String) async throws -> PrivateSSHD {
        let testbed = try fleet.fleet.value("TESTBED_DIR")
        let directory = try TemporaryDirectory()
        let port = Int.random(in: 20_000...29_999)
        let pidFile = directory.path + "/sshd.pid"
        let hostKey = testbed + "/hosts/amd64-1/host_ed25519"
        let config = try directory.file("sshd_config", contents: """
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

            """)
        let publicKey = try String(contentsOfFile: hostKey + ".pub", encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        let knownHosts = try directory.file("known_hosts", contents: "[127.0.0.9]:\(port) \(publicKey)\n")
        let started = try await Shell.run(["/usr/sbin/sshd", "-f", config, "-E", directory.path + "/sshd.log"])
        guard started.status == 0 else {
            throw SSHError(.connectFailed, host: "private-sshd", "sshd did not start: \(started.stderr)")
        }
        let server = PrivateSSHD(port: port, knownHosts: knownHosts, pidFile: pidFile, directory: directory)
        for _ in 0..<50 where (try? String(contentsOfFile: pidFile, encoding: .utf8)) == nil {
            try await Task.sleep(for: .milliseconds(20))
        }
        return server
    }

    /// The fleet's target, pointed at this sshd.
    func target(_ fleet: SSHFleet) -> SSHTarget {
        var target = fleet.target(knownHosts: [knownHosts], connectTimeout: .seconds(10))
        target.address = address
        target.port = port
        return target
    }

    func stop() {
        if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            kill(pid, SIGTERM)
        }
    }
}
