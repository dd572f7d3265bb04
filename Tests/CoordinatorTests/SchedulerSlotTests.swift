import Foundation
import Shared
import Testing
import Worker

@testable import Coordinator

/// The scheduler and hosts whose own slots are all taken (``HostSlotsFull``, by this run or another): another host
/// first, else a wait that is neither an attempt nor under `--timeout`, and that Ctrl-C ends.
@Suite("Scheduler: full hosts")
struct SchedulerSlotTests {
    /// Host names answer ``HostSlotsFull`` for their first `full` calls (forever for `Int.max`), then build.
    actor FullHosts {
        var full: [String: Int]
        var calls: [String] = []
        init(_ full: [String: Int]) { self.full = full }

        func begin(_ host: String) -> Bool {
            calls.append(host)
            guard let left = full[host], left > 0 else { return false }
            if left != Int.max { full[host] = left - 1 }
            return true
        }
    }

    struct Builder: PlatformBuilding {
        let hosts: FullHosts
        func build(
            _ slot: BuildSlot, on host: BuildHost, mode: BuildMode,
            progress: @escaping @Sendable (ProgressEvent.Kind) async -> Void
        ) async throws -> SlotOutput {
            if await hosts.begin(host.name) { throw HostSlotsFull(host: host.name, capacity: host.capacity) }
            return SlotOutput(digest: "sha256:" + String(repeating: "a", count: 64), phases: [:])
        }
    }

    actor Lines: ProgressSink {
        var lines: [String] = []
        func record(_ event: ProgressEvent) {
            if case .log(let text) = event.kind { lines += text }
        }
        func finish() {}
    }

    static func scheduler(_ hosts: FullHosts, _ first: String, _ others: [String], progress: Lines) -> Scheduler {
        var scheduler = Scheduler(
            plan: SchedulerTests.plan([
                (.linuxAMD64, SchedulerTests.host(first), others.map { SchedulerTests.host($0) }),
            ]),
            builder: Builder(hosts: hosts), progress: progress, retries: 0, backoff: .milliseconds(1),
            attemptTimeout: .seconds(1))
        scheduler.slotPoll = .milliseconds(20)
        return scheduler
    }

    @Test func aFullHostSendsTheSlotToTheNextHostWithoutSpendingAnAttempt() async {
        let hosts = FullHosts(["a": Int.max])
        let lines = Lines()
        let results = await Self.scheduler(hosts, "a", ["b"], progress: lines).run()
        #expect(results[0].image != nil && results[0].host == "b")
        #expect(results[0].attempts.map(\.host) == ["b"], "a full host is not a failed attempt")
        #expect(await hosts.calls == ["a", "b"])
        #expect(await lines.lines.isEmpty, "no wait while another host had a slot")
    }

    // About 1.2 s of 20 ms polls here; the limit only catches a wait that never ends. One minute was once exceeded
    // while the whole suite and a compiler shared this machine's 2 cores (every poll waits for a pool thread).
    @Test(.timeLimit(.minutes(3))) func whenEveryHostIsFullTheSlotWaitsSayingSoThenBuilds() async {
        // Full for longer than --timeout (1 s) in all: the wait is not under it.
        let hosts = FullHosts(["a": 60, "b": 60])
        let lines = Lines()
        let results = await Self.scheduler(hosts, "a", ["b"], progress: lines).run()
        #expect(results[0].image != nil, "\(results[0].error ?? "")")
        #expect(results[0].attempts.count == 1)
        let said = await lines.lines
        #expect(said == ["waiting for a free slot on a, b"], "said once per wait: \(said)")
        // Each poll asks the hosts in order.
        #expect(await hosts.calls.prefix(4) == ["a", "b", "a", "b"])
    }

    @Test(.timeLimit(.minutes(1))) func cancellingEndsTheWait() async {
        let hosts = FullHosts(["a": Int.max])
        let lines = Lines()
        let scheduler = Self.scheduler(hosts, "a", [], progress: lines)
        let run = Task { await scheduler.run() }
        while await lines.lines.isEmpty { try? await Task.sleep(for: .milliseconds(5)) }
        run.cancel()
        let results = await run.value
        #expect(results[0].image == nil && results[0].failureKind == .cancelled)
        #expect(await lines.lines == ["waiting for a free slot on a"])
    }
}
