import Foundation
import Shared
import Testing
import TestSupport

@testable import Worker

extension SSHTests {
    @Suite("Authentication")
    struct Authentication {
        @Test("ssh-agent: its key logs in with no key file at all")
        func agent() async throws {
            let fleet = try SSHFleet.load()
            let target = fleet.target(identityFiles: ["/nonexistent/coordinator-test-key"], useAgent: true)
            let connection = try await fleet.connect(target)
            #expect(try await connection.run("id -un").stdoutText == "\(fleet.user)\n")
            await connection.close()
        }

        @Test("a missing agent socket is skipped and a key file still works")
        func agentMissing() async throws {
            let fleet = try SSHFleet.load()
            var target = fleet.target(useAgent: true)
            target.agentSocket = "/nonexistent/agent.sock"
            let connection = try await fleet.connect(target)
            await connection.close()
        }

        @Test("key files: ed25519 and ECDSA without passphrase")
        func keyFiles() async throws {
            let fleet = try SSHFleet.load()
            for key in [fleet.key, fleet.ecdsaKey] {
                let connection = try await fleet.connect(fleet.target(identityFiles: [key]))
                #expect(try await connection.run("true").status == .exited(0), "key \(key)")
                await connection.close()
            }
        }

        @Test("a passphrase-protected key with its passphrase")
        func protectedKey() async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect(
                fleet.target(identityFiles: [fleet.protectedKey], passphrase: fleet.passphrase))
            #expect(try await connection.run("true").status == .exited(0))
            await connection.close()
        }

        @Test("a passphrase-protected key without a passphrase says how to give one")
        func protectedKeyWithoutPassphrase() async throws {
            let fleet = try SSHFleet.load()
            if ProcessInfo.processInfo.environment[SSHTarget.passphraseEnvironmentVariable] != nil {
                Issue.record("unset \(SSHTarget.passphraseEnvironmentVariable) to run this test")
                return
            }
            let error = await #expect(throws: SSHError.self) {
                try await SSHConnection.connect(to: fleet.target(identityFiles: [fleet.protectedKey]))
            }
            #expect(error?.kind == .passphraseMissing)
            #expect(error?.description.contains(fleet.protectedKey) == true)
            #expect(error?.description.contains(SSHTarget.passphraseEnvironmentVariable) == true)
        }

        @Test("a wrong passphrase fails and names the key")
        func wrongPassphrase() async throws {
            let fleet = try SSHFleet.load()
            let error = await #expect(throws: SSHError.self) {
                try await SSHConnection.connect(
                    to: fleet.target(identityFiles: [fleet.protectedKey], passphrase: "not the passphrase"))
            }
            #expect(error?.kind == .authenticationFailed)
            #expect(error?.description.contains(fleet.protectedKey) == true)
        }

        @Test("an RSA key gets the rsa-sha2 explanation and what to use instead")
        func rsaKey() async throws {
            let fleet = try SSHFleet.load()
            let error = await #expect(throws: SSHError.self) {
                try await SSHConnection.connect(to: fleet.target(identityFiles: [fleet.rsaKey]))
            }
            #expect(error?.kind == .rsaKeyUnsupported)
            let text = error?.description ?? ""
            #expect(text.contains("rsa-sha2-256"))
            #expect(text.contains("libssh2 1.10"))
            #expect(text.contains("ssh-keygen -t ed25519"))
            #expect(text.contains(fleet.rsaKey))
        }

        @Test("keys are offered at once: no \"none\" request first, which costs a round trip per connection")
        func noNoneRequest() async throws {
            let fleet = try SSHFleet.load()
            let server = try await PrivateSSHD.start(fleet, extraConfig: "LogLevel DEBUG1")
            defer { server.stop() }
            let target = server.target(fleet)
            let connection = try await SSHConnection.connect(to: target)
            #expect(try await connection.run("true").status == .exited(0))
            await connection.close()
            let log = try String(contentsOfFile: server.directory + "/sshd.log", encoding: .utf8)
            #expect(log.contains("method publickey"), "\(log)")
            #expect(!log.contains("method none"), "\(log)")
        }

        @Test("a server that takes no public key says which methods it offers and what to enable")
        func noPublicKeyMethod() async throws {
            let fleet = try SSHFleet.load()
            let server = try await PrivateSSHD.start(fleet, extraConfig: "PubkeyAuthentication no")
            defer { server.stop() }
            let target = server.target(fleet)
            let error = await #expect(throws: SSHError.self) { try await SSHConnection.connect(to: target) }
            #expect(error?.kind == .authenticationFailed)
            #expect(error?.description.contains("does not offer public-key authentication") == true, "\(String(describing: error))")
            #expect(error?.description.contains("PubkeyAuthentication") == true)
        }

        @Test("a user that does not exist is refused with the user named")
        func wrongUser() async throws {
            let fleet = try SSHFleet.load()
            let error = await #expect(throws: SSHError.self) {
                try await SSHConnection.connect(to: fleet.target(user: "no-such-user-coordinator"))
            }
            #expect(error?.kind == .authenticationFailed)
            #expect(error?.description.contains("no-such-user-coordinator") == true)
            #expect(error?.description.contains("amd64-1") == true)
        }

        @Test("an ~/.ssh/config Host alias supplies HostName, Port, User and IdentityFile")
        func configAlias() async throws {
            let fleet = try SSHFleet.load()
            let directory = try TemporaryDirectory()
            let config = try directory.file("config", contents: """
                Host unrelated
                    HostName 192.0.2.1
                    Port 1

                Host fleet-alias other-alias
                    HostName \(fleet.address)
                    Port \(fleet.port)
                    User \(fleet.user)
                    IdentityFile \(fleet.ecdsaKey)

                Host *
                    User nobody
                    Port 2
                """)
            var target = SSHTarget(
                name: "alias-host", address: "fleet-alias", useAgent: false,
                knownHostsFiles: [fleet.knownHosts], sshConfigFile: config)
            let connection = try await SSHConnection.connect(to: target)
            #expect(connection.target.address == fleet.address)
            #expect(connection.target.port == fleet.port)
            #expect(connection.target.user == fleet.user)
            #expect(connection.target.identityFiles == [fleet.ecdsaKey])
            #expect(try await connection.run("id -un").stdoutText == "\(fleet.user)\n")
            await connection.close()

            // An explicit port wins over the alias's.
            target.port = 22
            #expect(try target.resolved().port == 22)
        }

        @Test("an inventory host maps to a target and connects")
        func inventoryHost() async throws {
            let fleet = try SSHFleet.load()
            let host = BuildHost(
                name: "amd64-1", address: fleet.address, port: fleet.port, user: fleet.user,
                identityFiles: [fleet.key], agent: false, knownHostsFile: fleet.knownHosts,
                platforms: [try Platform(parsing: "linux/amd64")])
            var target = SSHTarget(host: host)
            #expect(target.name == "amd64-1")
            #expect(target.knownHostsFiles == ["~/.ssh/known_hosts", fleet.knownHosts])
            #expect(target.posixShell)
            target.sshConfigFile = nil
            let connection = try await SSHConnection.connect(to: target)
            #expect(try await connection.run("true").status == .exited(0))
            await connection.close()
        }
    }
}
