import Foundation
import Shared
import Testing
import TestSupport

@testable import Worker

/// Remote builds on the test fleet: real sshd hosts, the fleet's Docker engine with buildx, buildah, and the
/// local registry.
@Suite("Remote builds on the fleet", .serialized)
struct RemoteWorkerTests {
    struct Fixture {
        let fleet: Fleet
        let inventory: Inventory
        let registry: String
        let directory: String

        init() throws {
            fleet = try Fleet.require()
            inventory = try Inventory.load(path: try fleet.value("TESTBED_INVENTORY"))
            registry = try fleet.value("TESTBED_REGISTRY")
            directory = NSTemporaryDirectory() + "coordinator-remote-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }

        /// The fleet's host, with a work directory of this fixture's own: its slots (and contexts) are not the
        /// ones the other suites' builds on the same host hold at the same time.
        func host(_ name: String) throws -> BuildHost {
            var host = try #require(inventory.host(named: name))
            host.workDir += "/remote-worker-" + directory.suffix(12)
            return host
        }

        /// A context directory with the given files.
        func context(_ files: [String: String]) throws -> String {
            try Self.context(files, under: directory)
        }

        /// A new context directory under `directory` with the given files (path to contents).
        static func context(_ files: [String: String], under directory: String) throws -> String {
            let root = directory + "/ctx-\(UUID().uuidString)"
            for (path, contents) in files {
                let full = root + "/" + path
                try FileManager.default.createDirectory(
                    atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(contents.utf8).write(to: URL(fileURLWithPath: full))
            }
            return root
        }

        /// amd64-1 (with this fixture's work directory), a connection to it, and a small new context for it.
        func connectedWithContext() async throws -> (
            host: BuildHost, shell: RemoteShell, root: String, connection: SSHConnection
        ) {
            let host = try host("amd64-1")
            let root = try context(["Dockerfile": "FROM scratch\nCOPY . /\n", "data.txt": UUID().uuidString])
            return (host, RemoteShell(host.shell), root, try await SSHConnection.connect(to: SSHTarget(host: host)))
        }

        func worker(_ host: BuildHost) -> RemoteWorker {
            RemoteWorker(host: host, digestCache: ContextDigestCache(path: directory + "/digests.json"))
        }

        func remove() {
            try? FileManager.default.removeItem(atPath: directory)
        }

        /// Builds the context at `root` for `platform` on `host`, expecting it to be refused with a
        /// ``RemoteBuildError`` of the probing phase, classified infrastructure, whose text holds `words`.
        func expectRefusal(
            on host: BuildHost, platform: Platform, root: String, naming words: [String],
            sourceLocation: Testing.SourceLocation = #_sourceLocation
        ) async {
            let tag = "\(registry)/worker-test/refused:v1-\(platform.tagSuffix(windowsVersion: nil))"
            await #expect(sourceLocation: sourceLocation) {
                try await worker(host).build(
                    BuildRequest(tag: tag, platform: platform), context: try BuildContext.scan(root: root))
            } throws: { error in
                guard let error = error as? RemoteBuildError else { return false }
                return error.phase == .probing && error.failureKind == .infrastructure
                    && words.allSatisfy(error.description.contains)
            }
        }
    }

