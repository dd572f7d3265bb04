import Foundation
import TestSupport
import Testing

/// `hosts check` against a real OpenSSH sshd of the test's own whose logins get `PATH` from `SetEnv`: a directory of
/// links to this machine's programs with some left out or replaced by BusyBox's.
@Suite("coordinator hosts check: the host tools the build path runs")
struct HostsCheckToolsTests {
    /// `hosts check` (with `--json`, or the table) of one buildx host behind a private sshd whose PATH is `bin`.
    static func check(path bin: ToolPath, json: Bool) async throws -> Shell.Result {
        let fleet = try Fleet.require()
        let server = try await PrivateSSHD.start(fleet, extraConfig:
            "SetEnv SHLVL=1 DOCKER_HOST=\(try fleet.value("TESTBED_DOCKER_HOST")) PATH=\(bin.path)")
        defer { server.stop() }
        let directory = NSTemporaryDirectory() + "hosts-check-tools-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
            { "hosts": [ { "name": "tools-1", "address": "\(server.address)", "port": \(server.port), "user": "root",
                "identityFiles": ["\(try fleet.value("TESTBED_SSH_KEY"))"], "agent": false,
                "knownHostsFile": "\(server.knownHosts)", "platforms": ["linux/amd64"], "builder": "buildx",
                "workDir": "\(directory)/work" } ] }
            """.write(toFile: directory + "/inventory.json", atomically: true, encoding: .utf8)
        return try await CoordinatorBinary.run(
            ["hosts", "check", "--inventory", "inventory.json"] + (json ? ["--json"] : []),
            environment: ["HOME": directory], directory: directory)
    }

    static func tools(_ result: Shell.Result) throws -> [[String: Any]] {
        let checks = try JSONSerialization.jsonObject(with: result.stdoutData) as? [[String: Any]] ?? []
        return try #require(checks.first?["tools"] as? [[String: Any]], "\(result.stdout)")
    }

    @Test("BusyBox tar, head and ln make the host unusable: exit 3, each named with how to install the GNU one")
    func busyboxTools() async throws {
        let bin = try ToolPath.busyBox(["tar", "head", "ln"], without: ["gzip"])
        defer { bin.remove() }
        let result = try await Self.check(path: bin, json: true)
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("1 of 1 host(s) unusable: tools-1"), "\(result.stderr)")
        let checks = try JSONSerialization.jsonObject(with: result.stdoutData) as? [[String: Any]] ?? []
        let problem = checks.first?["problem"] as? String ?? ""
        for words in ["host tools-1", "tar (not GNU tar: tar --version says: tar (busybox)",
                      "install GNU tar (Debian/Ubuntu: apt-get install tar; Alpine: apk add tar)", "head -c", "ln -t"] {
            #expect(problem.contains(words), "\(problem)")
        }
        let tools = try Self.tools(result)
        #expect(tools.map { $0["tool"] as? String } == ["tar", "head -c", "ln -t", "gzip"])
        #expect(tools.map { $0["required"] as? Bool } == [true, true, true, false])
        #expect(checks.first?["builder"] as? String == "buildx", "the builder was still probed")

        let table = try await Self.check(path: bin, json: false)
        #expect(table.status == 3)
        #expect(table.stdout.contains("FAILED tar, head -c, ln -t (no gzip)"), "\(table.stdout)")
        #expect(table.stdout.contains("tools-1: note: gzip missing: the incremental upload is sent uncompressed"),
            "\(table.stdout)")
    }

    @Test("a host without gzip and flock stays usable: exit 0, two notes in the table and in the JSON")
    func optionalToolsMissing() async throws {
        let bin = try ToolPath(without: ["gzip", "flock"])
        defer { bin.remove() }
        let result = try await Self.check(path: bin, json: true)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let tools = try Self.tools(result)
        #expect(tools.map { $0["tool"] as? String } == ["gzip", "flock"])
        #expect(tools.allSatisfy { $0["required"] as? Bool == false && $0["found"] as? String == "missing" })
        #expect((tools.last?["fix"] as? String)?.contains("apt-get install util-linux") == true)

        let table = try await Self.check(path: bin, json: false)
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("ok (no gzip, flock)"), "\(table.stdout)")
        #expect(table.stdout.contains("usable"))
        #expect(table.stdout.contains("tools-1: note: flock missing: builds take no slot"), "\(table.stdout)")
    }

    /// `hosts add` probes the same tools: a host that `hosts check` would call unusable is not written to the
    /// inventory; a missing optional tool is a note and the entry is written.
    @Test("hosts add refuses a host with BusyBox tar, writing nothing; without gzip it adds the host with a note")
    func hostsAdd() async throws {
        let fleet = try Fleet.require()
        let directory = NSTemporaryDirectory() + "hosts-add-tools-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/.ssh", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func add(_ name: String, path bin: ToolPath) async throws -> Shell.Result {
            let server = try await PrivateSSHD.start(fleet, extraConfig:
                "SetEnv SHLVL=1 DOCKER_HOST=\(try fleet.value("TESTBED_DOCKER_HOST")) PATH=\(bin.path)")
            defer { server.stop() }
            try FileManager.default.copyItem(atPath: server.knownHosts, toPath: directory + "/.ssh/known_hosts")
            defer { try? FileManager.default.removeItem(atPath: directory + "/.ssh/known_hosts") }
            return try await CoordinatorBinary.run(
                ["hosts", "add", name, server.address, "--port", String(server.port), "--user", "root",
                 "--identity-file", try fleet.value("TESTBED_SSH_KEY"), "--inventory", "inventory.json"],
                environment: ["HOME": directory], directory: directory)
        }
        let busybox = try ToolPath.busyBox(["tar"], without: [])
        defer { busybox.remove() }
        let refused = try await add("busybox-1", path: busybox)
        #expect(refused.status == 3, "\(refused.stdout)\n\(refused.stderr)")
        for words in ["host busybox-1", "tar (not GNU tar", "apk add tar", "nothing was written to inventory.json"] {
            #expect(refused.stderr.contains(words), "\(refused.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/inventory.json"), "nothing written")

        let noGzip = try ToolPath(without: ["gzip"])
        defer { noGzip.remove() }
        let added = try await add("nogzip-1", path: noGzip)
        #expect(added.status == 0, "\(added.stdout)\n\(added.stderr)")
        #expect(added.stdout.contains("note: nogzip-1: gzip missing: the incremental upload is sent uncompressed"),
            "\(added.stdout)")
        let written = try String(contentsOfFile: directory + "/inventory.json", encoding: .utf8)
        #expect(written.contains("\"nogzip-1\""), "\(written)")
    }
}
