import Foundation
import Shared
import Worker

/// Runs a plan: every slot in parallel, each host running at most `capacity` builds. An
/// infrastructure failure moves the slot to its next eligible host (round-robin over the slot's
/// hosts, with exponential backoff) until `retries` extra attempts are spent. A build failure is
/// final, except on a host whose builder kind differs from the slot's first host while a host of
/// the first kind remains: the Dockerfile may use syntax only the first kind accepts (buildah 1.28
/// rejects buildx's `RUN --network=none`), so the slot moves on to the first kind's hosts.
struct Scheduler: Sendable {
    var plan: BuildPlan
    var builder: any PlatformBuilding
    var progress: any ProgressSink
    /// Extra attempts after the first, per slot.
    var retries: Int = 2
    /// The wait before the second attempt; it doubles after each failure.
    var backoff: Duration = .seconds(1)
    /// Bound on one attempt; `nil` for none.
    var attemptTimeout: Duration?
    /// How often a slot whose hosts are all full (``HostSlotsFull``: their slots are taken, by this run or
    /// another) asks them again. The wait counts neither as an attempt nor against ``attemptTimeout``.
    var slotPoll: Duration = .seconds(2)

    /// One slot's outcome.
    struct SlotResult: Sendable {
        var assignment: BuildPlan.Assignment
        var image: SlotOutput?
        var host: String?
        var attempts: [PlatformReport.Attempt]
        var error: String?
        var failureKind: FailureKind?
        var seconds: Double
    }

    /// Runs every slot; returns their results in plan order. Never throws: failures are results.
    func run() async -> [SlotResult] {
        let pool = HostPool(hosts: plan.assignments.flatMap { [$0.host] + $0.alternates })
        return await withTaskGroup(of: (Int, SlotResult).self) { group in
            for (index, assignment) in plan.assignments.enumerated() {
                group.addTask { (index, await runSlot(assignment, pool: pool)) }
            }
            var results = [SlotResult?](repeating: nil, count: plan.assignments.count)
            for await (index, result) in group { results[index] = result }
            return results.map { $0! }
        }
    }

    private func runSlot(_ assignment: BuildPlan.Assignment, pool: HostPool) async -> SlotResult {
        let started = ContinuousClock.now
        var candidates = [assignment.host] + assignment.alternates
        let firstKind = assignment.host.builder
        var turnOffset = 0
        var attempts: [PlatformReport.Attempt] = []
        var delay = backoff
        var lastError: (String, FailureKind)?
        for attempt in 0...max(0, retries) {
            guard await !pool.usable(candidates).isEmpty else { break }
            if attempt > 0 {
                do { try await Task.sleep(for: delay) } catch { lastError = ("interrupted", .cancelled); break }
                delay *= 2
            }
            let taken: (host: BuildHost, outcome: Result<SlotOutput, any Error>, started: ContinuousClock.Instant)
            do {
                guard let attempted = try await attemptOnFreeHost(assignment, candidates, turn: attempt - turnOffset,
                    pool: pool)
                else { break }
                taken = attempted
            } catch {
                lastError = ("interrupted", .cancelled)
                break
            }
            let (host, outcome, attemptStart) = taken
            let seconds = (ContinuousClock.now - attemptStart).seconds
            switch outcome {
            case .success(let image):
                attempts.append(.init(host: host.name, seconds: seconds))
                await progress.record(ProgressEvent(slot: assignment.slot, host: host.name, kind: .phase(.done)))
                return SlotResult(
                    assignment: assignment, image: image, host: host.name, attempts: attempts,
                    seconds: (ContinuousClock.now - started).seconds)
            case .failure(let error):
                let kind = Task.isCancelled ? .cancelled : FailureKind.of(error)
                // A cancelled attempt failed with whatever the interrupt unwound (often a bare CancellationError).
                let message = kind == .cancelled ? "interrupted" : String(describing: error)
                if FailureKind.disqualifiesHost(error) { await pool.disqualify(host.name) }
                attempts.append(.init(host: host.name, seconds: seconds, error: message, failureKind: kind))
                await progress.record(ProgressEvent(slot: assignment.slot, host: host.name, kind: .attemptFailed(message, kind)))
                lastError = (message, kind)
            }
            // Only infrastructure failures are worth another host, and a build failure on another
            // builder kind than the slot's first host, while a host of the first kind remains.
            if let failure = lastError, failure.1 == .build, host.builder != firstKind {
                let sameKind = candidates.filter { $0.builder == firstKind }
                if await !pool.usable(sameKind).isEmpty {
                    // The hosts of the first kind not tried yet come first.
                    let tried = Set(attempts.map(\.host))
                    candidates = sameKind.filter { !tried.contains($0.name) } + sameKind.filter { tried.contains($0.name) }
                    turnOffset = attempt + 1
                    continue
                }
            }
            if let lastError, lastError.1 != .infrastructure { break }
        }
        await progress.record(ProgressEvent(slot: assignment.slot, host: attempts.last?.host, kind: .phase(.failed)))
        return SlotResult(
            assignment: assignment, image: nil, host: attempts.last?.host, attempts: attempts, error: lastError?.0,
            failureKind: lastError?.1, seconds: (ContinuousClock.now - started).seconds)
    }

