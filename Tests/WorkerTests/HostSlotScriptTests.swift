import Foundation
import Shared
import Testing
import TestSupport

@testable import Worker

/// The slot lines of a build's command (``HostSlots``) and the context lock (``ContextLock``, ``ContextRetention``),
/// run by real shells here: a held slot or lock is the kernel's `flock`, released when its holder ends.
@Suite("Host slots and context locks, in real shells")
struct HostSlotScriptTests {
    static let shells = ["/bin/sh", "/bin/dash", "/bin/bash", "/bin/busybox"].filter {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    func run(_ shell: String, _ lines: [String], timeout: Duration = .seconds(30)) async throws -> Shell.Result {
        let text = lines.joined(separator: "\n")
        let arguments = shell.hasSuffix("busybox") ? [shell, "sh", "-c", text] : [shell, "-c", text]
        return try await Shell.run(arguments, timeout: timeout)
    }

    /// A directory for the holders' marks, with a plain name (it goes into shell lines unquoted).
    func temporaryMarks() throws -> String {
        let path = NSTemporaryDirectory() + "slot-marks-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A shell line that waits until `marks/release` exists (at most 120 s).
    static func waitForRelease(_ marks: String) -> String {
        "n=0; while [ ! -e \(marks)/release ] && [ $n -lt 1200 ]; do sleep 0.1 2>/dev/null || sleep 1; n=$((n+1)); done"
    }

    /// Waits until every one of `files` exists in `marks` (at most 120 s).
    static func waitFor(_ marks: String, files: [String]) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while !files.allSatisfy({ FileManager.default.fileExists(atPath: marks + "/" + $0) }) {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "hostslots it's $(x) \(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("capacity 2: two holders get slots 0 and 1, a third is told the host is full; a slot frees with its holder",
          arguments: shells)
    func slots(shell: String) async throws {
        let work = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let take = try HostSlots.posixLines(workDir: work, capacity: 2)
        // The holders say when they hold a slot and keep it until released: no timing is assumed (a loaded
        // machine can start a process seconds late).
        let marks = try temporaryMarks()
        defer { try? FileManager.default.removeItem(atPath: marks) }
        let holders = (0..<2).map { index in
            Task { try await run(shell, take + ["echo took", "touch \(marks)/held-\(index)", Self.waitForRelease(marks)]) }
        }
        try await Self.waitFor(marks, files: ["held-0", "held-1"])
        let third = try await run(shell, take + ["echo took"])
        _ = FileManager.default.createFile(atPath: marks + "/release", contents: nil)
        #expect(third.status == HostSlots.fullStatus && !third.terminatedBySignal, "\(third.stdout)\(third.stderr)")
        #expect(HostSlots.saidFull(third.stdout) && !third.stdout.contains("took"))
        for holder in holders {
            let result = try await holder.value
            #expect(result.succeeded && result.stdout == "took\n", "\(result.stdout)\(result.stderr)")
        }
        let after = try await run(shell, take + ["echo took"])
        #expect(after.succeeded && after.stdout == "took\n", "the slots freed when their holders ended")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/slots").sorted() == ["0", "1"])
    }

    @Test("a home-relative work directory takes its slots under $HOME")
    func homeRelative() throws {
        let lines = try HostSlots.posixLines(workDir: "~/it's work", capacity: 3).joined(separator: "\n")
        #expect(lines.contains("coordinator_slots=\"$HOME\"/'it'\\''s work'/slots"))
        #expect(try HostSlots.posixLines(workDir: "relative", capacity: 1).isEmpty)
    }

    @Test("the prune skips a context a build holds, and removes it once the build has ended", arguments: shells)
    func pruneSkipsHeldContext(shell: String) async throws {
        let work = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let store = RemoteContextStore(shell: RemoteShell(.sh), workDirectory: work)
        let held = store.path(for: String(repeating: "a", count: 64))
        let free = store.path(for: String(repeating: "b", count: 64))
        for directory in [held, free] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(repeating: 1, count: 64 << 10).write(to: URL(fileURLWithPath: directory + "/file"))
        }
        let prune = try ContextRetention(maximumAgeDays: 7, maximumTotalBytes: 1)
            .posixScript(directory: store.directory, runs: store.runsDirectory, keep: [])
        let marks = try temporaryMarks()
        defer { try? FileManager.default.removeItem(atPath: marks) }
        let build = Task {
            try await run(shell, try ContextLock.posixLines(holding: held) + ["touch \(marks)/held", Self.waitForRelease(marks)])
        }
        try await Self.waitFor(marks, files: ["held"])
        let first = try await run(shell, [prune])
        _ = FileManager.default.createFile(atPath: marks + "/release", contents: nil)
        #expect(first.succeeded, "\(first.stderr)")
        #expect(FileManager.default.fileExists(atPath: held + "/file"), "the held context survives")
        #expect(!FileManager.default.fileExists(atPath: free), "the free one goes")
        #expect(try await build.value.succeeded)
        let second = try await run(shell, [prune])
        #expect(second.succeeded, "\(second.stderr)")
        #expect(!FileManager.default.fileExists(atPath: held))
        #expect(!FileManager.default.fileExists(atPath: ContextLock.path(of: held)))
    }

    @Test("a build whose context was pruned before it took its lock stops, saying so")
    func prunedBeforeLock() async throws {
        let work = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: work) }
        let lines = try ContextLock.posixLines(holding: work + "/contexts/gone")
        let result = try await run("/bin/sh", lines + ["echo built"])
        #expect(!result.succeeded && !result.stdout.contains("built"))
        #expect(result.stderr.contains("pruned"))
    }
}
