import Foundation
import Shared
import Testing
import TestSupport

@testable import Worker

/// The incremental half of `scripts/bench/context-ship`: runs only when that script sets
/// `COORDINATOR_BENCH_SYNC_DIR` (a 64 MiB context of 2,000 files). In the same run, on the same host, per round:
/// the release's one read of the context before any host (timed against today's plain archive pass), today's
/// full archive into a fresh work directory, the first (cold) sync into another, and a cold sync as a release makes
/// it (the upload command with its file list beside the build's probe) into a third, then one byte changed in one
/// file: the read again, the full archive again (fresh directory) and the sync into the warm store; then the
/// unchanged context without and with the digest cache. Writes its figures as JSON to `COORDINATOR_BENCH_OUT`.
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
        // This process's CPU (user and system) in the last timed step: the coordinator's own work, which wall time
        // on 2 shared cores (the host's sshd and tar run on them too) does not isolate.
        var lastCPU = 0.0
        func cpu() -> Double {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
                + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        }
        func timed<T>(_ body: () async throws -> T) async throws -> (T, Double) {
            let started = ContinuousClock.now
            let cpuBefore = cpu()
            let value = try await body()
            lastCPU = cpu() - cpuBefore
            return (value, seconds(ContinuousClock.now - started))
        }
        let path = directory + "/" + changedFile
        for run in 0..<runs {
            // Cold: the host has nothing. Each send into a directory of its own (see context-ship). Before any
            // host, a release reads a changed context once (`BuildContext.contentDigest`): today's plain archive
            // pass, timed for comparison, and the same pass recording the files' digests for the sync's manifest.
            let context = try BuildContext.scan(root: directory)
            let (_, plainSeconds) = try await timed {
                let archive = context.archive()
                for try await _ in archive {}
            }
            note("preparePlainSeconds", plainSeconds)
            let cache = ContextDigestCache(path: nil)
            let manifests = ContextManifests()
            let (_, prepareSeconds) = try await timed {
                try await context.contentDigest(cache: cache, manifests: manifests)
            }
            note("prepareSeconds", prepareSeconds)
            // Which goes first alternates by round: the second of two 64 MiB writes meets the first's writeback.
            let syncDirectory = workDirectory + "/sync-\(run)"
            func sendArchive() async throws -> (ContextShipment.Shipped, Double) {
                try await timed {
                    try await ContextShipment(connection: connection, shell: shell,
                        workDirectory: workDirectory + "/archive-\(run)", cache: cache, archiveOnly: true).ship(context)
                }
            }
            // As in a release, whose build's probe has already found the context missing on the host: no check first.
            func absent(_ context: BuildContext, _ cache: ContextDigestCache) async -> String? {
                await cache.digest(for: ContextManifest.cacheKey(fingerprint: context.fingerprint))?.digest
            }
            let coldAbsent = await absent(context, cache)
            func sendSync() async throws -> (ContextShipment.Shipped, Double) {
                try await timed {
                    try await ContextSync(connection: connection, shell: shell, workDirectory: syncDirectory,
                        cache: cache, manifests: manifests, probedAbsent: coldAbsent).ship(context)
                }
            }
            // As a release sends it since bb58300: the build's probe (here the same check command the archive's send
            // begins with) and, beside it, the upload command with its file list; the contents once both answered.
            let releaseDirectory = workDirectory + "/release-\(run)"
            func sendReleaseSync() async throws -> (ContextShipment.Shipped, Double) {
                let manifest = try #require(await manifests.known(for: context))
                let digest = try #require(coldAbsent)
                return try await timed {
                    let store = RemoteContextStore(shell: shell, workDirectory: releaseDirectory)
                    let started = try ContextSync.Started.start(
                        connection: connection, store: store, listing: ContextSync.Listing(context, manifest, family: .posix))
                    let probe = try await connection.run(store.checkCommand(digest: digest))
                    #expect(probe.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "absent")
                    return try await ContextSync(connection: connection, shell: shell, workDirectory: releaseDirectory,
                        cache: cache, manifests: manifests, probedAbsent: digest).ship(context, started: started)
                }
            }
            var archive: ContextShipment.Shipped?, archiveSeconds = 0.0
            var cold: ContextShipment.Shipped?, coldSeconds = 0.0
            var released: ContextShipment.Shipped?, releasedSeconds = 0.0
            // The three cold sends take turns at going first.
            for step in 0..<3 {
                switch (step + run) % 3 {
                case 0:
                    (archive, archiveSeconds) = try await sendArchive()
                    note("coldArchiveCPUSeconds", lastCPU)
                case 1:
                    (cold, coldSeconds) = try await sendSync()
                    note("coldSyncCPUSeconds", lastCPU)
                default: (released, releasedSeconds) = try await sendReleaseSync()
                }
            }
            guard let archive, let cold, let released else { throw CancellationError() }
            #expect(released.filesSent == cold.filesSent && released.digest == cold.digest)
            note("coldReleaseSyncSeconds", releasedSeconds)
            note("coldReleaseRatio", releasedSeconds / archiveSeconds)
            note("coldArchiveSeconds", archiveSeconds)
            note("coldArchiveBytes", Double(archive.bytesSent))
            let (_, manifestSeconds) = try await timed { try await ContextManifest.make(for: context) }
            note("manifestSeconds", manifestSeconds)
            note("coldSyncSeconds", coldSeconds)
            note("coldSyncBytes", Double(cold.bytesSent))
            note("coldRatio", coldSeconds / archiveSeconds)
            note("files", Double(cold.files))
            note("fileBytes", Double(cold.fileBytes))
            // One byte changed (a new process: no manifest, no digest for the new fingerprint; the release's
            // read of the changed context comes first, as above).
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            bytes[bytes.count / 2] &+= 1
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let changed = try BuildContext.scan(root: directory)
            let changedCache = ContextDigestCache(path: nil)
            let changedManifests = ContextManifests()
            let (_, changedPrepareSeconds) = try await timed {
                try await changed.contentDigest(cache: changedCache, manifests: changedManifests)
            }
            note("changedPrepareSeconds", changedPrepareSeconds)
            let (full, fullSeconds) = try await timed {
                try await ContextShipment(connection: connection, shell: shell,
                    workDirectory: workDirectory + "/archive-changed-\(run)", cache: changedCache,
                    archiveOnly: true).ship(changed)
            }
            note("changedArchiveSeconds", fullSeconds)
            note("changedArchiveBytes", Double(full.bytesSent))
            let changedAbsent = await absent(changed, changedCache)
            let (delta, deltaSeconds) = try await timed {
                try await ContextSync(connection: connection, shell: shell, workDirectory: syncDirectory,
                    cache: changedCache, manifests: changedManifests, probedAbsent: changedAbsent).ship(changed)
            }
            #expect(delta.filesSent == 1)
            note("changedSyncSeconds", deltaSeconds)
            note("changedSyncBytes", Double(delta.bytesSent))
            note("changedSyncFiles", Double(delta.filesSent))
            // What a Windows host gets after the same change, from the same code (no Windows host here): its list (a line
            // per file, with the path) and its stream (the directories, links and the one new file).
            let before = try await manifests.manifest(for: context).manifest
            let after = try await changedManifests.manifest(for: changed).manifest
            let names = ContextSync.objectNames(changed, after)
            let missing = Set(names.unique).subtracting(ContextSync.objectNames(context, before).unique)
            let listing = ContextSync.Listing(changed, after, family: .windows)
            let (windowsItems, windowsSent) = ContextSync.windowsItems(
                changed, objectNames: names.perEntry, missing: missing)
            #expect(windowsSent == 1)
            var windowsStreamBytes = 0
            for try await chunk in TarStream(root: changed.root, items: windowsItems) { windowsStreamBytes += chunk.count }
            note("changedWindowsListBytes", Double(listing.bytes.count))
            note("changedWindowsBytes", Double(listing.bytes.count + 1 + windowsStreamBytes))
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
                    cache: changedCache, manifests: ContextManifests()).ship(try BuildContext.scan(root: directory))
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
