import Crypto
import Foundation
import TestSupport
import Testing

@testable import Worker

/// A temporary directory tree for context tests, removed by `remove()`.
struct ContextFixture {
    let root: String

    init() throws {
        root = NSTemporaryDirectory() + "coordinator-context-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    func write(_ path: String, _ contents: String = "x", mode: Int = 0o644) throws {
        let full = root + "/" + path
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: full))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: full)
    }

    func link(_ path: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: root + "/" + path, withDestinationPath: target)
    }

    func directory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: root + "/" + path, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// Runs a program and returns its standard output.
func run(_ executable: String, _ arguments: [String]) async throws -> String {
    try await Shell.run([executable] + arguments).stdout
}

@Suite("Build context scan and archive")
struct ContextArchiveTests {
    @Test("the walk keeps what Docker keeps, in walk order, with excluded parents of re-included files")
    func walk() throws {
        let fixture = try ContextFixture()
        defer { fixture.remove() }
        try fixture.write("Dockerfile", "FROM scratch\n")
        try fixture.write(".dockerignore", "*.log\nbuild\n!build/keep.txt\nsecret*\n**/*.tmp\nDockerfile\n")
        try fixture.write("app.go")
        try fixture.write("debug.log")
        try fixture.write("build/out.bin")
        try fixture.write("build/keep.txt")
        try fixture.write("src/a.tmp")
        try fixture.write("src/b.go")
        try fixture.write("src/nested/c.tmp")
        try fixture.write("secrets.env")
        try fixture.write("a-b")
        try fixture.write("a/z")
        try fixture.link("link", to: "src/b.go")
        let context = try BuildContext.scan(root: fixture.root)
        #expect(context.ignoreFile == ".dockerignore")
        #expect(context.paths == [
            ".dockerignore", "Dockerfile", "a", "a/z", "a-b", "app.go", "build", "build/keep.txt", "link", "src",
            "src/b.go", "src/nested",
        ])
    }

    @Test("the coordinator's own log directory and tarballs inside the context are never sent; the rest of _output is")
    func ownOutputsLeftOut() throws {
        let fixture = try ContextFixture()
        defer { fixture.remove() }
        try fixture.write("Dockerfile", "FROM scratch\nCOPY _output/bin/tool /\n")
        // An ignore-file exception cannot bring them back either.
        try fixture.write(".dockerignore", "!_output/logs/app.log\n")
        try fixture.write("_output/bin/tool")
        try fixture.write("_output/logs/app.log")
        try fixture.write("_output/app-v1-linux-amd64.tar")
        try fixture.write("_output/app-v1-linux-arm64.tar")
        // Given through a symlink to the context, and once as a path that does not exist yet.
        let alias = fixture.root + "-alias"
        try FileManager.default.createSymbolicLink(atPath: alias, withDestinationPath: fixture.root)
        defer { try? FileManager.default.removeItem(atPath: alias) }
        let outputs = [alias + "/_output/logs", fixture.root + "/_output/app-v1-linux-amd64.tar",
                       fixture.root + "/_output/new/dir/app.tar", "/elsewhere/_output/logs"]
        let context = try BuildContext.scan(root: fixture.root, ownOutputs: outputs)
        #expect(context.paths == [
            ".dockerignore", "Dockerfile", "_output", "_output/app-v1-linux-arm64.tar", "_output/bin", "_output/bin/tool",
        ])
        #expect(BuildContext.contextRelative(outputs, inside: alias)
            == ["_output/logs", "_output/app-v1-linux-amd64.tar", "_output/new/dir/app.tar"])
        // `_output` holding nothing but the coordinator's logs is not sent at all.
        try FileManager.default.removeItem(atPath: fixture.root + "/_output/bin")
        try FileManager.default.removeItem(atPath: fixture.root + "/_output/app-v1-linux-arm64.tar")
        #expect(try BuildContext.scan(root: fixture.root, ownOutputs: outputs).paths == [".dockerignore", "Dockerfile"])
        // The log changing does not change the context's fingerprint.
        let before = try BuildContext.scan(root: fixture.root, ownOutputs: outputs).fingerprint
        try fixture.write("_output/logs/app.log", "a longer log than before")
        #expect(try BuildContext.scan(root: fixture.root, ownOutputs: outputs).fingerprint == before)
        // A context that is not a parent of them keeps everything.
        #expect(BuildContext.contextRelative(outputs, inside: fixture.root + "/_output/bin").isEmpty)
    }

    @Test("a Dockerfile-specific ignore file wins over .dockerignore and is sent")
    func dockerfileSpecificIgnore() throws {
        let fixture = try ContextFixture()
        defer { fixture.remove() }
        try fixture.write("Dockerfile-Windows", "FROM scratch\n")
        try fixture.write("Dockerfile-Windows.dockerignore", "*\n")
        try fixture.write(".dockerignore", "")
        try fixture.write("file")
        let context = try BuildContext.scan(root: fixture.root, dockerfile: "Dockerfile-Windows")
        #expect(context.ignoreFile == "Dockerfile-Windows.dockerignore")
        #expect(context.paths == ["Dockerfile-Windows", "Dockerfile-Windows.dockerignore"])
    }

    @Test("a Dockerfile outside the context is refused")
    func dockerfileOutside() throws {
        let fixture = try ContextFixture()
        defer { fixture.remove() }
        #expect(throws: ContextReadError.self) { try BuildContext.scan(root: fixture.root, dockerfile: "../Dockerfile") }
    }

    @Test("a Dockerfile reached through a linked directory outside the context is refused, naming --file and the link")
    func dockerfileThroughLinkOutside() throws {
        let fixture = try ContextFixture()
        let outside = try ContextFixture()
        defer {
            fixture.remove()
            outside.remove()
        }
        try outside.write("Dockerfile", "FROM scratch\n")
        try fixture.write("app.txt")
        try fixture.link("docker", to: outside.root)
        try fixture.link("dangling", to: outside.root + "/missing")
        for file in ["docker/Dockerfile", "./docker/../docker/Dockerfile"] {
            let error = #expect(throws: ContextReadError.self) { try BuildContext.scan(root: fixture.root, dockerfile: file) }
            #expect(error?.description.contains("--file") == true)
            #expect(error?.description.contains("symbolic link \"docker\"") == true)
        }
        #expect(throws: ContextReadError.self) { try BuildContext.scan(root: fixture.root, dockerfile: "dangling/Dockerfile") }
        // A link that stays inside the context is fine: it travels as a link.
        try fixture.write("real/Dockerfile", "FROM scratch\n")
        try fixture.link("inside", to: "real")
        let context = try BuildContext.scan(root: fixture.root, dockerfile: "inside/Dockerfile")
        #expect(context.dockerfile == "inside/Dockerfile")
    }

    @Test("the archive is a valid tar with modes, links and long names; its digest is the SHA-256 of its bytes")
    func archive() async throws {
        let fixture = try ContextFixture()
        defer { fixture.remove() }
        let longDirectory = String(repeating: "d", count: 120) + "/" + String(repeating: "e", count: 90)
        let veryLong = String(repeating: "n", count: 180) + "/" + String(repeating: "m", count: 150) + ".txt"
        try fixture.write("Dockerfile", "FROM scratch\n")
        try fixture.write("run.sh", "#!/bin/sh\necho hi\n", mode: 0o755)
        try fixture.write(longDirectory + "/file.txt", "long")
        try fixture.write(veryLong, "very long")
        try fixture.write("big.bin", String(repeating: "0123456789", count: 300_000))
        try fixture.link("far", to: String(repeating: "t", count: 150))
        try fixture.write("é unicode ☃.txt", "u")
        let context = try BuildContext.scan(root: fixture.root)
        let output = fixture.root + ".tar"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let archive = context.archive(chunkSize: 64 * 1024)
        let digest = try await archive.write(to: output)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: output))
        #expect(digest == SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined())
        #expect(archive.summary.bytes == Int64(bytes.count))
        #expect(bytes.count % 512 == 0)
        let listing = try await run("/usr/bin/tar", ["-tvf", output])
        #expect(listing.contains("-rwxr-xr-x 0/0") && listing.contains("run.sh"))
        #expect(listing.contains(longDirectory + "/file.txt"))
        #expect(listing.contains(veryLong))
        #expect(listing.contains("far -> " + String(repeating: "t", count: 150)))
        #expect(listing.contains("é unicode ☃.txt"))
        let extracted = fixture.root + "-x"
        try FileManager.default.createDirectory(atPath: extracted, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: extracted) }
        _ = try await run("/usr/bin/tar", ["-xf", output, "-C", extracted])
        #expect(try String(contentsOfFile: extracted + "/" + veryLong, encoding: .utf8) == "very long")
        #expect(try Data(contentsOf: URL(fileURLWithPath: extracted + "/big.bin")).count == 3_000_000)
    }

    @Test("the same tree gives the same archive and fingerprint; a touched file changes both")
    func determinism() async throws {
        let fixture = try ContextFixture()
        defer { fixture.remove() }
        try fixture.write("Dockerfile", "FROM scratch\n")
        try fixture.write("a/b/c.txt", "c")
        let first = try BuildContext.scan(root: fixture.root)
        let second = try BuildContext.scan(root: fixture.root)
        #expect(first.fingerprint == second.fingerprint)
        let firstDigest = try await digest(of: first)
        #expect(try await digest(of: second) == firstDigest)
        try fixture.write("a/b/c.txt", "d")
        let changed = try BuildContext.scan(root: fixture.root)
        #expect(changed.fingerprint != first.fingerprint)
        #expect(try await digest(of: changed) != firstDigest)
    }

    @Test("a same-size change after the scan (time put back, same inode) fails the archive with a clear message")
    func sameSizeChangeAfterScan() async throws {
        let fixture = try ContextFixture()
        defer { fixture.remove() }
        try fixture.write("Dockerfile", "FROM scratch\n")
        try fixture.write("app/main.go", "package main // v1\n")
        let path = fixture.root + "/app/main.go"
        let scanned = try BuildContext.scan(root: fixture.root)
        let before = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        // Rewrite in place (same inode, same size), then put the modification time back: only the change time,
        // which no one can set, tells.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.write(contentsOf: Data("package main // v2\n".utf8))
        try handle.close()
        try FileManager.default.setAttributes([.modificationDate: try #require(before)], ofItemAtPath: path)
        await #expect {
            try await digest(of: scanned)
        } throws: { error in
            let text = String(describing: error)
            return text.contains("app/main.go") && text.contains("changed after the context was scanned")
        }
        // A fresh scan ships the new bytes.
        let rescanned = try BuildContext.scan(root: fixture.root)
        #expect(rescanned.fingerprint != scanned.fingerprint)
        _ = try await digest(of: rescanned)
    }

    @Test("the digest cache remembers digests by fingerprint across instances")
    func digestCache() async throws {
        let path = NSTemporaryDirectory() + "coordinator-cache-\(UUID().uuidString)/digests.json"
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let cache = ContextDigestCache(path: path, capacity: 2)
        await cache.record(fingerprint: "f1", digest: "d1", bytes: 10)
        await cache.record(fingerprint: "f2", digest: "d2", bytes: 20)
        await cache.record(fingerprint: "f3", digest: "d3", bytes: 30)
        let reopened = ContextDigestCache(path: path, capacity: 2)
        #expect(await reopened.digest(for: "f1") == nil)
        #expect(await reopened.digest(for: "f3")?.digest == "d3")
    }

    private func digest(of context: BuildContext) async throws -> String {
        let archive = context.archive()
        for try await _ in archive {}
        return try #require(archive.summary.digest)
    }
}

