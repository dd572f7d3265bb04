import Foundation
import TestSupport
import Testing

/// `coordinator hosts check --smoke` on every Linux fleet host, with and without `--image`. Fails (never
/// skips) when the fleet is down.
@Suite("coordinator hosts check --smoke on the fleet", .serialized)
struct HostSmokeTests {
    static let expectedRows = [
        ["amd64-1", "linux/amd64", "buildx"], ["arm64-1", "linux/arm64", "buildx"],
        ["wincross-1", "linux/amd64", "buildah"], ["wincross-1", "windows/amd64", "buildah"],
        ["amd64-2", "linux/amd64", "buildx"],
    ]

    static func rows(_ result: Shell.Result) throws -> [[String: Any]] {
        try JSONSerialization.jsonObject(with: result.stdoutData) as? [[String: Any]] ?? []
    }

    @Test("without --image every host builds the one-file image, fetched back as an archive; nothing is pushed")
    func buildOnly() async throws {
        let fleet = try Fleet.require()
        let result = try await CoordinatorBinary.run(
            ["hosts", "check", "--smoke", "--json", "--inventory", try fleet.value("TESTBED_INVENTORY")])
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
        let rows = try Self.rows(result)
        // The fleet may list more hosts than the four core ones; these must be there, in this order.
        let seen = rows.map { row in ["host", "platform", "builder"].map { row[$0] as? String ?? "" } }
        #expect(seen.filter(Self.expectedRows.contains) == Self.expectedRows, "\(seen)")
        for row in rows {
            #expect(row["problem"] == nil, "\(row)")
            #expect((row["digest"] as? String)?.hasPrefix("sha256:") == true, "\(row)")
            let steps = (row["steps"] as? [[String: String]] ?? []).map { $0["name"] ?? "" }
            #expect(steps == ["connect", "probe", "upload", "build", "fetch", "digest"])
            #expect((row["steps"] as? [[String: String]] ?? []).allSatisfy { $0["outcome"] == "ok" })
        }
        // Again: every host's store has the smoke Dockerfile now (it keeps one time), and only smoke.txt, written anew, is
        // sent. The table says so in its SENT column.
        let again = try await CoordinatorBinary.run(
            ["hosts", "check", "--smoke", "--inventory", try fleet.value("TESTBED_INVENTORY")])
        #expect(again.status == 0, "\(again.stderr)\n\(again.stdout)")
        let lines = again.stdout.split(separator: "\n").map(String.init)
        let header = try #require(lines.first { $0.hasPrefix("HOST") })
        let column = try #require(header.split(separator: " ", omittingEmptySubsequences: true).firstIndex(of: "SENT"))
        for host in Self.expectedRows.map({ $0[0] }) {
            let row = try #require(lines.first { $0.hasPrefix(host + " ") }, "\(again.stdout)")
            #expect(row.split(separator: " ", omittingEmptySubsequences: true)[column] == "1/2", "\(again.stdout)")
        }
    }

