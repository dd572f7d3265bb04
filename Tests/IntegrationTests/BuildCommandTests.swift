import Foundation
import Shared
import TestSupport
import Testing

/// `coordinator build` end to end on the test fleet: the real executable, real sshd hosts, the
/// fleet's Docker engine and buildah, and the plain registry; results checked with skopeo and
/// `docker manifest inspect`.
@Suite("coordinator build on the fleet", .serialized)
struct BuildCommandTests {
    /// A scratch project: a context with the example's Dockerfiles, in a fresh directory.
    struct Project {
        let directory: String
        let fleet: Fleet

        init(fleet: Fleet, dockerfile: String? = nil) throws {
            self.fleet = fleet
            directory = NSTemporaryDirectory() + "build-test-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let example = SourceTree.path("examples/hello")
            for file in ["Dockerfile", "Dockerfile-Windows", "hello.txt", ".dockerignore"] {
                try FileManager.default.copyItem(atPath: example + "/" + file, toPath: directory + "/" + file)
            }
            if let dockerfile {
                try dockerfile.write(toFile: directory + "/Dockerfile", atomically: true, encoding: .utf8)
            }
            // A unique file makes every project's context (and so its fingerprint) distinct.
            try UUID().uuidString.write(toFile: directory + "/id.txt", atomically: true, encoding: .utf8)
        }

        func inventory(_ json: String) throws -> String {
            let path = directory + "/inventory.json"
            try json.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        func build(
            _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(300),
            terminateWhen: (@Sendable () async -> Bool)? = nil, terminateWhenSeen: (@Sendable () -> Bool)? = nil,
            during: (@Sendable () async -> Void)? = nil
        ) async throws -> Shell.Result {
            try await CoordinatorBinary.run(
                ["build", "--progress", "plain"] + arguments,
                environment: environment.merging(["DOCKER_CONFIG": directory + "/docker-config"]) { own, _ in own },
                directory: directory, timeout: timeout, terminateWhen: terminateWhen,
                terminateWhenSeen: terminateWhenSeen, during: during)
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    static func image(_ fleet: Fleet) throws -> String {
        "\(try fleet.value("TESTBED_REGISTRY"))/itest/build-\(UUID().uuidString.prefix(8).lowercased())"
    }

    static func inspect(_ reference: String, os: String, arch: String) async throws -> [String: Any] {
        let result = try await Shell.run([
            "skopeo", "inspect", "--tls-verify=false", "--override-os", os, "--override-arch", arch, "--config",
            "docker://" + reference,
        ])
        #expect(result.succeeded, "\(result.stderr)")
        return try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any] ?? [:]
    }

    static func listExists(_ reference: String) async throws -> Bool {
        try await Shell.run(["skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + reference]).succeeded
    }

    @Test("three platforms on three hosts, one list, verified by skopeo and docker manifest inspect")
    func threePlatforms() async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet)
        defer { project.remove() }
        let image = try Self.image(fleet)
        let json = project.directory + "/report.json"
        let result = try await project.build([
            "--inventory", try fleet.value("TESTBED_INVENTORY"), "--image", image, "--tag", "v1",
            "--platform", "linux/amd64,linux/arm64,windows/amd64", "--json", json,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("list: \(image):v1@sha256:"))

        let manifest = try await Shell.run(
            ["docker", "manifest", "inspect", "--insecure", "\(image):v1"],
            environment: ["DOCKER_CONFIG": project.directory + "/docker-config"])
        #expect(manifest.succeeded, "\(manifest.stderr)")
        let list = try JSONSerialization.jsonObject(with: manifest.stdoutData) as? [String: Any] ?? [:]
        let entries = (list["manifests"] as? [[String: Any]] ?? []).compactMap { $0["platform"] as? [String: Any] }
        #expect(entries.map { "\($0["os"]!)/\($0["architecture"]!)" }.sorted() == ["linux/amd64", "linux/arm64", "windows/amd64"])
        #expect(entries.first { $0["os"] as? String == "windows" }?["os.version"] as? String == "10.0.20348")

        for (os, arch) in [("linux", "amd64"), ("linux", "arm64"), ("windows", "amd64")] {
            let config = try await Self.inspect("\(image):v1", os: os, arch: arch)
            #expect(config["os"] as? String == os)
            #expect(config["architecture"] as? String == arch)
        }

        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        #expect(report?["status"] as? String == "succeeded")
        let platforms = report?["platforms"] as? [[String: Any]] ?? []
        #expect(platforms.map { $0["host"] as? String } == ["amd64-1", "arm64-1", "wincross-1"])
        #expect(platforms.allSatisfy { ($0["digest"] as? String)?.hasPrefix("sha256:") == true })
        // The context's size and what was sent of it, per platform.
        for platform in platforms {
            let context = platform["context"] as? [String: Any] ?? [:]
            let files = context["files"] as? Int ?? 0, filesSent = context["filesSent"] as? Int ?? -1
            #expect(files >= 1 && (context["bytes"] as? Int ?? 0) > 0, "\(platform)")
            #expect((0...files).contains(filesSent), "\(platform)")
            #expect((context["bytesSent"] as? Int ?? -1) >= 0, "\(platform)")
        }
        #expect(FileManager.default.fileExists(atPath: project.directory + "/_output/logs/"
            + image.split(separator: "/").last! + "-v1-linux-arm64.log"))
    }

