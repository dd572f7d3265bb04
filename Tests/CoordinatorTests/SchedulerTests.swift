import Foundation
import Shared
import Testing

@testable import Coordinator

/// The scheduler's decisions (failover, no retry of build failures, capacity, timeouts) with a
/// scripted builder standing in for hosts. The real hosts are exercised by the integration suite.
@Suite("Scheduler")
struct SchedulerTests {
    struct Failure: ClassifiedError, HostDisqualifyingError {
        var failureKind: FailureKind
        var description: String
        var disqualifiesHost = false
    }

    /// Answers each (slot, host) attempt from a script and records concurrency per host.
    actor Script {
        var answers: [String: [Result<Void, Failure>]] = [:]
        var delay: Duration = .zero
        var running: [String: Int] = [:]
        var peak: [String: Int] = [:]
        var calls: [String] = []
        /// Builders wait until this many have started (proves they run at the same time).
        var barrier = 0
        var started = 0

        init(_ answers: [String: [Result<Void, Failure>]], delay: Duration = .zero) {
            self.answers = answers
            self.delay = delay
        }

        func begin(_ host: String, _ slot: String) -> (Result<Void, Failure>, Duration) {
            calls.append("\(slot)@\(host)")
            started += 1
            running[host, default: 0] += 1
            peak[host] = max(peak[host, default: 0], running[host]!)
            let queue = answers[host] ?? []
            answers[host] = Array(queue.dropFirst())
            return (queue.first ?? .success(()), delay)
        }

        func end(_ host: String) { running[host]! -= 1 }

        func setBarrier(_ count: Int) { barrier = count }

        /// Whether `barrier` builders have started.
        var barrierReached: Bool { started >= barrier }
    }

    struct ScriptedBuilder: PlatformBuilding {
        let script: Script
        func build(
            _ slot: BuildSlot, on host: BuildHost, mode: BuildMode,
            progress: @escaping @Sendable (ProgressEvent.Kind) async -> Void
        ) async throws -> SlotOutput {
            let (answer, delay) = await script.begin(host.name, slot.platform.description)
            await progress(.phase(.building))
            let deadline = ContinuousClock.now + .seconds(20)
            while await !script.barrierReached, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            do {
                try await Task.sleep(for: delay)
            } catch {
                await script.end(host.name)
                throw error
            }
            await script.end(host.name)
            try answer.get()
            return SlotOutput(digest: "sha256:" + String(repeating: "a", count: 64), phases: ["building": 0])
        }
    }

    actor Recorder: ProgressSink {
        var events: [String] = []
        func record(_ event: ProgressEvent) {
            if case .attemptFailed(_, let kind) = event.kind { events.append("\(event.host ?? "-"):\(kind)") }
        }
        func finish() {}
    }

    static func host(_ name: String, capacity: Int = 1) -> BuildHost {
        BuildHost(name: name, address: name, platforms: [.linuxAMD64, .linuxARM64], capacity: capacity)
    }

    static func plan(_ pairs: [(Platform, BuildHost, [BuildHost])]) -> BuildPlan {
        let target = BuildTarget(image: "r.io/a", version: "v1", platforms: pairs.map(\.0), windowsVersions: [.ltsc2022])
        return BuildPlan(target: target, assignments: pairs.map { platform, host, alternates in
            BuildPlan.Assignment(
                slot: BuildSlot(platform: platform, windowsVersion: nil, image: "r.io/a", version: "v1"), host: host,
                mode: .native, alternates: alternates)
        })
    }

