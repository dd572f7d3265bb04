import Foundation
import TestSupport
import Testing

@testable import Worker

/// The store scripts of incremental context sync, with a local sh as the host.
@Suite("Incremental context sync")
struct ContextSyncTests {
    /// How an upload command ended.
    struct Ended {
        var status: Int32
        var stderr: String
        var succeeded: Bool { status == 0 }
    }

    /// One upload as ``ContextSync`` makes it: one command, the file list first, the host's answer read up to its
    /// end, then the tar stream, compressed when ``ContextSync/compresses(_:hostGunzips:)`` says so. Returns the
    /// objects sent, how the command ended, and how the stream went.
    private func upload(
        _ context: BuildContext, to store: RemoteContextStore, id: String, corrupt: Bool = false,
        environment: [String: String] = [:]
    ) async throws -> (sent: Int, digest: String, assembly: Ended, stream: (compressed: Bool, bytes: Int, tarBytes: Int64)) {
        let manifest = try await ContextManifest.make(for: context)
        let names = ContextSync.objectNames(context, manifest)
        let list = Array(names.unique.map { $0 + "\n" }.joined().utf8)
        let command = try store.uploadCommand(uploadID: id).command
        let (process, input, output) = try Self.start(command, environment: environment)
        input.write(Data(RemoteContextStore.uploadHeader(digest: manifest.digest, listBytes: list.count) + list))
        let answer = try await Self.readAnswer(output)
        let parsed = try #require(ContextSync.answer(in: answer), "no answer: \(String(decoding: answer, as: UTF8.self))")
        let (items, sent) = ContextSync.items(
            context, objectNames: names.perEntry, missing: parsed.missing)
        let stream = TarStream(
            root: context.root, items: items,
            compressed: ContextSync.compresses(items, hostGunzips: parsed.hostGunzips))
        var bytes: [UInt8] = []
        for try await chunk in stream { bytes += chunk }
        if corrupt {
            // Plain: a letter of the new content; compressed: a byte of the deflate data (its CRC catches it).
            if stream.compressed {
                bytes[bytes.count / 2] ^= 0x55
            } else if let index = bytes.indices.last(where: { bytes[$0] == UInt8(ascii: "v") }) {
                bytes[index] = UInt8(ascii: "w")
            }
        }
        input.write(Data((stream.compressed ? "z" : "t").utf8) + Data(bytes))
        try input.close()
        return (sent, manifest.digest, try await Self.finish(process, output),
            (stream.compressed, bytes.count, stream.summary.bytes))
    }