    @Test("a host that is down: the platform is built on the next eligible host")
    func failover() async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet)
        defer { project.remove() }
        let key = try fleet.value("TESTBED_SSH_KEY"), knownHosts = try fleet.value("TESTBED_KNOWN_HOSTS")
        // `down-1` points at an address where no sshd listens: connection refused, an infrastructure failure.
        let inventory = try project.inventory("""
            { "defaults": { "user": "root", "port": 2222, "identityFiles": ["\(key)"], "agent": false,
                            "knownHostsFile": "\(knownHosts)" },
              "hosts": [
                { "name": "down-1", "address": "127.0.0.9", "platforms": ["linux/amd64"], "capacity": 4,
                  "workDir": "\(fleet.values["TESTBED_DIR"]!)/hosts/amd64-2/work" },
                { "name": "amd64-2", "address": "\(try fleet.value("TESTBED_HOST_SPARE"))", "platforms": ["linux/amd64"],
                  "workDir": "\(fleet.values["TESTBED_DIR"]!)/hosts/amd64-2/work" } ] }
            """)
        let image = try Self.image(fleet)
        let json = project.directory + "/report.json"
        let result = try await project.build([
            "--inventory", inventory, "--image", image, "--tag", "v1", "--platform", "linux/amd64", "--json", json,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        let platform = (report?["platforms"] as? [[String: Any]])?.first
        #expect(platform?["host"] as? String == "amd64-2")
        let attempts = platform?["attempts"] as? [[String: Any]] ?? []
        #expect(attempts.map { $0["host"] as? String } == ["down-1", "amd64-2"])
        #expect(attempts.first?["failureKind"] as? String == "infrastructure")
        #expect(try await Self.listExists("\(image):v1"))
    }

    @Test("a second build in the same directory: the coordinator's own _output/logs is never part of the context")
    func rebuildInSameDirectory() async throws {
        let fleet = try Fleet.require()
        // The context is the project directory ('.'), where the coordinator writes _output/logs.
        let project = try Project(fleet: fleet, dockerfile: "FROM \(try fleet.value("TESTBED_BASE_IMAGE"))\n"
            + "COPY . /ctx/\nRUN --network=none ls -A /ctx | sed 's/^/ctx-entry: /'\n")
        defer { project.remove() }
        // Without the example's `.dockerignore`, which names _output.
        try FileManager.default.removeItem(atPath: project.directory + "/.dockerignore")
        let inventory = try BuildInterruptTests.inventory(
            project, fleet, workDir: try fleet.value("TESTBED_DIR") + "/hosts/amd64-1/work")
        let image = try Self.image(fleet)
        // Before the fix the second run shipped the first run's log while writing it: "the file grew", exit 3.
        for round in 1...2 {
            let result = try await project.build(
                ["--inventory", inventory, "--image", image, "--tag", "v1", "--platform", "linux/amd64", "--no-resume",
                 "--no-cache"])
            #expect(result.status == 0, "round \(round): \(result.stdout)\n\(result.stderr)")
        }
        let log = try String(
            contentsOfFile: project.directory + "/_output/logs/\(image.split(separator: "/").last!)-v1-linux-amd64.log",
            encoding: .utf8)
        let entries = log.split(separator: "\n").compactMap { line in
            line.range(of: "ctx-entry: ").map { String(line[$0.upperBound...]) }
        }
        #expect(entries.contains("Dockerfile"), "\(log)")
        #expect(!entries.contains("_output"), "the context held the coordinator's own output: \(entries)")
    }

    @Test("a failing Dockerfile: exit 1, the log's last lines, no list, no retry elsewhere")
    func failingBuild() async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet, dockerfile: "FROM scratch\nCOPY does-not-exist.txt /\n")
        defer { project.remove() }
        let image = try Self.image(fleet)
        let json = project.directory + "/report.json"
        let result = try await project.build([
            "--inventory", try fleet.value("TESTBED_INVENTORY"), "--image", image, "--tag", "v1",
            "--platform", "linux/amd64,linux/arm64", "--json", json,
        ])
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains("was not pushed"))
        #expect(result.stdout.contains("does-not-exist.txt"))
        #expect(try await !Self.listExists("\(image):v1"))
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        let platforms = report?["platforms"] as? [[String: Any]] ?? []
        // amd64 had a second eligible host, but a build failure is not retried there.
        #expect(platforms.allSatisfy { ($0["attempts"] as? [Any])?.count == 1 })
        #expect(platforms.allSatisfy { $0["failureKind"] as? String == "build" })
    }

    @Test("a host whose architecture lies is refused before any build; no list")
    func lyingHost() async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet)
        defer { project.remove() }
        let key = try fleet.value("TESTBED_SSH_KEY"), knownHosts = try fleet.value("TESTBED_KNOWN_HOSTS")
        // amd64-2 has no uname fixture: it is x86_64, but this inventory claims arm64.
        let inventory = try project.inventory("""
            { "hosts": [ { "name": "liar", "address": "\(try fleet.value("TESTBED_HOST_SPARE"))", "port": 2222,
                "user": "root", "identityFiles": ["\(key)"], "agent": false, "knownHostsFile": "\(knownHosts)",
                "platforms": ["linux/arm64"], "workDir": "\(fleet.values["TESTBED_DIR"]!)/hosts/amd64-2/work" } ] }
            """)
        let image = try Self.image(fleet)
        let result = try await project.build([
            "--inventory", inventory, "--image", image, "--tag", "v1", "--platform", "linux/arm64", "--retries", "0",
        ])
        #expect(result.status != 0)
        #expect(result.stdout.contains("x86_64") || result.stdout.contains("amd64"), "\(result.stdout)")
        #expect(!result.stdout.contains("pushing"))
        #expect(try await !Self.listExists("\(image):v1-linux-arm64"))
        #expect(try await !Self.listExists("\(image):v1"))
    }

    @Test("a platform that cannot be built: no list (exit 3); with --allow-partial a list of the rest (exit 1)")
    func partial() async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet)
        defer { project.remove() }
        let key = try fleet.value("TESTBED_SSH_KEY"), knownHosts = try fleet.value("TESTBED_KNOWN_HOSTS")
        let work = "\(fleet.values["TESTBED_DIR"]!)/hosts/amd64-2/work"
        let inventory = try project.inventory("""
            { "defaults": { "user": "root", "port": 2222, "identityFiles": ["\(key)"], "agent": false,
                            "knownHostsFile": "\(knownHosts)", "workDir": "\(work)" },
              "hosts": [
                { "name": "arm-down", "address": "127.0.0.9", "platforms": ["linux/arm64"] },
                { "name": "amd64-2", "address": "\(try fleet.value("TESTBED_HOST_SPARE"))", "platforms": ["linux/amd64"] } ] }
            """)
        let image = try Self.image(fleet)
        let common = ["--inventory", inventory, "--image", image, "--platform", "linux/amd64,linux/arm64", "--retries", "0"]
        let strict = try await project.build(common + ["--tag", "v1"])
        #expect(strict.status == 3, "\(strict.stderr)")
        #expect(strict.stderr.contains("was not pushed"))
        #expect(try await !Self.listExists("\(image):v1"))
        #expect(try await Self.listExists("\(image):v1-linux-amd64"))  // the per-platform tag is pushed either way

        let partial = try await project.build(common + ["--tag", "v2", "--allow-partial"])
        #expect(partial.status == 1, "\(partial.stderr)")
        #expect(partial.stderr.contains("partial list pushed without linux/arm64"))
        let raw = try await Shell.run(["skopeo", "inspect", "--tls-verify=false", "--raw", "docker://\(image):v2"])
        let list = try JSONSerialization.jsonObject(with: raw.stdoutData) as? [String: Any]
        let platforms = (list?["manifests"] as? [[String: Any]] ?? []).compactMap { $0["platform"] as? [String: Any] }
        #expect(platforms.map { $0["architecture"] as? String } == ["amd64"])
    }

    @Test("--output docker: built on a native host, loaded into the local engine")
    func dockerOutput() async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet)
        defer { project.remove() }
        let image = try Self.image(fleet)
        let dockerHost = try fleet.value("TESTBED_DOCKER_HOST")
        let result = try await project.build(
            ["--inventory", try fleet.value("TESTBED_INVENTORY"), "--image", image, "--tag", "v4",
             "--platform", "linux/amd64", "--output", "docker"], environment: ["DOCKER_HOST": dockerHost])
        #expect(result.status == 0, "\(result.stderr)")
        let inspected = try await Shell.run(
            ["docker", "image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", "\(image):v4-linux-amd64"],
            environment: ["DOCKER_HOST": dockerHost])
        #expect(inspected.trimmedStdout == "linux/amd64", "\(inspected.stderr)")
        // The fleet's hosts share this engine, so the image may be there already: the proof that the fetched
        // tarball was loaded is docker load's own report.
        #expect(result.stdout.contains("Loaded image: \(image):v4-linux-amd64"), "\(result.stdout)")
        #expect(try await !Self.listExists("\(image):v4"))
    }

    @Test("--output tar: one Velero-named tarball per platform, readable by skopeo")
    func tarOutput() async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet)
        defer { project.remove() }
        let image = try Self.image(fleet)
        let bin = String(image.split(separator: "/").last!)
        let result = try await project.build([
            "--inventory", try fleet.value("TESTBED_INVENTORY"), "--image", image, "--tag", "v2",
            "--platform", "linux/amd64,linux/arm64,windows/amd64", "--output", "tar",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        for (suffix, os, arch) in [("linux-amd64", "linux", "amd64"), ("linux-arm64", "linux", "arm64"),
                                   ("windows-ltsc2022-amd64", "windows", "amd64")] {
            let tarball = "\(project.directory)/_output/\(bin)-v2-\(suffix).tar"
            #expect(FileManager.default.fileExists(atPath: tarball), "\(tarball)")
            let inspected = try await Shell.run(["skopeo", "inspect", "--config", "docker-archive:" + tarball])
            #expect(inspected.succeeded, "\(inspected.stderr)")
            let config = try JSONSerialization.jsonObject(with: inspected.stdoutData) as? [String: Any]
            #expect(config?["os"] as? String == os)
            #expect(config?["architecture"] as? String == arch)
        }
        #expect(try await !Self.listExists("\(image):v2"))
    }

    @Test("after an interrupted release, a re-run builds only the missing platform")
    func resume() async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet)
        defer { project.remove() }
        let image = try Self.image(fleet)
        let inventory = try fleet.value("TESTBED_INVENTORY")
        // The first run got as far as linux/amd64 only.
        let first = try await project.build([
            "--inventory", inventory, "--image", image, "--tag", "v3", "--platform", "linux/amd64",
        ])
        #expect(first.status == 0, "\(first.stderr)")
        let json = project.directory + "/report.json"
        let second = try await project.build([
            "--inventory", inventory, "--image", image, "--tag", "v3", "--platform", "linux/amd64,linux/arm64",
            "--json", json,
        ])
        #expect(second.status == 0, "\(second.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        let outcomes = (report?["platforms"] as? [[String: Any]] ?? []).map { $0["outcome"] as? String }
        #expect(outcomes == ["reused", "built"])
        #expect(try await Self.listExists("\(image):v3"))
    }
}