    @Test func infrastructureFailureMovesToTheNextHost() async {
        let script = Script(["a": [.failure(Failure(failureKind: .infrastructure, description: "connection refused"))]])
        let recorder = Recorder()
        let scheduler = Scheduler(
            plan: Self.plan([(.linuxAMD64, Self.host("a"), [Self.host("b")])]), builder: ScriptedBuilder(script: script),
            progress: recorder, retries: 2, backoff: .milliseconds(1))
        let results = await scheduler.run()
        #expect(results[0].image != nil)
        #expect(results[0].host == "b")
        #expect(results[0].attempts.map(\.host) == ["a", "b"])
        #expect(results[0].attempts[0].failureKind == .infrastructure)
        #expect(await recorder.events == ["a:infrastructure"])
    }

    @Test func aDisqualifiedHostIsNeverTriedAgainBySlotOrBySibling() async {
        // `a` presents a changed host key: the slot moves to `b` and never returns to `a`, and the
        // arm64 slot planned on `a` goes straight to `b` too.
        let changedKey = Failure(failureKind: .infrastructure, description: "HOST KEY MISMATCH", disqualifiesHost: true)
        let script = Script(["a": Array(repeating: .failure(changedKey), count: 10)])
        let scheduler = Scheduler(
            plan: Self.plan([(.linuxAMD64, Self.host("a"), [Self.host("b")]), (.linuxARM64, Self.host("a"), [Self.host("b")])]),
            builder: ScriptedBuilder(script: script), progress: Recorder(), retries: 3, backoff: .milliseconds(1))
        let results = await scheduler.run()
        #expect(results.allSatisfy { $0.host == "b" && $0.image != nil })
        let calls = await script.calls
        #expect(calls.filter { $0.hasSuffix("@a") }.count == 1, "\(calls)")
    }

    // An hour of backoff: waiting for it before giving up would trip the time limit, whatever the load.
    @Test(.timeLimit(.minutes(1))) func aDisqualifiedHostWithoutAlternatesFailsAtOnce() async {
        let changedKey = Failure(failureKind: .infrastructure, description: "HOST KEY MISMATCH", disqualifiesHost: true)
        let script = Script(["a": Array(repeating: .failure(changedKey), count: 10)])
        let scheduler = Scheduler(
            plan: Self.plan([(.linuxAMD64, Self.host("a"), [])]), builder: ScriptedBuilder(script: script),
            progress: Recorder(), retries: 3, backoff: .seconds(3600))
        let results = await scheduler.run()
        #expect(results[0].image == nil && results[0].error == "HOST KEY MISMATCH")
        #expect(results[0].attempts.count == 1)
    }

    @Test func buildFailureIsNotRetriedElsewhere() async {
        let script = Script(["a": [.failure(Failure(failureKind: .build, description: "RUN make: exit 2"))]])
        let scheduler = Scheduler(
            plan: Self.plan([(.linuxAMD64, Self.host("a"), [Self.host("b")])]), builder: ScriptedBuilder(script: script),
            progress: Recorder(), retries: 3, backoff: .milliseconds(1))
        let results = await scheduler.run()
        #expect(results[0].image == nil)
        #expect(results[0].failureKind == .build)
        #expect(results[0].error == "RUN make: exit 2")
        #expect(await script.calls == ["linux/amd64@a"])
    }

    @Test func aBuildFailureOnAnotherBuilderKindMovesToTheFirstKind() async {
        // `a` (buildx) is killed mid-build; `b` (buildah, earlier in the failover order here) rejects
        // buildx syntax: not final while `c` (buildx) remains, which builds it.
        var buildah = Self.host("b")
        buildah.builder = .buildah
        let script = Script([
            "a": [.failure(Failure(failureKind: .infrastructure, description: "connection lost"))],
            "b": [.failure(Failure(failureKind: .build, description: "unknown flag: --network"))],
        ])
        let scheduler = Scheduler(
            plan: Self.plan([(.linuxAMD64, Self.host("a"), [buildah, Self.host("c")])]),
            builder: ScriptedBuilder(script: script), progress: Recorder(), retries: 2, backoff: .milliseconds(1))
        let results = await scheduler.run()
        #expect(results[0].image != nil, "\(results[0].attempts)")
        #expect(results[0].attempts.map(\.host) == ["a", "b", "c"])
    }