    /// `command` under `/bin/sh -c`, with pipes for its input and output (standard error in a file).
    private static func start(_ command: String, environment: [String: String]) throws
        -> (Process, FileHandle, (stdout: FileHandle, stderr: String))
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, given in given }
        let input = Pipe()
        let output = Pipe()
        let errors = NSTemporaryDirectory() + "upload-stderr-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: errors, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: errors])
        }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: errors)
        try process.run()
        return (process, input.fileHandleForWriting, (output.fileHandleForReading, errors))
    }

    /// Standard output up to the end of the answer (or of the output), read off the cooperative pool.
    private static func readAnswer(_ output: (stdout: FileHandle, stderr: String)) async throws -> [UInt8] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var answer: [UInt8] = []
                while ContextSync.answer(in: answer) == nil {
                    let chunk = output.stdout.availableData
                    if chunk.isEmpty { break }
                    answer += chunk
                }
                continuation.resume(returning: answer)
            }
        }
    }

    /// Waits for the command to end, reading the rest of its output.
    private static func finish(_ process: Process, _ output: (stdout: FileHandle, stderr: String)) async throws
        -> Ended
    {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                _ = output.stdout.readDataToEndOfFile()
                process.waitUntilExit()
                let stderr = (try? String(contentsOfFile: output.stderr, encoding: .utf8)) ?? ""
                try? FileManager.default.removeItem(atPath: output.stderr)
                continuation.resume(returning: Ended(status: process.terminationStatus, stderr: stderr))
            }
        }
    }

    /// A context of a Dockerfile and `app.txt` ("version one"), and a store in a work directory beside it.
    private func smallContext() throws -> (fixture: ContextFixture, work: String, store: RemoteContextStore) {
        let fixture = try ContextFixture()
        try fixture.write("Dockerfile", "FROM scratch\n")
        try fixture.write("app.txt", "version one\n")
        let work = fixture.root + "-work"
        return (fixture, work, RemoteContextStore(shell: RemoteShell(.sh), workDirectory: work))
    }

    /// One modification time for all `paths` (objects are keyed by time too).
    private func pinTimes(_ fixture: ContextFixture, _ paths: [String]) throws {
        for path in paths {
            try FileManager.default.setAttributes(
                [.modificationDate: Date(timeIntervalSince1970: 1_700_000_000)], ofItemAtPath: fixture.root + "/" + path)
        }
    }

    private func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test("a context is assembled from store objects with exact modes; a one-file change sends one object")
    func incremental() async throws {
        let fixture = try ContextFixture()
        defer { fixture.remove() }
        try fixture.write("Dockerfile", "FROM scratch\nCOPY . /\n")
        try fixture.write("bin/run.sh", "#!/bin/sh\necho v1\n", mode: 0o775)
        try fixture.write("a/same1", "same", mode: 0o644)
        try fixture.write("a/same2", "same", mode: 0o644)
        try fixture.write("a/same-exec", "same", mode: 0o755)
        try fixture.write("a/empty", "", mode: 0o600)
        try fixture.directory("open")
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: fixture.root + "/open")
        try fixture.link("a/link", to: "../bin/run.sh")
        try pinTimes(fixture, ["Dockerfile", "bin/run.sh", "a/same1", "a/same2", "a/same-exec", "a/empty"])
        let work = fixture.root + "-work"
        defer { try? FileManager.default.removeItem(atPath: work) }
        let store = RemoteContextStore(shell: RemoteShell(.sh), workDirectory: work)

        let first = try await upload(try BuildContext.scan(root: fixture.root), to: store, id: "one")
        #expect(first.assembly.succeeded, "\(first.assembly.stderr)")
        #expect(first.sent == 5)  // same1 and same2 share one object
        let assembled = store.path(for: first.digest)
        #expect(try String(contentsOfFile: assembled + "/bin/run.sh", encoding: .utf8) == "#!/bin/sh\necho v1\n")
        #expect(try mode(assembled + "/bin/run.sh") == 0o775)
        #expect(try mode(assembled + "/a/same-exec") == 0o755)
        #expect(try mode(assembled + "/a/empty") == 0o600)
        #expect(try mode(assembled + "/open") == 0o777)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: assembled + "/a/link") == "../bin/run.sh")
        #expect(try String(contentsOfFile: assembled + "/a/same2", encoding: .utf8) == "same")

        // Unchanged: nothing to send.
        let again = try await upload(try BuildContext.scan(root: fixture.root), to: store, id: "two")
        #expect(again.assembly.succeeded)
        #expect(again.sent == 0)
        #expect(again.digest == first.digest)

        // One file changed: one object sent, the rest linked from the store.
        try fixture.write("bin/run.sh", "#!/bin/sh\necho v2\n", mode: 0o775)
        try pinTimes(fixture, ["bin/run.sh"])
        let changed = try await upload(try BuildContext.scan(root: fixture.root), to: store, id: "three")
        #expect(changed.assembly.succeeded, "\(changed.assembly.stderr)")
        #expect(changed.sent == 1)
        #expect(changed.digest != first.digest)
        #expect(try String(contentsOfFile: store.path(for: changed.digest) + "/bin/run.sh", encoding: .utf8)
            == "#!/bin/sh\necho v2\n")
        #expect(try mode(store.path(for: changed.digest) + "/bin/run.sh") == 0o775)

        // Nothing of an upload is left behind but the published contexts and the store.
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/contexts").sorted()
            == [first.digest, changed.digest].sorted())
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/store") == ["sha256"], "no upload folder left")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/store/sha256").count == 6)

        // Pruning the older context removes the object only it used.
        _ = try await runSh(store.pruneCommand(ContextRetention(maximumAgeDays: 7, maximumTotalBytes: 0),
            keep: [changed.digest]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/contexts") == [changed.digest])
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/store/sha256").count == 5)
    }

    @Test("a release's one read of a changed context gives its archive digest and the sync's manifest")
    func oneRead() async throws {
        let fixture = try ContextFixture()
        defer { fixture.remove() }
        try fixture.write("Dockerfile", "FROM scratch\nCOPY . /\n")
        try fixture.write("bin/run.sh", "#!/bin/sh\necho v1\n", mode: 0o775)
        try fixture.write("a/empty", "", mode: 0o600)
        try fixture.write("a/big", String(repeating: "0123456789abcdef", count: 200_000))
        try fixture.link("a/link", to: "../bin/run.sh")
        let context = try BuildContext.scan(root: fixture.root)
        let cache = ContextDigestCache(path: nil)
        let manifests = ContextManifests()
        let digest = try await context.contentDigest(cache: cache, manifests: manifests)

        let archive = context.archive()
        for try await _ in archive {}
        #expect(archive.summary.digest == digest, "the archive digest is today's")
        #expect(archive.summary.fileDigests == nil, "a plain archive records no file digests")
        #expect(try await context.contentDigest(cache: ContextDigestCache(path: nil), manifests: nil) == digest,
            "without a POSIX host, the same digest and no file digests")
        #expect(await cache.digest(for: context.fingerprint)?.digest == digest)
        let (remembered, read) = try await manifests.manifest(for: context)
        #expect(!read, "the sync finds the manifest: no second read, and its sends hash again")
        let made = try await ContextManifest.make(for: context)
        #expect(remembered.fileDigests == made.fileDigests)
        #expect(remembered.digest == made.digest)
        #expect(remembered.fileCount == made.fileCount && remembered.fileBytes == made.fileBytes)
        #expect(remembered.fileCount == 4)

        // Known to the cache: nothing is read, and no manifest is made.
        let later = ContextManifests()
        #expect(try await context.contentDigest(cache: cache, manifests: later) == digest)
        #expect(try await later.manifest(for: context).read, "the later memory had no manifest")
    }

    /// The hash tools a host may have: `openssl dgst` (this machine's), or only `sha256sum` (an `openssl` first on
    /// PATH that fails, or one whose digests are wrong, must not be used).
    static let hashTools: [String] = ["openssl", "sha256sum (no working openssl)", "sha256sum (openssl that lies)"]

    /// A PATH for `tool`: the fake `openssl` in a folder of its own, first.
    private func environment(for tool: String, in folder: String) throws -> [String: String] {
        let script: String
        switch tool {
        case "openssl": return [:]
        case "sha256sum (no working openssl)": script = "#!/bin/sh\nexit 127\n"
        default: script = "#!/bin/sh\necho 0000000000000000000000000000000000000000000000000000000000000000 '*o/x'\n"
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(script.utf8).write(to: URL(fileURLWithPath: folder + "/openssl"))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder + "/openssl")
        return ["PATH": folder + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")]
    }

    @Test("whichever tool checks the objects, an intact upload is published", arguments: hashTools)
    func intact(tool: String) async throws {
        let fixture = try ContextFixture()
        defer { fixture.remove() }
        try fixture.write("Dockerfile", "FROM scratch\n")
        try fixture.write("app.txt", "version one\n")
        try fixture.write("b/c.txt", "another\n", mode: 0o600)
        let work = fixture.root + "-work"
        defer { try? FileManager.default.removeItem(atPath: work) }
        let store = RemoteContextStore(shell: RemoteShell(.sh), workDirectory: work)
        let result = try await upload(try BuildContext.scan(root: fixture.root), to: store, id: "good",
            environment: try environment(for: tool, in: work + "-bin"))
        defer { try? FileManager.default.removeItem(atPath: work + "-bin") }
        #expect(result.assembly.succeeded, "\(result.assembly.stderr)")
        #expect(result.sent == 3)
        #expect(try String(contentsOfFile: store.path(for: result.digest) + "/b/c.txt", encoding: .utf8) == "another\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/store/sha256").count == 3)
    }

    @Test("content damaged on the way fails the assembly and leaves no context, no object and no pin",
        arguments: hashTools)
    func damaged(tool: String) async throws {
        let (fixture, work, store) = try smallContext()
        defer { fixture.remove(); try? FileManager.default.removeItem(atPath: work) }
        let result = try await upload(try BuildContext.scan(root: fixture.root), to: store, id: "bad", corrupt: true,
            environment: try environment(for: tool, in: work + "-bin"))
        defer { try? FileManager.default.removeItem(atPath: work + "-bin") }
        #expect(!result.assembly.succeeded)
        #expect(result.assembly.stderr.contains("did not all arrive intact"))
        #expect(result.assembly.status == RemoteContextStore.damagedStatus, "the status the coordinator goes by")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/contexts").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/store") == ["sha256"], "no upload folder left")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/store/sha256").isEmpty)
    }

    /// The command can start before the coordinator knows whether the host needs the context: end-of-file where its
    /// header would be ends it at once, successfully, having made nothing (not even the work directory); anything
    /// but a header is refused, also having made nothing.
    @Test("an upload command ends having made nothing at end-of-file before its header, and refuses a bad header",
        arguments: ["", "upload 12 34\n", "upload \(String(repeating: "a", count: 64))\n", "hello\n"])
    func header(sent: String) async throws {
        let work = NSTemporaryDirectory() + "upload-header-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: work) }
        let store = RemoteContextStore(shell: RemoteShell(.sh), workDirectory: work)
        let (process, input, output) = try Self.start(try store.uploadCommand(uploadID: "h").command, environment: [:])
        input.write(Data(sent.utf8))
        try input.close()
        let ended = try await Self.finish(process, output)
        if sent.isEmpty {
            #expect(ended.succeeded && ended.stderr.isEmpty, "\(ended)")
        } else {
            #expect(ended.status == 2 && ended.stderr.contains("the upload did not begin with its header line"),
                "\(ended)")
        }
        #expect(!FileManager.default.fileExists(atPath: work), "nothing made")
    }

    /// The list is read by its length, and the tar stream follows only after the answer: a list cut short, or one
    /// whose answer is followed by end of input, leaves no context, no object and no pin.
    @Test("a list cut short, or no tar stream after the answer, leaves nothing behind", arguments: [true, false])
    func cutShort(listCut: Bool) async throws {
        let (fixture, work, store) = try smallContext()
        defer { fixture.remove(); try? FileManager.default.removeItem(atPath: work) }
        // One object stored first, so that the second upload pins it.
        #expect(try await upload(try BuildContext.scan(root: fixture.root), to: store, id: "first").assembly.succeeded)
        try fixture.write("app.txt", "version two\n")
        let context = try BuildContext.scan(root: fixture.root)
        let manifest = try await ContextManifest.make(for: context)
        let list = Array(ContextSync.objectNames(context, manifest).unique.map { $0 + "\n" }.joined().utf8)
        let command = try store.uploadCommand(uploadID: "cut").command
        let (process, input, output) = try Self.start(command, environment: [:])
        input.write(Data(RemoteContextStore.uploadHeader(digest: manifest.digest, listBytes: list.count)
            + (listCut ? list.dropLast(5) : list)))
        if !listCut {
            let answer = try await Self.readAnswer(output)
            #expect(ContextSync.answer(in: answer)?.missing.count == 1, "app.txt's new content")
        }
        try input.close()
        let ended = try await Self.finish(process, output)
        #expect(!ended.succeeded)
        if listCut { #expect(ended.stderr.contains("the file list arrived cut short"), "\(ended.stderr)") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/contexts").count == 1, "the first only")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/store") == ["sha256"], "no upload folder left")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/store/sha256").count == 2,
            "the first upload's objects (Dockerfile, app.txt) only")
    }

    /// A context of 300 small files with their own contents and varied modes (a host that has most of them gets a
    /// compressed stream), in a fixture with a work directory beside it.
    private func manyFiles() throws -> (fixture: ContextFixture, work: String, store: RemoteContextStore) {
        let fixture = try ContextFixture()
        try fixture.write("Dockerfile", "FROM scratch\nCOPY . /\n")
        for index in 0..<300 {
            try fixture.write("src/d\(index % 10)/file-\(index).txt",
                String(repeating: "line \(index) of a source file\n", count: 20), mode: index % 7 == 0 ? 0o755 : 0o644)
        }
        let work = fixture.root + "-work"
        return (fixture, work, RemoteContextStore(shell: RemoteShell(.sh), workDirectory: work))
    }

    @Test("a one-file change of 300 files goes gzip-compressed: 18 KB instead of a 512-byte header per file, exact modes")
    func compressedWhenMostlyHeaders() async throws {
        let (fixture, work, store) = try manyFiles()
        defer { fixture.remove(); try? FileManager.default.removeItem(atPath: work) }
        let first = try await upload(try BuildContext.scan(root: fixture.root), to: store, id: "one")
        #expect(first.assembly.succeeded, "\(first.assembly.stderr)")
        #expect(first.sent == 301)

        try fixture.write("src/d7/file-7.txt", "changed\n", mode: 0o755)
        let changed = try await upload(try BuildContext.scan(root: fixture.root), to: store, id: "two")
        #expect(changed.assembly.succeeded, "\(changed.assembly.stderr)")
        #expect(changed.sent == 1)
        #expect(changed.stream.compressed)
        #expect(changed.stream.tarBytes > 300 * 512, "a header per file before compression")
        // About 60 bytes per file remain: the link's target names the object by its SHA-256, which does not compress.
        #expect(changed.stream.bytes * 6 < Int(changed.stream.tarBytes),
            "\(changed.stream.bytes) bytes compressed from \(changed.stream.tarBytes)")
        let assembled = store.path(for: changed.digest)
        #expect(try String(contentsOfFile: assembled + "/src/d7/file-7.txt", encoding: .utf8) == "changed\n")
        #expect(try mode(assembled + "/src/d7/file-7.txt") == 0o755)
        #expect(try String(contentsOfFile: assembled + "/src/d3/file-13.txt", encoding: .utf8)
            == String(repeating: "line 13 of a source file\n", count: 20))
        #expect(try mode(assembled + "/src/d4/file-14.txt") == 0o755)
        #expect(try mode(assembled + "/src/d5/file-15.txt") == 0o644)
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/store") == ["sha256"], "no upload folder left")
    }

    @Test("a host without gzip says so and gets the plain stream")
    func hostWithoutGzip() async throws {
        let (fixture, work, store) = try manyFiles()
        defer { fixture.remove(); try? FileManager.default.removeItem(atPath: work) }
        #expect(try await upload(try BuildContext.scan(root: fixture.root), to: store, id: "one").assembly.succeeded)
        // A PATH with every program but gzip.
        let bin = try ToolPath(without: ["gzip"])
        defer { bin.remove() }
        try fixture.write("src/d7/file-7.txt", "changed\n")
        let changed = try await upload(try BuildContext.scan(root: fixture.root), to: store, id: "two",
            environment: ["PATH": bin.path])
        #expect(changed.assembly.succeeded, "\(changed.assembly.stderr)")
        #expect(!changed.stream.compressed)
        #expect(changed.sent == 1)
        #expect(try String(contentsOfFile: store.path(for: changed.digest) + "/src/d7/file-7.txt", encoding: .utf8)
            == "changed\n")
    }

    @Test("a compressed stream damaged on the way leaves no context, no object and no pin")
    func compressedDamaged() async throws {
        let (fixture, work, store) = try manyFiles()
        defer { fixture.remove(); try? FileManager.default.removeItem(atPath: work) }
        let first = try await upload(try BuildContext.scan(root: fixture.root), to: store, id: "one")
        #expect(first.assembly.succeeded)
        try fixture.write("src/d7/file-7.txt", "changed\n")
        let damaged = try await upload(try BuildContext.scan(root: fixture.root), to: store, id: "two", corrupt: true)
        #expect(damaged.stream.compressed)
        #expect(!damaged.assembly.succeeded)
        #expect(damaged.assembly.stderr.contains("the compressed stream arrived damaged"), "\(damaged.assembly.stderr)")
        #expect(damaged.assembly.status == 1, "a damaged stream, not a mismatching object")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/contexts") == [first.digest])
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/store") == ["sha256"], "no upload folder left")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/store/sha256").count == 301,
            "the first upload's objects only")
    }

    @Test("the host's answer: whole only at its end line, which says whether the host has gzip")
    func answerParsing() {
        let name = String(repeating: "a", count: 64) + "-100644-1700000000"
        #expect(ContextSync.answer(in: Array("\(name)\nmissing-end gzip\n".utf8))
            == ContextSync.Answer(missing: [name], hostGunzips: true))
        #expect(ContextSync.answer(in: Array("missing-end\n".utf8)) == ContextSync.Answer(missing: [], hostGunzips: false))
        #expect(ContextSync.answer(in: Array("\(name)\nmissing-end".utf8)) == nil, "no newline yet")
        #expect(ContextSync.answer(in: Array("\(name)\n".utf8)) == nil)
        #expect(ContextSync.answer(in: Array("\(name)\nmissing-end gz".utf8)) == nil)
    }
}