@Suite("coordinator build interrupted", .serialized)
struct BuildInterruptTests {
    @Test("SIGTERM/Ctrl-C mid-build: exit 130 within 5 s, no build process or temporary file left on the host, no list")
    func interrupt() async throws {
        let fleet = try Fleet.require()
        let base = try fleet.value("TESTBED_BASE_IMAGE")
        let marker = Int.random(in: 100_000...999_999)
        let project = try BuildCommandTests.Project(
            fleet: fleet, dockerfile: "FROM \(base)\nRUN --network=none sleep \(marker)\n")
        defer { project.remove() }
        let image = try BuildCommandTests.image(fleet)
        // amd64-1 with a work directory of this test's own, so that what is left in it is this run's.
        let workDir = try fleet.value("TESTBED_DIR") + "/hosts/amd64-1/work-interrupt-\(marker)"
        defer { try? FileManager.default.removeItem(atPath: workDir) }
        let inventory = try Self.inventory(project, fleet, workDir: workDir)
        // SIGTERM (what Ctrl-C's SIGINT also does) as soon as the RUN step's `sleep` runs on the host.
        let result = try await project.build(
            ["--inventory", inventory, "--image", image, "--tag", "v1",
             "--platform", "linux/amd64"], timeout: .seconds(240),
            terminateWhen: { (try? await Shell.run(["pgrep", "-f", "sleep \(marker)"]).succeeded) == true })
        #expect(result.status == 130, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains("interrupted"))
        let signalledAt = try #require(result.signalledAt, "the build never reached its RUN step")
        // Ctrl-C: the coordinator is gone within 5 s of the signal (both instants are taken off the pool: when
        // the signal was sent and when the waiting thread saw the process end).
        print("interrupt: exit 130 \(result.endedAt - signalledAt) after SIGTERM")
        #expect(result.endedAt - signalledAt < .seconds(5), "exit took \(result.endedAt - signalledAt) after SIGTERM")
        // The interrupt came while the RUN step was running on the host.
        let bin = image.split(separator: "/").last!
        let log = try String(contentsOfFile: "\(project.directory)/_output/logs/\(bin)-v1-linux-amd64.log", encoding: .utf8)
        #expect(log.contains("RUN --network=none sleep \(marker)"), "\(log)")
        // Every fleet host runs on this machine: no `sleep MARKER` may survive anywhere.
        // ...and every one of them is gone within 5 s of the signal.
        var left = true
        repeat {
            left = try await Shell.run(["pgrep", "-f", "sleep \(marker)"]).succeeded
            if left { try await Task.sleep(for: .milliseconds(100)) }
        } while left && ContinuousClock.now - signalledAt < .seconds(5)
        #expect(!left, "a build process was still running 5 s after the interrupt")
        // The run's temporary directory (its builder config, digest files) is gone from the host too.
        let runs = (try? FileManager.default.contentsOfDirectory(atPath: workDir + "/runs")) ?? []
        #expect(runs.isEmpty, "left on the host after the interrupt: \(runs)")
        #expect(FileManager.default.fileExists(atPath: workDir + "/contexts"), "the build never shipped its context")
        #expect(try await !BuildCommandTests.listExists("\(image):v1"))
    }