    @Test("linux/amd64 with buildx on amd64-1 and linux/arm64 with buildx on arm64-1 push single-platform manifests")
    func buildxBothArchitectures() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let root = try fixture.context(["Dockerfile": "FROM scratch\nCOPY hello.txt /\n", "hello.txt": "hello\n"])
        let context = try BuildContext.scan(root: root)
        for (name, platform) in [("amd64-1", Platform.linuxAMD64), ("arm64-1", Platform.linuxARM64)] {
            let tag = "\(fixture.registry)/worker-test/buildx:v1-\(platform.tagSuffix(windowsVersion: nil))"
            let lines = LineCollector()
            let result = try await fixture.worker(try fixture.host(name)).build(
                BuildRequest(tag: tag, platform: platform), context: context,
                options: .init(
                    logFile: fixture.directory + "/\(name).log", onLog: { $0.forEach { lines.add($0.text) } }))
            #expect(result.digest.map(Digests.isValid) == true)
            #expect(result.host == name)
            #expect(result.phases[.connecting] != nil && result.phases[.building] != nil)
            #expect(!lines.all.isEmpty)
            #expect(!lines.all.contains { $0.contains(HostProbe.marker) || $0.contains("containerimage.digest") },
                "the metadata the script prints after the build is its result, not log")
            let inspect = try await runTool("skopeo", ["inspect", "--tls-verify=false", "--raw", "docker://\(tag)"], environment: [:])
            #expect(inspect.status == 0)
            let config = try await runTool("skopeo", ["inspect", "--tls-verify=false", "--config", "docker://\(tag)"], environment: [:])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(config.output.utf8)) as? [String: Any])
            #expect(json["architecture"] as? String == platform.architecture)
            let manifest = try #require(try JSONSerialization.jsonObject(with: Data(inspect.output.utf8)) as? [String: Any])
            #expect(manifest["manifests"] == nil, "a single-platform manifest, not a list")
        }
    }

    @Test("windows/amd64 cross-built with buildah carries os.version 10.0.20348.x")
    func windowsWithBuildah() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let root = try fixture.context([
            "Dockerfile-Windows": "ARG OS_VERSION\nFROM scratch\nCOPY hello.txt /\n", "hello.txt": "hello windows\n",
        ])
        let context = try BuildContext.scan(root: root, dockerfile: "Dockerfile-Windows")
        let tag = "\(fixture.registry)/worker-test/buildah:v1-windows-ltsc2022-amd64"
        let result = try await fixture.worker(try fixture.host("wincross-1")).build(
            BuildRequest(tag: tag, platform: Platform.windowsAMD64, windowsVersion: .ltsc2022,
                windowsOSVersion: "10.0.20348.2527", dockerfile: "Dockerfile-Windows", insecureRegistry: true),
            context: context)
        #expect(result.digest.map(Digests.isValid) == true)
        #expect(result.mediaType == ManifestFormat.docker.mediaType)
        let config = try await runTool("skopeo", ["inspect", "--tls-verify=false", "--config", "docker://\(tag)"], environment: [:])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(config.output.utf8)) as? [String: Any])
        #expect(json["os"] as? String == "windows")
        #expect(json["architecture"] as? String == "amd64")
        #expect((json["os.version"] as? String)?.hasPrefix("10.0.20348.") == true)
    }

    @Test("a second build of an unchanged context sends zero context bytes, also from a process that never shipped it")
    func unchangedContextIsNotResent() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let root = try fixture.context([
            "Dockerfile": "FROM scratch\nCOPY . /\n", "data.bin": String(repeating: "x", count: 200_000) + UUID().uuidString,
        ])
        let host = try fixture.host("amd64-1")
        let worker = fixture.worker(host)
        let request = BuildRequest(tag: "\(fixture.registry)/worker-test/cache:v1-linux-amd64", platform: .linuxAMD64)
        let first = try await worker.build(request, context: try BuildContext.scan(root: root))
        #expect(first.contextBytesSent > 200_000)
        let second = try await worker.build(request, context: try BuildContext.scan(root: root))
        #expect(second.contextBytesSent == 0)
        #expect(second.phases[.uploading] == .zero, "the probe already said the host has the context")
        #expect(second.contextDigest == first.contextDigest)
        #expect(second.digest == first.digest)
        // Another process (a fresh CI runner): an empty digest cache, no manifests; its release reads the context
        // once before any host.
        let cache = ContextDigestCache(path: nil)
        let context = try BuildContext.scan(root: root)
        _ = try await context.contentDigest(cache: cache, manifests: ContextManifests())
        let fresh = try await RemoteWorker(host: host, digestCache: cache).build(request, context: context)
        #expect(fresh.contextBytesSent == 0, "neither a file list nor tar headers")
        #expect(fresh.phases[.uploading] == .zero, "the build's probe found the host's context")
        #expect(fresh.contextDigest == first.contextDigest)
        #expect(fresh.digest == first.digest)
    }

    @Test("a one-file change in a 200-file context goes gzip-compressed through SSH: under 40 KB in all, not 120 KB")
    func oneFileChangeCompressed() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        var files = ["Dockerfile": "FROM scratch\nCOPY . /\n"]
        for index in 0..<200 { files["src/f\(index).txt"] = "file \(index) " + UUID().uuidString }
        let root = try fixture.context(files)
        let worker = fixture.worker(try fixture.host("amd64-1"))
        let request = BuildRequest(tag: "\(fixture.registry)/worker-test/compressed:v1-linux-amd64", platform: .linuxAMD64)
        let first = try await worker.build(request, context: try BuildContext.scan(root: root))
        #expect(first.contextFilesSent == 201)
        try Data("changed".utf8).write(to: URL(fileURLWithPath: root + "/src/f7.txt"))
        let second = try await worker.build(request, context: try BuildContext.scan(root: root))
        #expect(second.contextFilesSent == 1)
        // The list (201 object names, 16.5 KB) and the stream; plain, the stream alone is a 512-byte header per file.
        #expect(second.contextBytesSent < 40_000, "\(second.contextBytesSent) bytes")
        #expect(second.contextDigest != first.contextDigest)
        #expect(second.digest != first.digest)
    }

    /// A build of a context the release had to read starts the upload command beside the probe
    /// (``ContextSync/Started``): the upload must then go through that command, not a second one, and a command
    /// that turns out not to be needed must end by itself, having made nothing on the host.
    @Test("an upload command started before it is needed carries the upload; abandoned, it ends having made nothing")
    func startedUpload() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let (host, shell, root, connection) = try await fixture.connectedWithContext()
        let store = RemoteContextStore(shell: shell, workDirectory: host.workDir)
        let started = try ContextSync.Started.start(connection: connection, store: store)
        let shipped = try await ContextSync(connection: connection, shell: shell, workDirectory: host.workDir,
            cache: ContextDigestCache(path: nil), manifests: ContextManifests()).ship(
                try BuildContext.scan(root: root), started: started)
        #expect(!started.claim(), "the upload went through the command started for it")
        #expect(shipped.filesSent == 2)
        let check = try await connection.run(store.checkCommand(digest: shipped.digest))
        #expect(check.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "present")
        // Not needed: end-of-file where its header would be. It exits 0 with no output, and makes nothing.
        let unused = host.workDir + "/unused"
        let idle = try ContextSync.Started.start(
            connection: connection, store: RemoteContextStore(shell: shell, workDirectory: unused))
        #expect(idle.claim())
        idle.parts.finish()
        let ended = try await SSHConnection.collect(idle.process)
        #expect(ended.status == .exited(0) && ended.stdout.isEmpty && ended.stderr.isEmpty, "\(ended)")
        // abandon() does the same without waiting for it: the command is gone soon after, and nothing was made.
        let abandoned = try ContextSync.Started.start(
            connection: connection, store: RemoteContextStore(shell: shell, workDirectory: unused))
        abandoned.abandon()
        #expect(!abandoned.claim(), "abandoned once")
        // The bracket keeps pgrep's own shell, whose command line holds the pattern too, from matching itself.
        let pattern = try POSIXShell.quote("[" + unused.prefix(1) + "]" + unused.dropFirst())
        var running = true
        for _ in 0..<50 where running {
            running = try await connection.run("pgrep -f -- \(pattern)").status == .exited(0)
            if running { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(!running, "the abandoned upload command still runs on the host")
        let made = try await connection.run("test -e \(try POSIXShell.quote(unused))")
        #expect(made.status != .exited(0), "the unused commands made \(unused)")
        let uploads = try await connection.run("ls -A \(try POSIXShell.quote(host.workDir + "/store"))")
        #expect(uploads.stdoutText.split(separator: "\n") == ["sha256"], "no upload folder left: \(uploads.stdoutText)")
        await connection.close()
    }

    /// When the release's read left the context's manifest, the early upload command gets its file list at once
    /// (``ContextSync/Started/start(connection:store:listing:)``): the host works out which contents it lacks
    /// before the upload is claimed, the list is not sent a second time (the host would take it for the stream's
    /// format byte and fail), and an abandoned command leaves no upload folder and no pin.
    @Test("an upload command started with its file list answers before it is claimed; abandoned, it leaves nothing")
    func startedUploadWithList() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let (host, shell, root, connection) = try await fixture.connectedWithContext()
        let workDirectory = host.workDir + "/listed-" + RemoteWorker.randomID()
        let store = RemoteContextStore(shell: shell, workDirectory: workDirectory)
        let context = try BuildContext.scan(root: root)
        let manifests = ContextManifests()
        let (manifest, _) = try await manifests.manifest(for: context)
        let started = try ContextSync.Started.start(
            connection: connection, store: store, listing: ContextSync.Listing(context, manifest, family: .posix))
        #expect(started.listed == manifest.digest)
        // The host answers (and starts its record of added objects) before anything claims the command.
        let answered = "test -f \(try POSIXShell.quote(workDirectory))/store/.up-*/added"
        var early = false
        for _ in 0..<100 where !early {
            early = try await connection.run(answered).status == .exited(0)
            if !early { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(early, "the host had not answered the list before the upload was claimed")
        let shipped = try await ContextSync(connection: connection, shell: shell, workDirectory: workDirectory,
            cache: ContextDigestCache(path: nil), manifests: manifests).ship(context, started: started)
        #expect(!started.claim(), "the upload went through the command started for it")
        #expect(shipped.filesSent == 2)
        let check = try await connection.run(store.checkCommand(digest: shipped.digest))
        #expect(check.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "present")
        // Listed, then not needed (the probe found the context on the host): the command pinned both objects the host
        // now has, and abandoned it removes its folder, pins included; the store keeps its objects.
        let again = try ContextSync.Started.start(
            connection: connection, store: store, listing: ContextSync.Listing(context, manifest, family: .posix))
        for _ in 0..<100 {
            if try await connection.run(answered).status == .exited(0) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        again.abandon()
        let folders = "ls -A \(try POSIXShell.quote(workDirectory + "/store"))"
        var left = ""
        for _ in 0..<50 {
            left = try await connection.run(folders).stdoutText
            if left.split(separator: "\n") == ["sha256"] { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(left.split(separator: "\n") == ["sha256"], "no upload folder left: \(left)")
        let objects = try await connection.run(
            "ls \(try POSIXShell.quote(workDirectory + "/store/sha256")) | wc -l").stdoutText
        #expect(objects.trimmingCharacters(in: .whitespacesAndNewlines) == "2", "objects: \(objects)")
        _ = try await connection.run(shell.command(for: RemoteScript([.removeTree(workDirectory)])))
        await connection.close()
    }

    @Test("a file changed to the same size after the scan fails the platform; nothing is built from it")
    func changedAfterScan() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let root = try fixture.context([
            "Dockerfile": "FROM scratch\nCOPY . /\n", "data.txt": "before " + UUID().uuidString,
        ])
        let worker = fixture.worker(try fixture.host("amd64-1"))
        let request = BuildRequest(tag: "\(fixture.registry)/worker-test/changed:v1-linux-amd64", platform: .linuxAMD64)
        let context = try BuildContext.scan(root: root)
        // Same size, in place: only the times (the change time, which no one can set) tell.
        let path = root + "/data.txt"
        let original = try String(contentsOfFile: path, encoding: .utf8)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.write(contentsOf: Data(("after! " + original.dropFirst(7)).utf8))
        try handle.close()
        await #expect {
            _ = try await worker.build(request, context: context)
        } throws: { error in
            String(describing: error).contains("changed after the context was scanned")
        }
    }

    @Test("a build that succeeds is one command on the host: probe answers, gate, script; no builder check")
    func oneCommandPerBuild() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let host = try fixture.host("arm64-1")
        // The ECDSA key marks this test's connections in the host's sshd log (other tests log in with ed25519).
        var target = SSHTarget(host: host)
        target.identityFiles = [try fixture.fleet.value("TESTBED_SSH_KEY_ECDSA")]
        let worker = RemoteWorker(host: host, target: target,
            digestCache: ContextDigestCache(path: fixture.directory + "/digests.json"))
        let root = try fixture.context(["Dockerfile": "FROM scratch\nCOPY unique /\n", "unique": UUID().uuidString])
        let request = BuildRequest(tag: "\(fixture.registry)/worker-test/sessions:v1-linux-arm64", platform: .linuxARM64)
        _ = try await worker.build(request, context: try BuildContext.scan(root: root))
        let sshdLog = try fixture.fleet.value("TESTBED_DIR") + "/hosts/arm64-1/sshd.log"
        let offset = try FileManager.default.attributesOfItem(atPath: sshdLog)[.size] as? Int ?? 0
        let second = try await worker.build(request, context: try BuildContext.scan(root: root))
        #expect(second.contextBytesSent == 0)
        #expect(second.digest != nil)
        let window = try #require(FileHandle(forReadingAtPath: sshdLog))
        try window.seek(toOffset: UInt64(offset))
        let lines = String(decoding: try window.readToEnd() ?? Data(), as: UTF8.self).split(whereSeparator: \.isNewline)
        func port(_ line: Substring) -> Substring? {
            line.split(separator: " ").drop { $0 != "port" }.dropFirst().first
        }
        let ours = Set(lines.filter { $0.hasPrefix("Accepted publickey") && $0.contains(" ECDSA ") }.compactMap(port))
        let sessions = ours.map { connection in
            lines.filter { $0.hasPrefix("Starting session") && port($0) == connection }.count
        }
        // A probe command of its own before the build, or a builder check beside it, would make more.
        #expect(!ours.isEmpty && sessions.max() == 1, "sessions per ECDSA connection: \(sessions)")
    }

    @Test("tar output lands under the Velero name and skopeo reads it as a docker-archive")
    func tarballOutput() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let root = try fixture.context(["Dockerfile": "FROM scratch\nCOPY hello.txt /\n", "hello.txt": "tar\n"])
        let destination = fixture.directory + "/" + Platform.linuxARM64.tarballPath(bin: "velero", version: "main",
            windowsVersion: nil)
        #expect(destination.hasSuffix("_output/velero-main-linux-arm64.tar"))
        let result = try await fixture.worker(try fixture.host("arm64-1")).build(
            BuildRequest(tag: "worker-test/velero:main-linux-arm64", platform: .linuxARM64, output: .tarball(.docker)),
            context: try BuildContext.scan(root: root), options: .init(tarballDestination: destination))
        #expect(result.tarball == destination)
        let inspect = try await runTool("skopeo", ["inspect", "docker-archive:\(destination)"], environment: [:])
        #expect(inspect.status == 0, "\(inspect.output)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(inspect.output.utf8)) as? [String: Any])
        #expect(json["Architecture"] as? String == "arm64")
        let sum = try await runTool("sha256sum", [destination], environment: [:])
        #expect(sum.output.hasPrefix(try #require(result.tarballSHA256)))
    }

    @Test("hostile build-arg values arrive literally in the image and execute nothing")
    func hostileBuildArguments() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let marker = "/tmp/coordinator-pwned-\(UUID().uuidString)"
        let hostile = [
            "$(touch \(marker))", "`touch \(marker)`", "'; touch \(marker); '", "\"; touch \(marker); \"",
            "a\\\"b\\'c $HOME ${PATH} %PATH% !x! ^& | > < * ? [x] ~ # é ☃",
            "two\nlines; touch \(marker)",
        ]
        let base = try fixture.fleet.value("TESTBED_BASE_IMAGE")
        var dockerfile = "FROM \(base)\n"
        for index in hostile.indices {
            dockerfile += "ARG HOSTILE\(index)\nRUN --network=none printf '%s' \"$HOSTILE\(index)\" > /arg\(index).txt\n"
        }
        let root = try fixture.context(["Dockerfile": dockerfile])
        let tag = "\(fixture.registry)/worker-test/hostile-\(UUID().uuidString.prefix(8).lowercased()):v1-linux-amd64"
        let request = BuildRequest(tag: tag, platform: .linuxAMD64,
            buildArguments: hostile.enumerated().map { BuildArgument("HOSTILE\($0.offset)", $0.element) }, noCache: true)
        _ = try await fixture.worker(try fixture.host("amd64-1")).build(request, context: try BuildContext.scan(root: root))
        #expect(!FileManager.default.fileExists(atPath: marker))
        let docker = ["DOCKER_HOST": try fixture.fleet.value("TESTBED_DOCKER_HOST")]
        _ = try await runTool("docker", ["pull", "-q", tag], environment: docker)
        // The files are copied out of a created container, not printed by a `docker run`, whose output a loaded
        // engine can lose for a container that exits at once (seen once in a full local run: exit 0, no output).
        let container = "hostile-\(UUID().uuidString.prefix(12).lowercased())"
        let created = try await runTool("docker", ["create", "--name", container, tag, "true"], environment: docker)
        #expect(created.status == 0, "\(created.output)")
        for (index, value) in hostile.enumerated() {
            let local = fixture.directory + "/arg\(index).txt"
            let copied = try await runTool("docker", ["cp", "\(container):/arg\(index).txt", local], environment: docker)
            let read = (try? String(contentsOfFile: local, encoding: .utf8)) ?? ""
            #expect(read == value, "docker cp exited \(copied.status): \(copied.output)")
        }
        _ = try await runTool("docker", ["rm", container], environment: docker)
    }

    @Test("classic docker build + docker push: digest from the push output, equal to the registry's")
    func dockerClassic() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        var host = try fixture.host("amd64-1")
        host.builder = .docker
        let root = try fixture.context(["Dockerfile": "FROM scratch\nCOPY c.txt /\n", "c.txt": UUID().uuidString])
        let tag = "\(fixture.registry)/worker-test/classic:v1-linux-amd64"
        let result = try await fixture.worker(host).build(
            BuildRequest(tag: tag, platform: .linuxAMD64), context: try BuildContext.scan(root: root))
        let digest = try #require(result.digest)
        #expect(Digests.isValid(digest))
        #expect(result.size != nil)
        let inspect = try await runTool("skopeo", ["inspect", "--tls-verify=false", "docker://\(tag)"], environment: [:])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(inspect.output.utf8)) as? [String: Any])
        #expect(json["Digest"] as? String == digest)
    }

    @Test("a host whose architecture lies is refused before any build")
    func lyingHostRefused() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        var liar = try fixture.host("amd64-2")
        liar.platforms = [.linuxARM64]
        // A work directory of its own: BuildCommandTests' failover builds use amd64-2's at the same time.
        liar.workDir += "/liar-" + UUID().uuidString
        let runs = liar.workDir + "/runs"
        let contextsBefore = (try? FileManager.default.contentsOfDirectory(atPath: liar.workDir + "/contexts")) ?? []
        let root = try fixture.context(["Dockerfile": "FROM scratch\n", "unique": UUID().uuidString])
        await fixture.expectRefusal(on: liar, platform: .linuxARM64, root: root, naming: ["linux/arm64", "x86_64"])
        let contextsAfter = (try? FileManager.default.contentsOfDirectory(atPath: liar.workDir + "/contexts")) ?? []
        #expect(Set(contextsAfter) == Set(contextsBefore), "no context was shipped")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? []).isEmpty, "no build ran")
    }

    @Test("a failed build whose builder the check then finds unusable is the host's failure (infrastructure)")
    func unusableBuilder() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        var host = try fixture.host("amd64-2")
        host.builderInstance = "coordinator-missing-instance"
        let root = try fixture.context(["Dockerfile": "FROM scratch\nCOPY unique /\n", "unique": UUID().uuidString])
        await fixture.expectRefusal(on: host, platform: .linuxAMD64, root: root,
            naming: ["buildx builder cannot be used", "coordinator-missing-instance"])
    }

    @Test("registry credentials reach the host on stdin only; a build failure is classified and logged")
    func credentialsAndFailures() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let password = try fixture.fleet.value("TESTBED_REGISTRY_PASSWORD")
        let login = RegistryLogin(server: try fixture.fleet.value("TESTBED_REGISTRY_TOKEN"),
            username: try fixture.fleet.value("TESTBED_REGISTRY_USER"), password: password)
        let root = try fixture.context(["Dockerfile": "FROM scratch\nCOPY missing-file /\n"])
        let lines = LineCollector()
        let logFile = fixture.directory + "/failure.log"
        await #expect {
            try await fixture.worker(try fixture.host("wincross-1")).build(
                BuildRequest(tag: "\(login.server)/worker-test/fail:v1-linux-amd64", platform: .linuxAMD64,
                    insecureRegistry: true, login: login),
                context: try BuildContext.scan(root: root),
                options: .init(logFile: logFile, onLog: { $0.forEach { lines.add($0.text) } }))
        } throws: { error in
            guard let error = error as? RemoteBuildError else { return false }
            return error.phase == .building && error.failureKind == .build && !error.logTail.isEmpty
        }
        #expect(lines.all.contains { $0.contains("Login Succeeded") })
        #expect(!lines.all.contains { $0.contains(password) })
        #expect(!(try String(contentsOfFile: logFile, encoding: .utf8)).contains(password))
        let sshdLog = try String(contentsOfFile: try fixture.fleet.value("TESTBED_DIR") + "/hosts/wincross-1/sshd.log",
            encoding: .utf8)
        #expect(!sshdLog.contains(password))
    }
}

