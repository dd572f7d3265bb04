import Foundation
import Testing
import TestSupport

@testable import Worker

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

extension PrivateSSHD {
    /// One started for the SSH fleet.
    static func start(_ fleet: SSHFleet, extraConfig: String) async throws -> PrivateSSHD {
        try await start(fleet.fleet, extraConfig: extraConfig)
    }

    /// The fleet's target, pointed at this sshd.
    func target(_ fleet: SSHFleet) -> SSHTarget {
        var target = fleet.target(knownHosts: [knownHosts], connectTimeout: .seconds(10))
        target.address = address
        target.port = port
        return target
    }
}