    @Test("Ctrl-C while the context is being sent: exit 130 within 5 s, the host's tar is stopped, nothing half-sent is kept")
    func interruptDuringUpload() async throws {
        let fleet = try Fleet.require()
        let marker = Int.random(in: 100_000...999_999)
        let project = try BuildCommandTests.Project(
            fleet: fleet, dockerfile: "FROM \(try fleet.value("TESTBED_BASE_IMAGE"))\nCOPY big.bin /\n")
        defer { project.remove() }
        // 384 MiB (sparse here, sent as bytes): the upload lasts seconds, long enough to be interrupted in the middle.
        let big = try FileHandle(forWritingTo: URL(fileURLWithPath: project.directory + "/big.bin", isDirectory: false)
            .creatingEmptyFile())
        try big.truncate(atOffset: 384 << 20)
        try big.close()
        let workDir = try fleet.value("TESTBED_DIR") + "/hosts/amd64-1/work-upload-\(marker)"
        defer { try? FileManager.default.removeItem(atPath: workDir) }
        let inventory = try Self.inventory(project, fleet, workDir: workDir)
        // The host's side of the upload: tar extracting the context (and its new store objects) into this work
        // directory, whose `contexts/.incoming-ID` it assembles.
        let receiving = "--no-same-owner -f - -C \(workDir)"
        let result = try await project.build(
            ["--inventory", inventory, "--image", try BuildCommandTests.image(fleet), "--tag", "v1",
             "--platform", "linux/amd64"], timeout: .seconds(240),
            terminateWhenSeen: { ProcFS.running(commandContaining: receiving) })
        #expect(result.status == 130, "\(result.stdout)\n\(result.stderr)")
        let signalledAt = try #require(result.signalledAt, "the upload never started on the host")
        print("interrupt during upload: exit 130 \(result.endedAt - signalledAt) after SIGTERM")
        #expect(result.endedAt - signalledAt < .seconds(5), "exit took \(result.endedAt - signalledAt) after SIGTERM")
        #expect(!result.stderr.contains("CancellationError"), "\(result.stderr)")
        // The host's tar is gone, and nothing of the half-sent context is left or published.
        var left = true
        repeat {
            left = ProcFS.running(commandContaining: receiving)
            if left { try await Task.sleep(for: .milliseconds(100)) }
        } while left && ContinuousClock.now - signalledAt < .seconds(5)
        #expect(!left, "the host's tar was still running 5 s after the interrupt")
        let contexts = (try? FileManager.default.contentsOfDirectory(atPath: workDir + "/contexts")) ?? []
        #expect(contexts.isEmpty, "left in the host's contexts after the interrupt: \(contexts)")
    }
}

extension BuildInterruptTests {
    /// amd64-1 with a work directory of the test's own, so that what is left in it is that test's.
    static func inventory(_ project: BuildCommandTests.Project, _ fleet: Fleet, workDir: String) throws -> String {
        try project.inventory("""
            { "hosts": [ { "name": "amd64-1", "address": "\(try fleet.value("TESTBED_HOST_AMD64"))", "port": 2222,
              "user": "root", "identityFiles": ["\(try fleet.value("TESTBED_SSH_KEY"))"], "agent": false,
              "knownHostsFile": "\(try fleet.value("TESTBED_KNOWN_HOSTS"))", "platforms": ["linux/amd64"],
              "workDir": "\(workDir)" } ] }
            """)
    }
}

private extension URL {
    /// Creates an empty file here and returns this URL.
    func creatingEmptyFile() throws -> URL {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        return self
    }
}
