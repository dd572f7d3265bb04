import Foundation
import Testing
import TestSupport

/// TestSupport's ``Shell`` and ``SpawnedProcess``, which about every integration test relies on (TestSupport has
/// no test target of its own). Real commands: `sh`, `sleep`, `env`, `pwd`.
@Suite("Local processes for tests")
struct LocalProcessTests {
    /// Lists the descriptors a child sees; `ls` opens one more for the listing itself.
    static let listDescriptors = "ls /proc/self/fd | wc -l"

    @Test("output, error, status and input are the command's; unread input is not an error")
    func outputStatusInput() async throws {
        let result = try await Shell.run(["sh", "-c", "cat; echo oops >&2; exit 3"], input: Data("in".utf8))
        #expect((result.stdout, result.stderr, result.status, result.terminatedBySignal) == ("in", "oops\n", 3, false))
        let unread = try await Shell.run(["/bin/true"], input: Data(count: 4 << 20))
        #expect(unread.succeeded, "a command that did not read its input: \(unread)")
    }

    @Test("the output is what the command wrote until it ended: a background child holding the pipe is not awaited")
    func backgroundChild() async throws {
        // Read to the pipe's end, the output would hold "late", 30 s on. The output is collected until the command's
        // end is noticed on the cooperative pool, which the full suite can keep busy for seconds (14 s was seen), so
        // the background child waits long enough to stay out of it all the same.
        let result = try await Shell.run(["sh", "-c", "(sleep 30; echo late) & echo early"])
        #expect(result.stdout == "early\n")
    }

    @Test("the environment is added to ours, or alone with PATH and HOME; the directory is the one given")
    func environmentAndDirectory() async throws {
        let added = try await Shell.run(["sh", "-c", "echo $FOO:$HOME"], environment: ["FOO": "bar"])
        #expect(added.trimmedStdout == "bar:" + (ProcessInfo.processInfo.environment["HOME"] ?? ""))
        let alone = try await Shell.run(["env"], environment: ["FOO": "bar"], inheritEnvironment: false)
        #expect(Set(alone.stdout.split(separator: "\n").map { $0.prefix { $0 != "=" } }) == ["FOO", "PATH", "HOME"])
        #expect(try await Shell.run(["pwd"], directory: "/tmp").trimmedStdout == "/tmp")
    }

    @Test("a command that cannot start is an error naming it")
    func launchError() async throws {
        await #expect {
            try await Shell.run(["no-such-command-here", "x"])
        } throws: { error in
            "\(error)".contains("could not start `no-such-command-here x`")
        }
    }

    @Test("the command inherits none of our descriptors")
    func noInheritedDescriptors() async throws {
        let held = (0..<20).map { _ in socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0) }
        defer { held.forEach { close($0) } }
        let result = try await Shell.run(["sh", "-c", Self.listDescriptors])
        #expect(result.trimmedStdout == "4", "descriptors 0, 1, 2 and ls's own, not \(result.stdout)")
        let spawned = try SpawnedProcess(["sh", "-c", "[ $(\(Self.listDescriptors)) -eq 4 ]"])
        #expect(try await OffPool.run { spawned.waitForExit() } == .exited(0))
    }

    @Test("after its timeout the command gets SIGTERM, then SIGKILL 5 seconds later if it ignores SIGTERM")
    func timeout() async throws {
        let polite = try await Shell.run(["sleep", "30"], timeout: .milliseconds(300))
        #expect(polite.terminatedBySignal && polite.status == SIGTERM)
        let started = ContinuousClock.now
        let stubborn = try await Shell.run(["sh", "-c", "trap '' TERM; exec sleep 30"], timeout: .milliseconds(300))
        #expect(stubborn.terminatedBySignal && stubborn.status == SIGKILL)
        #expect(stubborn.endedAt - started > .seconds(5) && stubborn.endedAt - started < .seconds(15))
    }

    @Test("terminateWhen sends SIGTERM once and notes when; the end is timed when it happens")
    func terminateWhen() async throws {
        let start = ContinuousClock.now
        let result = try await Shell.run(
            ["sleep", "30"], terminateWhen: { ContinuousClock.now - start > .milliseconds(300) })
        let signalledAt = try #require(result.signalledAt)
        #expect(result.terminatedBySignal && result.status == SIGTERM)
        #expect(result.endedAt >= signalledAt && result.endedAt - signalledAt < .seconds(2))
        let unsignalled = try await Shell.run(["true"], terminateWhen: { false })
        #expect(unsignalled.signalledAt == nil && unsignalled.succeeded)
    }

    @Test("terminateWhenSeen polls off the pool and sends one SIGTERM, however long the condition stays true")
    func terminateWhenSeen() async throws {
        let ready = NSTemporaryDirectory() + "seen-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: ready) }
        // (calls so far, calls when it first answered true)
        let asked = Locked((0, 0))
        // A command that ignores the first SIGTERM and exits 7 on a second one: one signal only, so it exits 3.
        let result = try await Shell.run(
            ["sh", "-c", "trap 'trap \"exit 7\" TERM; sleep 1; exit 3' TERM; : >\(ready); while :; do sleep 0.05; done"],
            terminateWhenSeen: {
                asked.withLock { calls in
                    calls.0 += 1
                    guard calls.0 >= 3, FileManager.default.fileExists(atPath: ready) else { return false }
                    if calls.1 == 0 { calls.1 = calls.0 }
                    return true
                }
            })
        #expect(result.signalledAt != nil)
        #expect(result.status == 3, "one SIGTERM: \(result.status)")
        let (calls, seenAt) = asked.value
        #expect(seenAt >= 3 && calls == seenAt, "polled until seen, then no more: \(calls) calls, seen at \(seenAt)")
    }

    @Test("the sidecar runs while the command does; cancelling the caller does not stop the command")
    func sidecarAndCancellation() async throws {
        let sidecarRan = Locked(false)
        let result = try await Shell.run(["sleep", "1"], during: { sidecarRan.withLock { $0 = true } })
        #expect(result.succeeded && sidecarRan.value)
        let cancelled = Task { try await Shell.run(["sh", "-c", "sleep 0.5; echo done"]) }
        cancelled.cancel()
        #expect(try await cancelled.value.stdout == "done\n")
    }

    @Test("a spawned process is waited for, or stopped: SIGTERM, then SIGKILL after the grace period")
    func spawnedProcess() async throws {
        // Its waits block: off the pool, as its callers do.
        let endings = try await OffPool.run { () -> [SpawnedProcess.Ending] in
            let stubborn = try SpawnedProcess(["sh", "-c", "trap '' TERM; exec sleep 30"])
            usleep(300_000)  // until the trap is set
            return [
                try SpawnedProcess(["/bin/sh", "-c", "exit 3"]).waitForExit(),
                try SpawnedProcess(["sh", "-c", "kill -9 $$"]).waitForExit(),
                try SpawnedProcess(["sleep", "30"]).stop(grace: .seconds(2)),
                stubborn.stop(grace: .milliseconds(500)),
            ]
        }
        #expect(endings == [.exited(3), .signalled(SIGKILL), .signalled(SIGTERM), .signalled(SIGKILL)])
        #expect(throws: Shell.LaunchError.self) { try SpawnedProcess(["no-such-command-here"]) }
    }
}
