import Foundation
import TestSupport
import Testing

/// A git context served to the fleet's hosts by `git daemon` on loopback: commit, release, commit again on
/// the same branch, release again. The second release must rebuild (the ref names a new commit), never
/// reuse the first image; a third, unchanged, reuses the second.
extension BuildCommandTests {
    @Test("a git context's ref is resolved to its commit: new commits rebuild, an unchanged ref resumes")
    func gitContextNeverShipsStaleCode() async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet)
        defer { project.remove() }
        let served = project.directory + "/served"
        let work = project.directory + "/work"
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        try await Self.git(["init", "-q", "--bare", "-b", "main", served + "/app.git"])
        try await Self.git(["init", "-q", "-b", "main", work])
        try "FROM scratch\nCOPY version.txt /version.txt\n".write(toFile: work + "/Dockerfile", atomically: true, encoding: .utf8)

        let port = 9418 + Int(UInt16.random(in: 100...5000))
        let daemon = try SpawnedProcess([
            "git", "daemon", "--reuseaddr", "--listen=127.0.0.1", "--port=\(port)", "--base-path=\(served)",
            "--export-all", "--informative-errors", served,
        ])
        defer { _ = daemon.stop(grace: .seconds(2)) }
        let context = "git://127.0.0.1:\(port)/app.git#main"
        let image = try Self.image(fleet)

        func commit(_ version: String) async throws {
            try version.write(toFile: work + "/version.txt", atomically: true, encoding: .utf8)
            try await Self.git(["-C", work, "add", "."])
            try await Self.git(["-C", work, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", version])
            try await Self.git(["-C", work, "push", "-q", served + "/app.git", "main"])
        }
        func release(_ name: String) async throws -> (outcome: String?, digest: String?, stderr: String) {
            let json = project.directory + "/\(name).json"
            let result = try await project.build([
                "--inventory", try fleet.value("TESTBED_INVENTORY"), "--image", image, "--tag", "v1",
                "--platform", "linux/amd64", "--context", context, "--json", json,
            ])
            #expect(result.status == 0, "\(name): \(result.stderr)")
            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
            let platform = (report?["platforms"] as? [[String: Any]])?.first
            return (platform?["outcome"] as? String, platform?["digest"] as? String, result.stderr)
        }

        try await commit("one")
        try await Self.waitForDaemon(port: port)
        let first = try await release("first")
        #expect(first.outcome == "built", "\(first.stderr)")

        try await commit("two")
        let second = try await release("second")
        #expect(second.outcome == "built", "a new commit on the branch was not rebuilt: \(second.stderr)")
        #expect(second.digest != nil && second.digest != first.digest, "the image did not change with the commit")
        #expect(!second.stderr.contains("built from the same sources"), "\(second.stderr)")

        let third = try await release("third")
        #expect(third.outcome == "reused", "an unchanged ref was rebuilt: \(third.stderr)")
        #expect(third.digest == second.digest)
    }

    @Test("buildah cannot build a git commit: the progress says so and its image is never reused")
    func gitContextOnBuildahIsNeverReused() async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet)
        defer { project.remove() }
        let served = project.directory + "/served"
        let work = project.directory + "/work"
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        try await Self.git(["init", "-q", "--bare", "-b", "main", served + "/app.git"])
        try await Self.git(["init", "-q", "-b", "main", work])
        try "FROM scratch\nCOPY version.txt /version.txt\n".write(toFile: work + "/Dockerfile", atomically: true, encoding: .utf8)
        try "one".write(toFile: work + "/version.txt", atomically: true, encoding: .utf8)
        try await Self.git(["-C", work, "add", "."])
        try await Self.git(["-C", work, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "one"])
        try await Self.git(["-C", work, "push", "-q", served + "/app.git", "main"])
        let port = 9418 + Int(UInt16.random(in: 5001...10000))
        let daemon = try SpawnedProcess([
            "git", "daemon", "--reuseaddr", "--listen=127.0.0.1", "--port=\(port)", "--base-path=\(served)",
            "--export-all", served,
        ])
        defer { _ = daemon.stop(grace: .seconds(2)) }
        try await Self.waitForDaemon(port: port)
        let dir = try fleet.value("TESTBED_DIR")
        let inventory = try project.inventory("""
            { "hosts": [ { "name": "wincross-1", "address": "\(try fleet.value("TESTBED_HOST_WINCROSS"))", "port": 2222,
              "user": "root", "identityFiles": ["\(try fleet.value("TESTBED_SSH_KEY"))"], "agent": false,
              "knownHostsFile": "\(try fleet.value("TESTBED_KNOWN_HOSTS"))", "builder": "buildah",
              "platforms": ["linux/amd64"], "workDir": "\(dir)/hosts/wincross-1/work-git" } ] }
            """)
        let image = try Self.image(fleet)
        for run in ["first", "second"] {
            let json = project.directory + "/\(run).json"
            let result = try await project.build([
                "--inventory", inventory, "--image", image, "--tag", "v1", "--platform", "linux/amd64",
                "--context", "git://127.0.0.1:\(port)/app.git#main", "--json", json,
            ])
            #expect(result.status == 0, "\(run): \(result.stderr)")
            #expect(result.stderr.contains("buildah cannot build a git commit: it clones main"), "\(result.stderr)")
            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
            let outcome = ((report?["platforms"] as? [[String: Any]])?.first)?["outcome"] as? String
            #expect(outcome == "built", "\(run): an image buildah built from a moving ref was reused")
        }
    }

    static func git(_ arguments: [String]) async throws {
        let result = try await Shell.run(["git"] + arguments)
        guard result.succeeded else {
            throw Testbed.Failure(description: "git \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        }
    }

    /// Waits until `git daemon` answers on `port` (it starts in a few milliseconds; a loaded machine is slower).
    static func waitForDaemon(port: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let probe = try await Shell.run(["git", "ls-remote", "git://127.0.0.1:\(port)/app.git", "HEAD"])
            if probe.succeeded { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Testbed.Failure(description: "git daemon on 127.0.0.1:\(port) did not answer within 20 s")
    }
}
