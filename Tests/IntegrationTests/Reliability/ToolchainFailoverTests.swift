import Foundation
import TestSupport
import Testing

/// A failover that keeps the toolchain, on real hosts: the platform's first host (`fault-1`, buildx)
/// is killed mid-build; `wincross-1` (buildah) is listed before `fault-2` (buildx). buildah 1.28
/// rejects the Dockerfile's `RUN --network=none`, so failing over to it would end the release with a
/// build failure although a buildx standby is idle: the platform must be built by `fault-2`.
/// Part of ``HostFaultTests`` (serialized with its cases), since both strike `fault-1`.
extension HostFaultTests {
    @Test("first host killed mid-build; the later same-kind host builds it, not the earlier buildah one")
    func failoverKeepsBuilderKind() async throws {
        let fleet = try Fleet.require()
        let marker = "toolchain-\(UInt32.random(in: 1...UInt32.max))"
        let project = try BuildCommandTests.Project(
            fleet: fleet, dockerfile: "FROM \(try fleet.value("TESTBED_BASE_IMAGE"))\n"
                + "RUN --network=none sleep 5; echo \(marker)\n")
        defer { project.remove() }
        let inventory = try project.inventory(try Self.toolchainInventory(fleet))
        let image = try BuildCommandTests.image(fleet)
        let json = project.directory + "/report.json"
        try await Testbed.run("start-host", "fault-1")

        // windows/amd64 only wincross-1 can build, so it is planned first and loads wincross-1; linux/amd64
        // then goes to fault-1, with wincross-1 (listed first) and fault-2 as its failover hosts.
        let plan = try await CoordinatorBinary.run(
            ["plan", "--inventory", inventory, "--image", image, "--tag", "v1", "--platform",
             "linux/amd64,windows/amd64", "--json"], directory: project.directory)
        #expect(plan.succeeded, "\(plan.stderr)")
        let planned = try JSONSerialization.jsonObject(with: plan.stdoutData) as? [String: Any]
        let builds = planned?["builds"] as? [[String: Any]] ?? []
        let linux = builds.first { ($0["platform"] as? String) == "linux/amd64" }
        #expect(linux?["host"] as? String == "fault-1", "\(plan.stdout)")
        #expect(linux?["failover"] as? [String] == ["fault-2", "wincross-1"], "\(plan.stdout)")

        let injected = Locked<Bool?>(nil)
        let striker = PollingThread(every: .milliseconds(50)) {
            guard injected.value == nil, ProcFS.running(commandContaining: "echo \(marker)") else { return }
            injected.withLock { $0 = HostFaultTests.runNow(Testbed.script, "kill-sessions", "fault-1") }
        }
        let result = try await project.build(
            ["--inventory", inventory, "--image", image, "--tag", "v1", "--platform", "linux/amd64,windows/amd64",
             "--json", json], timeout: .seconds(240))
        await striker.stop()
        #expect(injected.value == true, "the build on fault-1 was never killed: \(result.stderr)")

        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        let platforms = report?["platforms"] as? [[String: Any]] ?? []
        let built = try #require(platforms.first { ($0["platform"] as? String) == "linux/amd64" }, "\(result.stderr)")
        let attempts = (built["attempts"] as? [[String: Any]] ?? []).map { $0["host"] as? String }
        #expect(built["host"] as? String == "fault-2", "\(attempts)")
        #expect(attempts == ["fault-1", "fault-2"], "wincross-1 (buildah) must not be tried while fault-2 remains")
        #expect(try await BuildCommandTests.listExists("\(image):v1"))
        #expect(!ProcFS.running(commandContaining: "echo \(marker)"))
    }

    /// wincross-1 (buildah, listed first, also the only windows/amd64 host), then fault-1 and fault-2 (buildx).
    static func toolchainInventory(_ fleet: Fleet) throws -> String {
        let dir = try fleet.value("TESTBED_DIR")
        return """
            { "defaults": { "user": "root", "port": 2222, "identityFiles": ["\(try fleet.value("TESTBED_SSH_KEY"))"],
                            "agent": false, "knownHostsFile": "\(try fleet.value("TESTBED_KNOWN_HOSTS"))" },
              "hosts": [
                { "name": "wincross-1", "address": "\(try fleet.value("TESTBED_HOST_WINCROSS"))", "builder": "buildah",
                  "platforms": ["linux/amd64"], "crossPlatforms": ["windows/amd64"], "windowsVersion": "ltsc2022",
                  "workDir": "\(dir)/hosts/wincross-1/work-toolchain" },
                { "name": "fault-1", "address": "\(try fleet.value("TESTBED_HOST_FAULT1"))", "platforms": ["linux/amd64"],
                  "workDir": "\(dir)/hosts/fault-1/work" },
                { "name": "fault-2", "address": "\(try fleet.value("TESTBED_HOST_FAULT2"))", "platforms": ["linux/amd64"],
                  "workDir": "\(dir)/hosts/fault-2/work" } ] }
            """
    }
}