    /// Runs one attempt on the candidate whose turn it is, or on the next one in order when a host's own slots are
    /// all taken (``HostSlotsFull``); when every usable candidate is full, waits (saying so in the progress) and asks
    /// again, until a host takes the build. Returns the host, the outcome and when the attempt started; `nil` when
    /// every candidate is ruled out. Throws `CancellationError` when cancelled while waiting.
    private func attemptOnFreeHost(
        _ assignment: BuildPlan.Assignment, _ candidates: [BuildHost], turn: Int, pool: HostPool
    ) async throws -> (BuildHost, Result<SlotOutput, any Error>, ContinuousClock.Instant)? {
        var full: Set<String> = []
        var toldWaiting: Set<String> = []
        while true {
            let host: BuildHost
            if let acquired = try await pool.acquireUsable(candidates, turn: turn, skipping: full) {
                host = acquired
            } else {
                let waitingFor = await pool.usable(candidates).map(\.name).filter(full.contains)
                guard !waitingFor.isEmpty else { return nil }
                if Set(waitingFor) != toldWaiting {
                    toldWaiting = Set(waitingFor)
                    let hosts = waitingFor.joined(separator: ", ")
                    await progress.record(ProgressEvent(
                        slot: assignment.slot, host: waitingFor.count == 1 ? waitingFor[0] : nil,
                        kind: .log(["waiting for a free slot on \(hosts)"])))
                }
                try await Task.sleep(for: slotPoll)
                full = []
                continue
            }
            let started = ContinuousClock.now
            let outcome: Result<SlotOutput, any Error>
            do {
                let mode = host.buildMode(for: assignment.slot.platform) ?? assignment.mode
                // While waiting, the polls' own connecting and probing stay out of the progress.
                outcome = .success(try await attemptBuild(assignment.slot, on: host, mode: mode,
                    quiet: !toldWaiting.isEmpty))
            } catch {
                outcome = .failure(error)
            }
            await pool.release(host.name)
            if case .failure(let error) = outcome, error is HostSlotsFull, !Task.isCancelled {
                full.insert(host.name)
                continue
            }
            return (host, outcome, started)
        }
    }

    private func attemptBuild(_ slot: BuildSlot, on host: BuildHost, mode: BuildMode, quiet: Bool = false) async throws
        -> SlotOutput
    {
        let sink = progress
        let report: @Sendable (ProgressEvent.Kind) async -> Void = { kind in
            if quiet, case .phase(let phase) = kind, phase == .connecting || phase == .probing { return }
            await sink.record(ProgressEvent(slot: slot, host: host.name, kind: kind))
        }
        guard let attemptTimeout else {
            return try await builder.build(slot, on: host, mode: mode, progress: report)
        }
        return try await withThrowingTaskGroup(of: SlotOutput.self) { group in
            group.addTask { try await builder.build(slot, on: host, mode: mode, progress: report) }
            group.addTask {
                try await Task.sleep(for: attemptTimeout)
                throw AttemptTimeout(host: host.name, limit: attemptTimeout)
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}

/// An attempt that ran past `--timeout`; the host is treated as failed and the slot moves on.
struct AttemptTimeout: ClassifiedError {
    var host: String
    var limit: Duration
    var failureKind: FailureKind { .infrastructure }
    var description: String { "no result from \(host) within \(limit.seconds)s (--timeout)" }
}
