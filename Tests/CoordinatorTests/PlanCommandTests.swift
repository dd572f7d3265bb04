import Foundation
import TestSupport
import Testing

/// `coordinator plan` as a user runs it: the real executable, its output and exit codes.
@Suite("coordinator plan (executable)")
struct PlanCommandTests {
    static let root = SourceTree.root

    @Test func printsTheRootInventoryPlan() async throws {
        let result = try await CoordinatorBinary.run(
            ["plan", "--inventory", "inventory.json", "--image", "registry.example.com/velero/velero", "--tag", "v1.14",
             "--platform", "linux/amd64,linux/arm64,windows/amd64"], directory: Self.root)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("PLATFORM") == true)
        #expect(lines.contains { $0.hasPrefix("linux/amd64 ") && $0.contains("amd64-1") && $0.contains(":v1.14-linux-amd64") })
        #expect(lines.contains { $0.hasPrefix("linux/arm64 ") && $0.contains("arm64-1") && $0.contains(":v1.14-linux-arm64") })
        #expect(lines.contains {
            $0.hasPrefix("windows/amd64 (ltsc2022)") && $0.contains("win2022") && $0.contains(":v1.14-windows-ltsc2022-amd64")
        })
        #expect(lines.last == "list: registry.example.com/velero/velero:v1.14")
    }

    @Test func veleroEnvironmentAndJSON() async throws {
        let result = try await CoordinatorBinary.run(
            ["plan", "--json"],
            environment: ["REGISTRY": "registry.example.com/velero", "BIN": "velero", "VERSION": "main",
                          "BUILD_OS": "linux,windows", "BUILD_ARCH": "arm64"], directory: Self.root)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["list"] as? String == "registry.example.com/velero/velero:main")
        let builds = object?["builds"] as? [[String: Any]] ?? []
        #expect(builds.map { $0["host"] as? String } == ["arm64-1", "win2022"])
        #expect(builds.map { $0["tag"] as? String } == [
            "registry.example.com/velero/velero:main-linux-arm64",
            "registry.example.com/velero/velero:main-windows-ltsc2022-amd64",
        ])
        #expect(builds[1]["osVersion"] as? String == "10.0.20348")
    }

    @Test func malformedInventoryExitsTwoWithTheJSONPath() async throws {
        let directory = NSTemporaryDirectory() + "plan-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try #"{ "hosts": [ { "name": "a", "address": "a", "platforms": ["linux/arm65"] } ] }"#
            .write(toFile: directory + "/bad.json", atomically: true, encoding: .utf8)
        let result = try await CoordinatorBinary.run(
            ["plan", "--inventory", "bad.json", "--image", "r.io/a", "--tag", "v1", "--platform", "linux/amd64"],
            directory: directory)
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains(
            "error: invalid inventory: bad.json:1:59: hosts[0].platforms[0]: \"linux/arm65\" is not a platform"))
        #expect(result.stderr.contains("did you mean linux/arm64?"))
    }

    @Test(arguments: [
        (["plan", "--image", "r.io/a", "--tag", "v1", "--platform", "linux/s390x"], "no host in inventory.json builds linux/s390x"),
        (["plan", "--image", "r.io/a", "--tag", "v1"], "no platforms"),
        (["plan", "--bogus"], "Unknown option '--bogus'"),
    ])
    func usageErrorsExitTwo(arguments: [String], message: String) async throws {
        let result = try await CoordinatorBinary.run(arguments, directory: Self.root)
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test func helpExitsZero() async throws {
        let result = try await CoordinatorBinary.run(["plan", "--help"], directory: Self.root)
        #expect(result.status == 0)
        #expect(result.stdout.contains("--windows-version"))
        #expect(result.stdout.contains("BUILD_WINDOWS_VERSION"))
    }
}