/// Collects log lines from the worker's callback.
final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func add(_ line: String) {
        lock.withLock { lines.append(line) }
    }

    var all: [String] {
        lock.withLock { lines }
    }
}

/// Arbitrary strings round-trip through POSIX quoting and the fleet hosts' real sh over SSH.
@Suite("Quoting through the fleet's shells")
struct FleetQuotingTests {
    @Test("random strings with quotes, $, backticks, %, !, ^, newlines and unicode come back unchanged")
    func roundTrip() async throws {
        let fleet = try Fleet.require()
        let inventory = try Inventory.load(path: try fleet.value("TESTBED_INVENTORY"))
        let alphabet = Array("'\"`$\\%!^&|;<>()[]{}*?~#= \t\nabcXYZ019é☃\u{2019}\u{301}\r-_./:")
        var random = SplitMix64(seed: 42)
        var values = hostileValuesForFleet
        for _ in 0..<200 {
            let length = Int(random.next() % 24)
            values.append(String((0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }))
        }
        for host in inventory.hosts.prefix(2) {
            let connection = try await SSHConnection.connect(to: SSHTarget(host: host))
            defer { Task { await connection.close() } }
            let command = try POSIXShell.commandLine(["printf", "%s\\0"] + values)
            let result = try await connection.run(command)
            let echoed = result.stdout.split(separator: 0, omittingEmptySubsequences: false).dropLast()
                .map { String(decoding: $0, as: UTF8.self) }
            #expect(echoed == values, "host \(host.name)")
        }
    }
}

let hostileValuesForFleet = [
    "", "'", "''", "\"", "$HOME", "$(id)", "`id`", "\\", "%PATH%", "!!", "^", "\n", "\r\n", "é☃", "a b", "*", "~",
]

@Suite("Host checks on the fleet")
struct HostCheckTests {
    @Test("every fleet host passes its check; the arm64 fixture host reports aarch64")
    func fleetHostsCheck() async throws {
        let fleet = try Fleet.require()
        let inventory = try Inventory.load(path: try fleet.value("TESTBED_INVENTORY"))
        for host in inventory.hosts {
            let probe = try await RemoteWorker(host: host, digestCache: ContextDigestCache(path: nil)).check()
            #expect(probe.operatingSystem == "linux", "\(host.name)")
            #expect(probe.builder.problem == nil, "\(host.name)")
            #expect(probe.builder.version != nil, "\(host.name)")
            if host.name == "arm64-1" {
                #expect(probe.reportedArchitecture == "aarch64")
            }
            if host.builder == .buildx {
                #expect(probe.builder.buildxDriver == "docker", "\(host.name)")
            }
        }
    }
}
