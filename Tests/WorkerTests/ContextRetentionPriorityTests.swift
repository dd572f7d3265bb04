import Foundation
import Testing
import TestSupport

@testable import Worker

/// The prune runs while the build it follows does (``RemoteWorker``): on a host whose cores the build needs, it must
/// not take them from it.
@Suite("Context retention priority")
struct ContextRetentionPriorityTests {
    @Test("the prune and every program it runs have a low CPU priority (niceness 10)")
    func pruneYields() async throws {
        let work = NSTemporaryDirectory() + "coordinator-prune-\(UUID().uuidString)"
        let bin = work + "-bin"
        defer {
            try? FileManager.default.removeItem(atPath: work)
            try? FileManager.default.removeItem(atPath: bin)
        }
        let store = RemoteContextStore(shell: RemoteShell(.sh), workDirectory: work)
        try FileManager.default.createDirectory(
            atPath: store.path(for: String(repeating: "a", count: 64)), withIntermediateDirectories: true)
        // The size pass runs `du`: a stand-in records the niceness it was started with (field 19 of its stat line),
        // then runs the real one.
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let du = try #require(["/usr/bin/du", "/bin/du"].first { FileManager.default.isExecutableFile(atPath: $0) })
        try Data("""
            #!/bin/sh
            sed 's/.*) //' /proc/$$/stat | cut -d' ' -f17 >>'\(work)-niceness'
            exec \(du) "$@"

            """.utf8).write(to: URL(fileURLWithPath: bin + "/du"))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/du")
        defer { try? FileManager.default.removeItem(atPath: work + "-niceness") }
        let command = try store.pruneCommand(ContextRetention(maximumAgeDays: 7, maximumTotalBytes: 1 << 30))
        _ = try await runSh("PATH='\(bin)':\"$PATH\"; export PATH; " + command.command)
        let recorded = try String(contentsOfFile: work + "-niceness", encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(!recorded.isEmpty && recorded.allSatisfy { $0 == "10" }, "niceness seen by du: \(recorded)")
    }

    /// Windows hosts cannot run here: the script's first statements are checked (the proof tests parse every script
    /// with tree-sitter-powershell), the below-normal priority class set before anything is removed.
    @Test("the Windows prune takes the below-normal priority class before it removes anything")
    func windowsPruneYields() throws {
        let script = try ContextRetention.standard.powerShellScript(
            directory: "C:/ProgramData/coordinator/contexts", runs: "C:/ProgramData/coordinator/runs", keep: [])
        let lines = script.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let setting = "PriorityClass = [System.Diagnostics.ProcessPriorityClass]::BelowNormal"
        let priority = try #require(lines.firstIndex { $0.contains(setting) })
        let firstRemoval = try #require(lines.firstIndex { $0.contains("Remove-Item") || $0.contains("Remove-Tree") })
        #expect(priority < firstRemoval)
        #expect(lines[priority].hasPrefix("try {") && lines[priority].hasSuffix("} catch { }"),
            "a host that refuses the change still prunes")
    }
}
