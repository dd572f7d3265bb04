import Foundation
import TestSupport
import Testing

@Suite("coordinator hosts check on the fleet")
struct HostsCheckTests {
    @Test("every fleet host is usable: reachable, its key known, authenticated, probed")
    func fleetIsUsable() async throws {
        let fleet = try Fleet.require()
        let result = try await CoordinatorBinary.run(["hosts", "check", "--inventory", try fleet.value("TESTBED_INVENTORY"), "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let checks = try JSONSerialization.jsonObject(with: result.stdoutData) as? [[String: Any]] ?? []
        #expect(checks.map { $0["host"] as? String } == Fleet.testHosts.map(\.name))
        #expect(checks.allSatisfy { $0["problem"] == nil && $0["authenticated"] as? Bool == true })
        #expect(checks.map { $0["architecture"] as? String } == Fleet.testHosts.map(\.machine))
        #expect(checks.map { $0["builder"] as? String } == Fleet.testHosts.map(\.builder))
        #expect(checks.allSatisfy { ($0["freeBytes"] as? Int ?? 0) > 0 })
        // Every host tool passed its check, for root and for the ordinary users of docker-user-1 and podman-1.
        #expect(checks.allSatisfy { ($0["tools"] as? [Any])?.isEmpty == true }, "\(result.stdout)")
    }

    @Test("a down host, a host with an unknown key and a lying host are unusable: exit 3")
    func unusableHosts() async throws {
        let fleet = try Fleet.require()
        let key = try fleet.value("TESTBED_SSH_KEY"), knownHosts = try fleet.value("TESTBED_KNOWN_HOSTS")
        let directory = NSTemporaryDirectory() + "hosts-check-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let emptyKnownHosts = directory + "/empty_known_hosts"
        try "".write(toFile: emptyKnownHosts, atomically: true, encoding: .utf8)
        let spare = try fleet.value("TESTBED_HOST_SPARE")
        let inventory = """
            { "defaults": { "user": "root", "port": 2222, "identityFiles": ["\(key)"], "agent": false },
              "hosts": [
                { "name": "down", "address": "127.0.0.9", "platforms": ["linux/amd64"], "knownHostsFile": "\(knownHosts)" },
                { "name": "stranger", "address": "\(spare)", "platforms": ["linux/amd64"], "knownHostsFile": "\(emptyKnownHosts)" },
                { "name": "liar", "address": "\(spare)", "platforms": ["linux/arm64"], "knownHostsFile": "\(knownHosts)" },
                { "name": "good", "address": "\(spare)", "platforms": ["linux/amd64"], "knownHostsFile": "\(knownHosts)" } ] }
            """
        try inventory.write(toFile: directory + "/inventory.json", atomically: true, encoding: .utf8)
        // HOME points at the empty directory so the user's own ~/.ssh/known_hosts does not count.
        let result = try await CoordinatorBinary.run(
            ["hosts", "check", "--inventory", "inventory.json", "--json"], environment: ["HOME": directory],
            directory: directory)
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("3 of 4 host(s) unusable: down, stranger, liar"))
        let checks = try JSONSerialization.jsonObject(with: result.stdoutData) as? [[String: Any]] ?? []
        let byName = Dictionary(uniqueKeysWithValues: checks.map { ($0["host"] as! String, $0) })
        #expect(byName["down"]?["reachable"] as? Bool == false)
        #expect(byName["stranger"]?["hostKey"] as? String == "refused")
        #expect(byName["stranger"]?["authenticated"] as? Bool == false)
        #expect((byName["liar"]?["problem"] as? String)?.contains("arm64") == true)
        #expect(byName["good"]?["problem"] == nil)
    }
}
