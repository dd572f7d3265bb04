import Foundation
import Testing

@testable import Worker

extension SSHTests {
    @Suite("Host keys")
    struct HostKeys {
        @Test("a key that matches the known_hosts entry connects (strict)")
        func matchingKey() async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect()
            let result = try await connection.run("echo connected")
            #expect(result.status == .exited(0))
            #expect(result.stdoutText == "connected\n")
            await connection.close()
        }

        @Test("a hashed known_hosts entry matches")
        func hashedEntry() async throws {
            let fleet = try SSHFleet.load()
            let directory = try TemporaryDirectory()
            let file = try directory.file("known_hosts", contents: try fleet.knownHostsLine() + "\n")
            try await runLocal("/usr/bin/ssh-keygen", ["-H", "-f", file])
            let hashed = try String(contentsOfFile: file, encoding: .utf8)
            #expect(hashed.hasPrefix("|1|"))
            let connection = try await fleet.connect(fleet.target(knownHosts: [file]))
            #expect(try await connection.run("true").status == .exited(0))
            await connection.close()
        }

        @Test("a different key is refused before authentication, naming host, type, fingerprint, file:line",
              arguments: [HostKeyPolicy.strict, .acceptNew])
        func mismatch(policy: HostKeyPolicy) async throws {
            let fleet = try SSHFleet.load()
            let directory = try TemporaryDirectory()
            let pattern = "[\(fleet.address)]:\(fleet.port)"
            // Another ed25519 key (the client key's public half) recorded for the host on line 3.
            let otherKey = try String(contentsOfFile: fleet.key + ".pub", encoding: .utf8).split(separator: " ")[1]
            let file = try directory.file("known_hosts", contents: """
                # fleet hosts
                [192.0.2.1]:2222 ssh-ed25519 \(otherKey)
                \(pattern) ssh-ed25519 \(otherKey)

                """)
            let before = try String(contentsOfFile: file, encoding: .utf8)
            let expectedFingerprint = try await realFingerprint(fleet)
            let error = await #expect(throws: SSHError.self) {
                try await SSHConnection.connect(to: fleet.target(knownHosts: [file], policy: policy))
            }
            #expect(error?.kind == .hostKeyMismatch)
            let text = error?.description ?? ""
            #expect(text.contains("amd64-1"))
            #expect(text.contains("ssh-ed25519"))
            #expect(text.contains(expectedFingerprint), "expected \(expectedFingerprint) in: \(text)")
            #expect(text.contains("\(file):3"))
            #expect(try String(contentsOfFile: file, encoding: .utf8) == before)
        }

        @Test("an unknown host is refused under strict checking, with its fingerprint")
        func unknownStrict() async throws {
            let fleet = try SSHFleet.load()
            let directory = try TemporaryDirectory()
            let file = try directory.file("known_hosts", contents: "")
            let error = await #expect(throws: SSHError.self) {
                try await SSHConnection.connect(to: fleet.target(knownHosts: [file]))
            }
            #expect(error?.kind == .hostKeyUnknown)
            let fingerprint = try await realFingerprint(fleet)
            #expect(error?.description.contains(fingerprint) == true)
            #expect(try String(contentsOfFile: file, encoding: .utf8).isEmpty)
        }

        @Test("a host known only under another key type reads as unknown, not as a mismatch")
        func otherKeyType() async throws {
            let fleet = try SSHFleet.load()
            let directory = try TemporaryDirectory()
            let ecdsa = try String(contentsOfFile: fleet.ecdsaKey + ".pub", encoding: .utf8).split(separator: " ")
            let file = try directory.file(
                "known_hosts", contents: "[\(fleet.address)]:\(fleet.port) \(ecdsa[0]) \(ecdsa[1])\n")
            let error = await #expect(throws: SSHError.self) {
                try await SSHConnection.connect(to: fleet.target(knownHosts: [file]))
            }
            #expect(error?.kind == .hostKeyUnknown)
        }

        @Test("accept-new records an unknown host, after which strict checking accepts it")
        func acceptNew() async throws {
            let fleet = try SSHFleet.load()
            let directory = try TemporaryDirectory()
            let file = directory.path + "/sub/known_hosts"  // the directory is created too
            let first = try await fleet.connect(fleet.target(knownHosts: [file], policy: .acceptNew))
            #expect(try await first.run("true").status == .exited(0))
            await first.close()

            let recorded = try String(contentsOfFile: file, encoding: .utf8)
            let expected = try fleet.knownHostsLine().split(separator: " ").prefix(3).joined(separator: " ")
            #expect(recorded == expected + "\n")

            let second = try await fleet.connect(fleet.target(knownHosts: [file], policy: .strict))
            #expect(try await second.run("true").status == .exited(0))
            await second.close()
            #expect(try String(contentsOfFile: file, encoding: .utf8) == recorded)
        }

        /// The fingerprint OpenSSH prints for the fleet host's key.
        private func realFingerprint(_ fleet: SSHFleet) async throws -> String {
            let directory = try TemporaryDirectory()
            let file = try directory.file("line", contents: try fleet.knownHostsLine() + "\n")
            let output = try await runLocal("/usr/bin/ssh-keygen", ["-l", "-E", "sha256", "-f", file])
            guard let fingerprint = output.split(separator: " ").first(where: { $0.hasPrefix("SHA256:") }) else {
                throw SSHError(.internalError, host: "", "ssh-keygen printed no fingerprint: \(output)")
            }
            return String(fingerprint)
        }
    }
}
