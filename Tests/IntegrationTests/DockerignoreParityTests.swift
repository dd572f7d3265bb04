import Foundation
import Testing
import TestSupport

@testable import Worker

/// The files a context sends must be the files Docker itself sends for the same folder: the fleet's engine
/// builds `FROM scratch` + `COPY . /ctx/` and exports the result as a tar, whose paths are compared with
/// the paths of our archive.
@Suite("Build context parity with Docker", .serialized)
struct DockerignoreParityTests {
    static let trickyIgnore = """
        # comments and blank lines are skipped

        *.log
        !important.log
        build
        !build/keep/**
        **/*.tmp
        !**/keep.tmp
        docs/*
        !docs/README.md
        /abs/dropped
        ./cleaned/../dotted
        secret[0-9].txt
        node_modules
        **/cache
        vendor/**/test
        a?c
        [!x]y
        weird\\*name
        trailing-space.txt   \r
        !   spaced-exception.txt
        Dockerfile
        """

    static let files = [
        "app.go", "main.log", "important.log", "nested/deep/trace.log", "build/out.bin", "build/keep/kept.bin",
        "build/keep/sub/also.bin", "build/other/x", "src/a.tmp", "src/keep.tmp", "src/deeper/b.tmp", "docs/guide.md",
        "docs/README.md", "docs/api/index.md", "abs/dropped", "abs/kept", "dotted", "secret1.txt", "secret10.txt",
        "node_modules/pkg/index.js", "lib/node_modules/x.js", "cache/c", "a/b/cache/c", "vendor/x/test/t.go",
        "vendor/x/y/test/t.go", "vendor/test/t.go", "abc", "a/c", "axc", "!y", "xy", "zy", "weird*name", "weirdXname",
        "trailing-space.txt", "spaced-exception.txt", "é ☃ unicode.txt", "#hash", "-dash", "empty/.keep",
    ]

    @Test("a tricky .dockerignore sends exactly what Docker sends")
    func parity() async throws {
        let fleet = try Fleet.require()
        let root = NSTemporaryDirectory() + "coordinator-parity-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write(root, "Dockerfile", "FROM scratch\nCOPY . /ctx/\n")
        try write(root, ".dockerignore", Self.trickyIgnore)
        for file in Self.files {
            try write(root, file, "content of \(file)\n")
        }
        try FileManager.default.createDirectory(atPath: root + "/empty-dir", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/link-to-app", withDestinationPath: "app.go")
        try FileManager.default.createSymbolicLink(atPath: root + "/build/link", withDestinationPath: "../app.go")
        let sent = try await compare(root: root, fleet: fleet)
        #expect(sent.contains("build/keep/sub/also.bin") && !sent.contains("build/out.bin"))
        // `[!x]` is a class of `!` and `x` (Go globs negate with `^` only).
        #expect(!sent.contains("!y") && !sent.contains("xy") && sent.contains("zy"))
    }

    @Test("randomised trees and ignore files send what Docker sends", arguments: 1...16)
    func randomised(seed: UInt64) async throws {
        let fleet = try Fleet.require()
        var random = SplitMix64(seed: seed)
        let root = NSTemporaryDirectory() + "coordinator-parity-random-\(seed)-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write(root, "Dockerfile", "FROM scratch\nCOPY . /ctx/\n")
        let names = ["a", "b", "ab", "a.txt", "b.log", "x.tmp", "dir", "keep", "c-d", "e_f", ".hidden"]
        var files: [String] = []
        for _ in 0..<40 {
            let depth = Int(random.next() % 4) + 1
            let path = (0..<depth).map { _ in names[Int(random.next() % UInt64(names.count))] }.joined(separator: "/")
            files.append(path)
        }
        for file in files where !files.contains(where: { $0.hasPrefix(file + "/") }) {
            try? write(root, file, file)
        }
        let fragments = ["*", "**", "a", "b", "dir", "*.txt", "*.log", "**/*.tmp", "a*", "?", "[ab]", "keep", "**/keep",
            "dir/**", "*/a", "**/dir/*", "e_f", ".hidden", "c-d"]
        var lines: [String] = []
        for _ in 0..<8 {
            var pattern = (0..<Int(random.next() % 2 + 1)).map { _ in fragments[Int(random.next() % UInt64(fragments.count))] }
                .joined(separator: "/")
            if random.next() % 3 == 0 { pattern = "!" + pattern }
            lines.append(pattern)
        }
        try write(root, ".dockerignore", lines.joined(separator: "\n") + "\n")
        try await compare(root: root, fleet: fleet)
    }

    /// Builds the context with the fleet's engine and compares the exported paths with our archive's.
    @discardableResult
    private func compare(root: String, fleet: Fleet) async throws -> Set<String> {
        let context = try BuildContext.scan(root: root)
        let ignore = try context.ignoreFile.map { file in
            try DockerIgnore(contents: Array(try Data(contentsOf: URL(fileURLWithPath: root + "/" + file))), file: file)
        }
        // Docker hides an excluded Dockerfile or .dockerignore from COPY; we send them so the host's builder
        // finds them (and hides them the same way).
        let ours = Set(context.paths.filter { path in
            !([context.dockerfile, context.ignoreFile].contains(path) && (ignore?.excludes(path) ?? false))
        })
        let output = root + ".export.tar"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let build = try await runTool(
            "docker", ["buildx", "build", "--no-cache", "--output", "type=tar,dest=\(output)", root],
            environment: ["DOCKER_HOST": try fleet.value("TESTBED_DOCKER_HOST")])
        #expect(build.status == 0, "docker buildx build failed: \(build.output)")
        let listing = try await runTool("tar", ["-tf", output], environment: [:])
        let theirs = Set(listing.output.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("ctx/"), line != "ctx/" else { return nil }
            var path = String(line.dropFirst(4))
            if path.hasSuffix("/") { path.removeLast() }
            return path
        })
        #expect(ours.subtracting(theirs).sorted() == [], "we send, Docker does not")
        #expect(theirs.subtracting(ours).sorted() == [], "Docker sends, we do not")
        return ours
    }

    private func write(_ root: String, _ path: String, _ contents: String) throws {
        let full = root + "/" + path
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: full))
    }
}

/// Runs a tool found on PATH; returns its exit status and combined output.
func runTool(_ tool: String, _ arguments: [String], environment: [String: String]) async throws -> (status: Int32, output: String) {
    let result = try await Shell.run([tool] + arguments, environment: environment)
    return (result.terminatedBySignal ? -result.status : result.status, result.stdout + result.stderr)
}
