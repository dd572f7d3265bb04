import Foundation
import TestSupport
import Testing

/// A git repository served to the fleet's hosts by `git daemon` on loopback, with a work tree to commit from.
struct ServedRepository {
    let context: String
    private let work: String
    private let bare: String
    private let daemon: SpawnedProcess

    /// A repository whose Dockerfile copies `version.txt`, served on a random port under `directory`.
    init(in directory: String, ports: ClosedRange<UInt16>) async throws {
        let served = directory + "/served"
        work = directory + "/work"
        bare = served + "/app.git"
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        try await BuildCommandTests.git(["init", "-q", "--bare", "-b", "main", bare])
        try await BuildCommandTests.git(["init", "-q", "-b", "main", work])
        try "FROM scratch\nCOPY version.txt /version.txt\n".write(toFile: work + "/Dockerfile", atomically: true, encoding: .utf8)
        let port = 9418 + Int(UInt16.random(in: ports))
        daemon = try SpawnedProcess([
            "git", "daemon", "--reuseaddr", "--listen=127.0.0.1", "--port=\(port)", "--base-path=\(served)",
            "--export-all", "--informative-errors", served,
        ])
        context = "git://127.0.0.1:\(port)/app.git#main"
    }

    /// Commits `version.txt` holding `version` on main and pushes it to the served repository.
    func commit(_ version: String) async throws {
        try version.write(toFile: work + "/version.txt", atomically: true, encoding: .utf8)
        try await BuildCommandTests.git(["-C", work, "add", "."])
        try await BuildCommandTests.git(
            ["-C", work, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", version])
        try await BuildCommandTests.git(["-C", work, "push", "-q", bare, "main"])
        try await waitUntilServed()
    }

    func stop() { _ = daemon.stop(grace: .seconds(2)) }

    /// Waits until `git daemon` answers (it starts in a few milliseconds; a loaded machine is slower).
    private func waitUntilServed() async throws {
        let repository = String(context.prefix { $0 != "#" })
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if try await Shell.run(["git", "ls-remote", repository, "HEAD"]).succeeded { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Testbed.Failure(description: "git daemon for \(repository) did not answer within 20 s")
    }
}

/// Commit, release, commit again on the same branch, release again: the second release must rebuild (the ref
/// names a new commit), never reuse the first image; a third, unchanged, reuses the second.
extension BuildCommandTests {
    @Test("a git context's ref is resolved to its commit: new commits rebuild, an unchanged ref resumes")
    func gitContextNeverShipsStaleCode() async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet)
        defer { project.remove() }
        let repository = try await ServedRepository(in: project.directory, ports: 100...5000)
        defer { repository.stop() }
        let image = try Self.image(fleet)
        func release(_ name: String) async throws -> (outcome: String?, digest: String?, stderr: String) {
            let json = project.directory + "/\(name).json"
            let result = try await project.build([
                "--inventory", try fleet.value("TESTBED_INVENTORY"), "--image", image, "--tag", "v1",
                "--platform", "linux/amd64", "--context", repository.context, "--json", json,
            ])
            #expect(result.status == 0, "\(name): \(result.stderr)")
            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
            let platform = (report?["platforms"] as? [[String: Any]])?.first
            return (platform?["outcome"] as? String, platform?["digest"] as? String, result.stderr)
        }

        try await repository.commit("one")
        let first = try await release("first")
        #expect(first.outcome == "built", "\(first.stderr)")

        try await repository.commit("two")
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
        let repository = try await ServedRepository(in: project.directory, ports: 5001...10000)
        defer { repository.stop() }
        try await repository.commit("one")
        let inventory = try project.inventory(try BuildSecretTests.buildahOnly(fleet))
        let image = try Self.image(fleet)
        for run in ["first", "second"] {
            let json = project.directory + "/\(run).json"
            let result = try await project.build([
                "--inventory", inventory, "--image", image, "--tag", "v1", "--platform", "linux/amd64",
                "--context", repository.context, "--json", json,
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
}
