import Foundation
import Shared
import Testing
import Worker

@testable import Coordinator

/// What `coordinator build` refuses for a Windows host before contacting it (issue 13, findings 1 and 11).
@Suite("Windows refusals before any host is contacted")
struct WindowsRefusalTests {
    /// A project directory with an inventory of one unreachable Windows host and a context holding `files`.
    static func project(files: [String]) throws -> (root: String, inventory: String) {
        let root = NSTemporaryDirectory() + "coordinator-windows-\(UUID().uuidString)"
        let context = root + "/context"
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
        for file in ["Dockerfile"] + files {
            let path = context + "/" + file
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data("FROM scratch\n".utf8).write(to: URL(fileURLWithPath: path))
        }
        let inventory = root + "/inventory.json"
        try Data("""
            { "hosts": [ { "name": "win", "address": "192.0.2.1", "platforms": ["windows/amd64"],
                           "windowsVersion": "ltsc2022", "shell": "cmd" } ] }
            """.utf8).write(to: URL(fileURLWithPath: inventory))
        return (root, inventory)
    }

    static func request(_ project: (root: String, inventory: String), _ extra: [String]) throws -> ReleaseRequest {
        let command = try BuildCommand.parse([
            "--inventory", project.inventory, "--image", "registry.example/app", "--tag", "v1",
            "--platform", "windows/amd64", "--context", project.root + "/context",
        ] + extra)
        let plan = try Planner(inventory: try command.inventoryOption.load()).plan(
            try command.target.resolve(environment: [:]))
        return try ReleaseRequest(command: command, plan: plan, environment: [:])
    }

    @Test("build arguments over the Windows budget (UTF-16 units, C-runtime quoted) are refused")
    func budget() throws {
        let project = try Self.project(files: [])
        defer { try? FileManager.default.removeItem(atPath: project.root) }
        // Quotes double under C-runtime quoting: 13,000 characters of `"` need more than the 24 KiB.
        let quotes = ["--build-arg", "Q=" + String(repeating: "\"", count: 13_000)]
        #expect(throws: UsageError.self) { try Self.request(project, quotes) }
        do {
            _ = try Self.request(project, quotes)
        } catch let error as UsageError {
            #expect(error.description.contains("UTF-16 units of the docker command line on a Windows host"))
        }
        _ = try Self.request(project, ["--build-arg", "Q=" + String(repeating: "x", count: 12_000)])
        // 9,000 CJK characters: 27,000 bytes of UTF-8 (over the POSIX budget) but 9,000 UTF-16 units, which a
        // Windows-only plan accepts: each budget is counted in its hosts' own encoding.
        _ = try Self.request(project, ["--build-arg", "Q=" + String(repeating: "日", count: 9_000)])
    }

    @Test("a context path NTFS cannot hold is refused, naming it, before any host is contacted")
    func ntfsPath() async throws {
        let project = try Self.project(files: ["src/aux.go", "ok.txt"])
        defer { try? FileManager.default.removeItem(atPath: project.root) }
        let request = try Self.request(project, [])
        do {
            _ = try await ReleaseSources.prepare(request, cache: ContextDigestCache())
            Issue.record("accepted a context holding src/aux.go for a Windows host")
        } catch {
            #expect(error.description.contains("\"src/aux.go\" cannot be sent to a Windows host"), "\(error)")
            #expect(error.description.contains("reserved device name"))
        }
    }
}
