import Foundation
import Testing
import TestSupport

@testable import Worker

extension SSHTests {
    @Suite("Connecting")
    struct Connecting {
        @Test("a closed port is refused promptly, naming host and port")
        func closedPort() async throws {
            let fleet = try SSHFleet.load()
            // A port that was just free: bind, read the number, close.
            let port = try SilentListener(address: fleet.address).port
            var target = fleet.target()
            target.port = port
            let started = ContinuousClock.now
            let error = await #expect(throws: SSHError.self) { try await SSHConnection.connect(to: target) }
            #expect(error?.kind == .connectionRefused)
            #expect(error?.description.contains("\(fleet.address):\(port)") == true)
            #expect(ContinuousClock.now - started < .seconds(5))
        }

        @Test("a listener that never speaks SSH times out within the bound (IPv4, IPv6, hostname)",
              arguments: [("127.0.0.1", "127.0.0.1"), ("::1", "::1"), ("127.0.0.1", "localhost")])
        func silentListener(listenOn: String, dial: String) async throws {
            _ = try SSHFleet.load()
            let listener = try SilentListener(address: listenOn)
            let target = SSHTarget(
                name: "silent", address: dial, port: listener.port, user: "root", useAgent: false,
                knownHostsFiles: [], connectTimeout: .seconds(2), sshConfigFile: nil)
            let started = ContinuousClock.now
            let error = await #expect(throws: SSHError.self) { try await SSHConnection.connect(to: target) }
            let elapsed = ContinuousClock.now - started
            #expect(error?.kind == .handshakeTimeout)
            #expect(error?.description.contains("silent") == true)
            #expect(elapsed >= .milliseconds(1500), "gave up after \(elapsed)")
            #expect(elapsed < .milliseconds(3500), "took \(elapsed) for a 2 s bound")
        }

        @Test("cancelling a connection attempt returns promptly")
        func cancelConnect() async throws {
            _ = try SSHFleet.load()
            let listener = try SilentListener(address: "127.0.0.1")
            let target = SSHTarget(
                name: "silent", address: "127.0.0.1", port: listener.port, user: "root", useAgent: false,
                knownHostsFiles: [], connectTimeout: .seconds(60), sshConfigFile: nil)
            let task = Task { try await SSHConnection.connect(to: target) }
            try await Task.sleep(for: .milliseconds(300))
            let started = ContinuousClock.now
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(ContinuousClock.now - started < .seconds(2))
        }

        @Test("an unresolvable name says so")
        func unresolvable() async throws {
            _ = try SSHFleet.load()
            let target = SSHTarget(
                name: "nowhere", address: "no-such-host.invalid", port: 22, user: "root", useAgent: false,
                knownHostsFiles: [], sshConfigFile: nil)
            let error = await #expect(throws: SSHError.self) { try await SSHConnection.connect(to: target) }
            #expect(error?.kind == .resolutionFailed)
            #expect(error?.description.contains("no-such-host.invalid") == true)
        }

        @Test("a full session over IPv6 ([::1], through a local relay to the fleet host)")
        func ipv6Session() async throws {
            let fleet = try SSHFleet.load()
            let relay = try TCPRelay(listenOn: "::1", to: fleet.address, port: fleet.port)
            let directory = try TemporaryDirectory()
            let target = try fleet.target(through: relay, dialing: "[::1]", knownHostsIn: directory)
            let connection = try await SSHConnection.connect(to: target)
            #expect(try await connection.run("echo six").stdoutText == "six\n")
            await connection.close()
        }

        @Test("32 concurrent sessions to one host")
        func concurrentSessions() async throws {
            let fleet = try SSHFleet.load()
            let outputs = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for index in 0..<32 {
                    group.addTask {
                        let connection = try await fleet.connect()
                        let result = try await connection.run("echo session-\(index)")
                        await connection.close()
                        return (index, result.stdoutText)
                    }
                }
                var outputs: [Int: String] = [:]
                for try await (index, text) in group { outputs[index] = text }
                return outputs
            }
            #expect(outputs.count == 32)
            for index in 0..<32 { #expect(outputs[index] == "session-\(index)\n") }
        }
    }
}