@Suite("Remote context store")
struct RemoteContextStoreTests {
    @Test("receiving, checking and pruning work with a local sh as the host")
    func localRoundTrip() async throws {
        let fixture = try ContextFixture()
        defer { fixture.remove() }
        try fixture.write("Dockerfile", "FROM scratch\n")
        try fixture.write("sub/file", "content")
        let work = fixture.root + "-work"
        defer { try? FileManager.default.removeItem(atPath: work) }
        let context = try BuildContext.scan(root: fixture.root)
        let tarball = fixture.root + ".tar"
        defer { try? FileManager.default.removeItem(atPath: tarball) }
        let digest = try await context.archive().write(to: tarball)
        let store = RemoteContextStore(shell: RemoteShell(.sh), workDirectory: work)
        #expect(try await runSh(store.checkCommand(digest: digest)) == "absent\n")
        _ = try await runSh(store.receiveCommand(uploadID: "one").command + " < '\(tarball)'")
        _ = try await runSh(store.publishCommand(digest: digest, uploadID: "one"))
        #expect(try String(contentsOfFile: store.path(for: digest) + "/sub/file", encoding: .utf8) == "content")
        #expect(try await runSh(store.checkCommand(digest: digest)) == "present\n")
        // A second upload of the same digest leaves the first in place and nothing behind.
        _ = try await runSh(store.receiveCommand(uploadID: "two").command + " < '\(tarball)'")
        _ = try await runSh(store.publishCommand(digest: digest, uploadID: "two"))
        // A broken stream leaves nothing behind.
        _ = try await runSh("printf 'not a tar archive' | " + store.receiveCommand(uploadID: "three").command)
        let entries = try FileManager.default.contentsOfDirectory(atPath: store.directory)
        #expect(entries == [digest])
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.path(for: digest)).sorted()
            == ["Dockerfile", "sub"])
        let staleRun = work + "/runs/dead"
        try FileManager.default.createDirectory(atPath: staleRun, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3 * 86_400)],
            ofItemAtPath: staleRun)
        try FileManager.default.createDirectory(atPath: work + "/runs/live", withIntermediateDirectories: true)
        let other = String(repeating: "a", count: 64)
        try FileManager.default.createDirectory(atPath: store.path(for: other), withIntermediateDirectories: true)
        _ = try await runSh(store.pruneCommand(ContextRetention(maximumAgeDays: 7, maximumTotalBytes: 0), keep: [digest]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.directory) == [digest])
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/runs") == ["live"])
    }

    @Test("an ordinary user with umask 022 receives every mode bit as archived, as docker build keeps them")
    func nonRootReceiverKeepsModes() async throws {
        let fixture = try ContextFixture()
        defer { fixture.remove() }
        let modes: [(path: String, mode: mode_t)] = [
            ("run.sh", 0o775), ("shared", 0o777), ("setgid", 0o2775), ("sticky", 0o1777), ("secret.txt", 0o600),
            ("setuid.sh", 0o4755), ("group.sh", 0o2750),
        ]
        for file in ["Dockerfile", "run.sh", "shared/a", "setgid/b", "sticky/c", "secret.txt", "setuid.sh", "group.sh"] {
            try fixture.write(file)
        }
        for entry in modes { #expect(chmod(fixture.root + "/" + entry.path, entry.mode) == 0) }
        let work = fixture.root + "-work"
        defer { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        #expect(chmod(work, 0o777) == 0)
        let tarball = fixture.root + ".tar"
        defer { try? FileManager.default.removeItem(atPath: tarball) }
        let digest = try await BuildContext.scan(root: fixture.root).archive().write(to: tarball)
        let store = RemoteContextStore(shell: RemoteShell(.sh), workDirectory: work)
        // Interpolated: a POSIX command prints as its command line, whether a String or an invocation value.
        let receive = try store.receiveCommand(uploadID: "one")
        let publish = try store.publishCommand(digest: digest, uploadID: "one")
        let script = "umask 022 && \(receive) < '\(tarball)' && \(publish)"
        // As root, drop to nobody: root's tar keeps modes whatever the options.
        let user = getuid() == 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []
        let received = try await Shell.run(user + ["/bin/sh", "-c", script])
        try #require(received.succeeded, "\(received.stderr)")
        for entry in modes {
            var info = stat()
            #expect(stat(store.path(for: digest) + "/" + entry.path, &info) == 0)
            #expect(String(info.st_mode & 0o7777, radix: 8) == String(entry.mode, radix: 8), "\(entry.path)")
        }
    }
}
