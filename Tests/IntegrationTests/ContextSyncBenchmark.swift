import Foundation
import Shared
import Testing
import TestSupport

@testable import Worker

/// The incremental half of `scripts/bench/context-ship`: runs only when that script sets
/// `COORDINATOR_BENCH_SYNC_DIR` (a 64 MiB context of 2,000 files). In the same run, on the same host, per round:
/// today's full archive into a fresh work directory, the first (cold) sync into another, then one byte changed
/// in one file: the full archive again (fresh directory) and the sync into the warm store; then the unchanged
/// context without and with the digest cache. Writes its figures as JSON to `COORDINATOR_BENCH_OUT`.
@Suite(
    "Incremental context sync benchmark",
    .enabled(if: ProcessInfo.processInfo.environment["COORDINATOR_BENCH_SYNC_DIR"] != nil))
struct ContextSyncBenchmark {
    @Test("cold, one-byte change and unchanged: full archive against incremental sync")
    func incremental() async throws {
        let environment = ProcessInfo.processInfo.environment
        let fleet = try Fleet.require()
        let directory = try #require(environment["COORDINATOR_BENCH_SYNC_DIR"])
        let changedFile = try #require(environment["COORDINATOR_BENCH_SYNC_FILE"])
        let address = try environment["COORDINATOR_BENCH_HOST"] ?? fleet.value("TESTBED_HOST_AMD64")
        let runs = Int(environment["COORDINATOR_BENCH_RUNS"] ?? "5") ?? 5
        let inventory = try Inventory.load(path: try fleet.value("TESTBED_INVENTORY"))
        let host = try #require(inventory.hosts.first { $0.address == address })
        let shell = RemoteShell(host.shell)
        let connection = try await SSHConnection.connect(to: SSHTarget(host: host))
        let workDirectory = host.workDir + "/contextsync-bench"
        _ = try await connection.run(shell.command(for: RemoteScript([.removeTree(workDirectory)])))
        var figures: [String: [Double]] = [:]
        func note(_ key: String, _ value: Double) { figures[key, default: []].append(value) }
        func timed<T>(_ body: () async throws -> T) async throws -> (T, Double) {
            let started = ContinuousClock.now
            let value = try await body()
            return (value, seconds(ContinuousClock.now - started))
        }
        let path = directory + "/" + changedFile
        for run in 0..<runs {
            // Cold: the host has nothing. Each send into a directory of its own (see context-ship).
            let context = try BuildContext.scan(root: directory)
            let (archive, archiveSeconds) = try await timed {
                try await ContextShipment(connection: connection, shell: shell,
                    workDirectory: workDirectory + "/archive-\(run)", cache: ContextDigestCache(path: nil),
                    archiveOnly: true).ship(context)
            }
            note("coldArchiveSeconds", archiveSeconds)
            note("coldArchiveBytes", Double(archive.bytesSent))
            let (_, manifestSeconds) = try await timed { try await ContextManifest.make(for: context) }
            note("manifestSeconds", manifestSeconds)
            let syncDirectory = workDirectory + "/sync-\(run)"
            let (cold, coldSeconds) = try await timed {
                try await ContextSync(connection: connection, shell: shell, workDirectory: syncDirectory,
                    cache: ContextDigestCache(path: nil), manifests: ContextManifests()).ship(context)
            }
            note("coldSyncSeconds", coldSeconds)
            note("coldSyncBytes", Double(cold.bytesSent))
            note("files", Double(cold.files))
            note("fileBytes", Double(cold.fileBytes))
            // One byte changed (a new process: no manifest, no digest for the new fingerprint).
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            bytes[bytes.count / 2] &+= 1
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let changed = try BuildContext.scan(root: directory)
            let (full, fullSeconds) = try await timed {
                try await ContextShipment(connection: connection, shell: shell,
                    workDirectory: workDirectory + "/archive-changed-\(run)", cache: ContextDigestCache(path: nil),
                    archiveOnly: true).ship(changed)
            }
            note("changedArchiveSeconds", fullSeconds)
            note("changedArchiveBytes", Double(full.bytesSent))
            let cache = ContextDigestCache(path: nil)
            let (delta, deltaSeconds) = try await timed {
                try await ContextSync(connection: connection, shell: shell, workDirectory: syncDirectory,
                    cache: cache, manifests: ContextManifests()).ship(changed)
            }
            #expect(delta.filesSent == 1)
            note("changedSyncSeconds", deltaSeconds)
            note("changedSyncBytes", Double(delta.bytesSent))
            note("changedSyncFiles", Double(delta.filesSent))
            // Unchanged, as a new process without the digest cache: the list goes, no content.
            let (fresh, freshSeconds) = try await timed {
                try await ContextSync(connection: connection, shell: shell, workDirectory: syncDirectory,
                    cache: ContextDigestCache(path: nil), manifests: ContextManifests()).ship(changed)
            }
            #expect(fresh.filesSent == 0)
            note("unchangedNoCacheSeconds", freshSeconds)
            note("unchangedNoCacheBytes", Double(fresh.bytesSent))
            // Unchanged with the digest cache (the usual case): a check, 0 bytes.
            let (known, knownSeconds) = try await timed {
                try await ContextSync(connection: connection, shell: shell, workDirectory: syncDirectory,
                    cache: cache, manifests: ContextManifests()).ship(try BuildContext.scan(root: directory))
            }
            #expect(known.bytesSent == 0)
            note("unchangedSeconds", knownSeconds)
            note("unchangedBytes", Double(known.bytesSent))
        }
        _ = try await connection.run(shell.command(for: RemoteScript([.removeTree(workDirectory)])))
        await connection.close()
        let medians = figures.mapValues { values in values.sorted()[values.count / 2] }
        let data = try JSONSerialization.data(
            withJSONObject: ["medians": medians, "all": figures], options: [.sortedKeys])
        try data.write(
            to: URL(fileURLWithPath: environment["COORDINATOR_BENCH_OUT"] ?? "/tmp/coordinator-bench/sync.json"))
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