    @Test func aBuildFailureOnAnotherKindIsFinalWhenNoHostOfTheFirstKindRemains() async {
        var buildah = Self.host("b")
        buildah.builder = .buildah
        // `a` presents a changed host key (ruled out for the run), so no buildx host remains.
        let changedKey = Failure(failureKind: .infrastructure, description: "HOST KEY MISMATCH", disqualifiesHost: true)
        let script = Script([
            "a": [.failure(changedKey)],
            "b": [.failure(Failure(failureKind: .build, description: "RUN make: exit 2"))],
        ])
        let scheduler = Scheduler(
            plan: Self.plan([(.linuxAMD64, Self.host("a"), [buildah])]),
            builder: ScriptedBuilder(script: script), progress: Recorder(), retries: 3, backoff: .milliseconds(1))
        let results = await scheduler.run()
        #expect(results[0].image == nil)
        #expect(results[0].failureKind == .build)
        #expect(results[0].attempts.map(\.host) == ["a", "b"])
    }

    @Test func retriesAreBounded() async {
        let down = Failure(failureKind: .infrastructure, description: "unreachable")
        let script = Script(["a": Array(repeating: .failure(down), count: 10), "b": Array(repeating: .failure(down), count: 10)])
        let scheduler = Scheduler(
            plan: Self.plan([(.linuxAMD64, Self.host("a"), [Self.host("b")])]), builder: ScriptedBuilder(script: script),
            progress: Recorder(), retries: 2, backoff: .milliseconds(1))
        let results = await scheduler.run()
        #expect(results[0].image == nil)
        #expect(results[0].failureKind == .infrastructure)
        #expect(results[0].attempts.map(\.host) == ["a", "b", "a"])
    }

    @Test func capacityBoundsConcurrencyPerHost() async {
        let shared = Self.host("a", capacity: 2)
        let platforms: [Platform] = [.linuxAMD64, .linuxARM64, Platform(os: "linux", architecture: "arm", variant: "v7"),
                                     Platform(os: "linux", architecture: "386"), Platform(os: "linux", architecture: "s390x")]
        let script = Script([:], delay: .milliseconds(50))
        let scheduler = Scheduler(
            plan: Self.plan(platforms.map { ($0, shared, []) }), builder: ScriptedBuilder(script: script),
            progress: Recorder())
        let results = await scheduler.run()
        #expect(results.allSatisfy { $0.image != nil })
        #expect(await script.peak["a"] == 2)
    }

    @Test func slotsRunInParallelAcrossHosts() async {
        // Each build waits until all three have started: run one at a time, they would time out.
        let script = Script([:])
        await script.setBarrier(3)
        let scheduler = Scheduler(
            plan: Self.plan([(.linuxAMD64, Self.host("a"), []), (.linuxARM64, Self.host("b"), []),
                             (Platform(os: "linux", architecture: "386"), Self.host("c"), [])]),
            builder: ScriptedBuilder(script: script), progress: Recorder(), retries: 0,
            attemptTimeout: .seconds(15))
        let results = await scheduler.run()
        #expect(results.allSatisfy { $0.image != nil }, "\(results.map(\.error))")
    }

    // The build would take an hour: only the attempt timeout can end it within the time limit.
    @Test(.timeLimit(.minutes(1))) func attemptTimeoutCountsAsInfrastructure() async {
        let script = Script([:], delay: .seconds(3600))
        let scheduler = Scheduler(
            plan: Self.plan([(.linuxAMD64, Self.host("a"), [])]), builder: ScriptedBuilder(script: script),
            progress: Recorder(), retries: 0, attemptTimeout: .milliseconds(100))
        let results = await scheduler.run()
        #expect(results[0].failureKind == .infrastructure)
        #expect(results[0].error?.contains("within 0.1s (--timeout)") == true)
    }
}