    @Test("with --image every host also pushes REPO:smoke-HOST, and the tags are in the registry")
    func push() async throws {
        let fleet = try Fleet.require()
        let registry = try fleet.value("TESTBED_REGISTRY")
        let repository = "hostsadd/smoke-\(UUID().uuidString.prefix(8).lowercased())"
        let result = try await CoordinatorBinary.run(
            ["hosts", "check", "--smoke", "--json", "--image", "\(registry)/\(repository)",
                "--inventory", try fleet.value("TESTBED_INVENTORY")])
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
        let rows = try Self.rows(result)
        let seen = rows.map { row in ["host", "platform", "builder"].map { row[$0] as? String ?? "" } }
        #expect(seen.filter(Self.expectedRows.contains) == Self.expectedRows, "\(seen)")
        for row in rows {
            #expect(row["problem"] == nil, "\(row)")
            let steps = (row["steps"] as? [[String: String]] ?? []).map { $0["name"] ?? "" }
            #expect(steps == ["connect", "probe", "upload", "login", "build", "push", "digest"])
            let tag = try #require((row["tag"] as? String)?.split(separator: ":").last.map(String.init))
            let digest = try #require(row["digest"] as? String)
            let response = try await Curl.request(
                "http://\(registry)/v2/\(repository)/manifests/\(tag)",
                headers: ["Accept": "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"])
            #expect(response.status == 200, "\(tag): \(response.curlError)")
            #expect(response.headers.first { $0.key.lowercased() == "docker-content-digest" }?.value == digest)
        }
        let tags = rows.compactMap { ($0["tag"] as? String)?.split(separator: ":").last.map(String.init) }
        #expect(Set(tags).isSuperset(of: [
            "smoke-amd64-1", "smoke-arm64-1", "smoke-wincross-1", "smoke-wincross-1-windows-amd64", "smoke-amd64-2",
        ]))
    }

    @Test("a host that cannot be reached fails its connect step: exit 3, the others still pass")
    func failingHost() async throws {
        let fleet = try Fleet.require()
        let directory = NSTemporaryDirectory() + "smoke-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let inventory = """
            { "defaults": { "user": "root", "port": 2222, "identityFiles": ["\(try fleet.value("TESTBED_SSH_KEY"))"],
                "agent": false, "knownHostsFile": "\(try fleet.value("TESTBED_KNOWN_HOSTS"))" },
              "hosts": [
                { "name": "down", "address": "127.0.0.9", "platforms": ["linux/amd64"] },
                { "name": "good", "address": "\(try fleet.value("TESTBED_HOST_SPARE"))", "platforms": ["linux/amd64"],
                  "workDir": "\(try fleet.value("TESTBED_DIR"))/hosts/amd64-2/work" } ] }
            """
        try inventory.write(toFile: directory + "/inventory.json", atomically: true, encoding: .utf8)
        let result = try await CoordinatorBinary.run(
            ["hosts", "check", "--smoke", "--inventory", "inventory.json"], environment: ["HOME": directory],
            directory: directory)
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("smoke build failed on 1 of 2 host platform(s): down (linux/amd64)"), "\(result.stderr)")
        #expect(result.stdout.contains("down"))
        let downLine = result.stdout.split(separator: "\n").first { $0.hasPrefix("down ") }.map(String.init) ?? ""
        #expect(downLine.contains("failed"), "\(result.stdout)")
    }

    /// A HOME whose Docker configuration holds `password` for the fleet's basic-auth registry.
    static func dockerHome(fleet: Fleet, password: String) throws -> String {
        let home = NSTemporaryDirectory() + "smoke-auth-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: home + "/.docker", withIntermediateDirectories: true)
        let auth = Data("\(try fleet.value("TESTBED_REGISTRY_USER")):\(password)".utf8).base64EncodedString()
        let config = #"{"auths": {"\#(try fleet.value("TESTBED_REGISTRY_BASIC"))": {"auth": "\#(auth)"}}}"#
        try config.write(toFile: home + "/.docker/config.json", atomically: true, encoding: .utf8)
        return home
    }

    @Test("to a registry that needs credentials: each builder logs in and pushes; a wrong password fails at login")
    func authenticatedPush() async throws {
        let fleet = try Fleet.require()
        let registry = try fleet.value("TESTBED_REGISTRY_BASIC")
        let arguments = ["hosts", "check", "--smoke", "--json", "--image", "\(registry)/hostsadd/smoke-auth",
            "--ca-cert", try fleet.value("TESTBED_REGISTRY_CA"), "--inventory", try fleet.value("TESTBED_INVENTORY")]

        let good = try Self.dockerHome(fleet: fleet, password: try fleet.value("TESTBED_REGISTRY_PASSWORD"))
        defer { try? FileManager.default.removeItem(atPath: good) }
        let result = try await CoordinatorBinary.run(arguments, environment: ["HOME": good])
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
        for row in try Self.rows(result) {
            #expect((row["steps"] as? [[String: String]] ?? []).allSatisfy { $0["outcome"] == "ok" }, "\(row)")
        }

        let bad = try Self.dockerHome(fleet: fleet, password: "wrong-password")
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let refused = try await CoordinatorBinary.run(arguments, environment: ["HOME": bad])
        #expect(refused.status == 3, "\(refused.stderr)")
        let rows = try Self.rows(refused)
        #expect(!rows.isEmpty)
        for row in rows {
            let steps = row["steps"] as? [[String: String]] ?? []
            #expect(steps.first { $0["name"] == "login" }?["outcome"] == "failed", "\(row)")
            #expect(steps.first { $0["name"] == "build" }?["outcome"] == "skipped", "\(row)")
            #expect(!(row["problem"] as? String ?? "").contains("wrong-password"), "no secret in the report")
        }
        #expect(!refused.stdout.contains("wrong-password") && !refused.stderr.contains("wrong-password"))
    }
}
