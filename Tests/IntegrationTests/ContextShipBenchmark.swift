import Foundation
import Shared
import Testing
import TestSupport

@testable import Worker

/// The worker half of `scripts/bench/context-ship`: runs only when that script sets
/// `COORDINATOR_BENCH_DIR` (it is a measurement, not a check of behaviour; the behaviour is covered by
/// `RemoteWorkerTests`). Writes its figures as JSON to `COORDINATOR_BENCH_OUT`.
@Suite("Context shipping benchmark", .enabled(if: ProcessInfo.processInfo.environment["COORDINATOR_BENCH_DIR"] != nil))
struct ContextShipBenchmark {
    @Test("ship a large context, then notice it unchanged")
    func ship() async throws {
        let environment = ProcessInfo.processInfo.environment
        let fleet = try Fleet.require()
        let directory = try #require(environment["COORDINATOR_BENCH_DIR"])
        let address = try environment["COORDINATOR_BENCH_HOST"] ?? fleet.value("TESTBED_HOST_AMD64")
        let runs = Int(environment["COORDINATOR_BENCH_RUNS"] ?? "5") ?? 5
        let inventory = try Inventory.load(path: try fleet.value("TESTBED_INVENTORY"))
        let host = try #require(inventory.hosts.first { $0.address == address })
        let shell = RemoteShell(host.shell)
        let connection = try await SSHConnection.connect(to: SSHTarget(host: host))
        let workDirectory = host.workDir + "/bench-worker"
        var shipTimes: [Double] = []
        var archiveBytes: Int64 = 0
        var entries = 0
        // Each run ships into a work directory of its own and nothing is removed until the end (see the
        // script: on the fleet's journal-less ext4, extracting right after a large removal measures the
        // filesystem's inode allocator).
        _ = try await connection.run(shell.command(for: RemoteScript([.removeTree(workDirectory)])))
        for run in 0..<runs {
            let cache = ContextDigestCache(path: nil)
            let started = ContinuousClock.now
            let context = try BuildContext.scan(root: directory)
            let shipped = try await ContextShipment(connection: connection, shell: shell,
                workDirectory: workDirectory + "/run-\(run)", cache: cache, archiveOnly: true).ship(context)
            shipTimes.append(seconds(ContinuousClock.now - started))
            archiveBytes = shipped.bytesSent
            entries = context.entries.count
            #expect(shipped.bytesSent > 256 << 20)
        }
        let cache = ContextDigestCache(path: nil)
        _ = try await ContextShipment(connection: connection, shell: shell, workDirectory: workDirectory, cache: cache)
            .ship(try BuildContext.scan(root: directory))
        var unchangedTimes: [Double] = []
        var localTimes: [Double] = []
        var probeTimes: [Double] = []
        var unchangedBytes: Int64 = 0
        for _ in 0..<max(runs, 5) {
            // As a build does it: scan, look the fingerprint up, ask in the probe every build makes anyway.
            let started = ContinuousClock.now
            let context = try BuildContext.scan(root: directory)
            let known = try #require(
                await cache.digest(for: shell.family == .posix
                    ? ContextManifest.cacheKey(fingerprint: context.fingerprint) : context.fingerprint))
            let local = ContinuousClock.now
            let probe = try await HostProbe.probe(host, over: connection,
                contextDirectory: RemoteContextStore(shell: shell, workDirectory: workDirectory).path(for: known.digest),
                asking: .platform)  // what a build asks before building (the builder is checked alongside the build)
            let ended = ContinuousClock.now
            #expect(probe.contextPresent == true)
            localTimes.append(seconds(local - started))
            probeTimes.append(seconds(ended - local))
            // The stand-alone path (a separate check command) for comparison.
            let separate = ContinuousClock.now
            let shipped = try await ContextShipment(connection: connection, shell: shell, workDirectory: workDirectory,
                cache: cache).ship(context)
            unchangedTimes.append(seconds(local - started) + seconds(ContinuousClock.now - separate))
            unchangedBytes += shipped.bytesSent
        }
        _ = try await connection.run(shell.command(for: RemoteScript([.removeTree(workDirectory)])))
        await connection.close()
        #expect(unchangedBytes == 0)
        let figures: [String: Any] = [
            "files": entries, "archiveBytes": archiveBytes, "shipMedian": median(shipTimes), "shipTimes": shipTimes,
            "unchangedMedian": median(unchangedTimes), "unchangedTimes": unchangedTimes, "unchangedBytes": unchangedBytes,
            "localMedian": median(localTimes), "probeMedian": median(probeTimes),
        ]
        let data = try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys])
        try data.write(to: URL(fileURLWithPath: environment["COORDINATOR_BENCH_OUT"] ?? "/tmp/coordinator-bench/worker.json"))
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}
