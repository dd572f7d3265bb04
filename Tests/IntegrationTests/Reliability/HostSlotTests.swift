import Foundation
import Shared
import Testing
import TestSupport

@testable import Worker

#if canImport(Glibc)
    import Glibc
#endif

/// Host slots that hold across concurrent runs (the host's `flock`ed `WORKDIR/slots/N`), and contexts a build is
/// reading that another build's prune leaves alone. Each test gives the hosts a work directory of its own, so no
/// other suite's builds share their slots or contexts; the images go to `hostslots/...`.
/// Nested in ``HostFaultTests`` (serialized with its cases), since both use, stop and kill `fault-1`.
extension HostFaultTests {
    @Suite("Reliability: host slots across runs", .serialized)
    struct HostSlotTests {
        /// Two runs at once share a capacity-1 `fault-1` and an eligible `fault-2`: `fault-1` never builds twice at
        /// once, the second run goes to `fault-2`, and both succeed.
        @Test("two concurrent runs never build twice at once on a capacity-1 host; the second takes the other host")
        func concurrentRunsShareHost() async throws {
            let fleet = try Fleet.require()
            let work = Self.workRoot()
            defer { try? FileManager.default.removeItem(atPath: work) }
            let inventory = try Self.inventory(fleet, hosts: [("fault-1", work + "/f1"), ("fault-2", work + "/f2")])
            let (first, second) = try Self.projects(fleet, inventory: inventory)
            defer {
                first.project.remove()
                second.project.remove()
            }
            let sampler = BuildSampler(workDirectory: work + "/f1")
            async let one = first.project.build(first.arguments, timeout: .seconds(300))
            async let two = second.project.build(second.arguments, timeout: .seconds(300))
            let results = try await [one, two]
            await sampler.stop()
            for result in results {
                #expect(result.status == 0 && !result.terminatedBySignal, "\(result.stdout)\n\(result.stderr)")
            }
            #expect(sampler.most == 1, "builds at once on fault-1: \(sampler.most) (\(sampler.samples) samples)")
            let hosts = try [first, second].map { try Self.builtOn($0.report) }
            #expect(Set(hosts) == ["fault-1", "fault-2"], "\(hosts)")
        }

        /// With `fault-1` alone (capacity 1) the second run says it waits, then builds after the first.
        @Test("with the capacity-1 host alone, the second run waits for a free slot, then succeeds")
        func secondRunWaits() async throws {
            let fleet = try Fleet.require()
            let work = Self.workRoot()
            defer { try? FileManager.default.removeItem(atPath: work) }
            let inventory = try Self.inventory(fleet, hosts: [("fault-1", work + "/f1")])
            let (first, second) = try Self.projects(fleet, inventory: inventory)
            defer {
                first.project.remove()
                second.project.remove()
            }
            let sampler = BuildSampler(workDirectory: work + "/f1")
            // A --timeout shorter than the wait: waiting does not count against it.
            async let one = first.project.build(first.arguments + ["--timeout", "40s"], timeout: .seconds(300))
            async let two = second.project.build(second.arguments + ["--timeout", "40s"], timeout: .seconds(300))
            let results = try await [one, two]
            await sampler.stop()
            for result in results {
                #expect(result.status == 0 && !result.terminatedBySignal, "\(result.stdout)\n\(result.stderr)")
            }
            #expect(sampler.most == 1, "builds at once on fault-1: \(sampler.most) (\(sampler.samples) samples)")
            // The plain progress goes to standard error.
            let waited = results.filter { $0.stderr.contains("waiting for a free slot on fault-1") }
            #expect(waited.count == 1, "\(results.map(\.stderr))")
            // The polls while it waited are not shown as connecting again and again.
            let said = try #require(waited.first?.stderr)
            let start = try #require(said.range(of: "waiting for a free slot"))
            let afterWaiting = said[start.lowerBound...]
            #expect(!afterWaiting.contains("] probing"), "\(said)")
        }

        /// A run killed with SIGKILL leaves its build running on the host; once that build's processes have ended
        /// (killed here with `scripts/testbed kill-sessions`), the slot is free: the next run does not wait.
        @Test("a run killed with SIGKILL frees its slot once its build process on the host has ended")
        func killedRunFreesSlot() async throws {
            let fleet = try Fleet.require()
            let work = Self.workRoot()
            defer { try? FileManager.default.removeItem(atPath: work) }
            try await Testbed.run("start-host", "fault-1")
            let inventory = try Self.inventory(fleet, hosts: [("fault-1", work + "/f1")])
            let (first, second) = try Self.projects(fleet, inventory: inventory, seconds: 60)
            defer {
                first.project.remove()
                second.project.remove()
            }
            let killed = try SpawnedProcess(
                ["/usr/bin/env", "DOCKER_CONFIG=" + first.project.directory + "/docker-config", CoordinatorBinary.path,
                 "build", "--progress", "plain", "--context", first.project.directory] + first.arguments)
            let building = BuildSampler(workDirectory: work + "/f1")
            let deadline = ContinuousClock.now + .seconds(180)
            while !ProcFS.running(commandContaining: first.marker), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(ProcFS.running(commandContaining: first.marker), "the first run's RUN step never ran on fault-1")
            kill(killed.pid, SIGKILL)
            let ending = try await OffPool.run { killed.waitForExit() }
            #expect(ending == .signalled(SIGKILL))
            // Whatever of the build goes on on the host without its coordinator holds the slot: kill it there.
            try await Testbed.run("kill-sessions", "fault-1")
            while building.running > 0 || ProcFS.running(commandContaining: first.marker), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
            await building.stop()
            let result = try await second.project.build(second.arguments, timeout: .seconds(300))
            #expect(result.status == 0 && !result.terminatedBySignal, "\(result.stdout)\n\(result.stderr)")
            #expect(!result.stderr.contains("waiting for a free slot"), "\(result.stderr)")
        }

        /// A build reading context A (its COPY runs after a pause) and, meanwhile, a build on the same host (capacity 2,
        /// the same work directory) that ships context B and prunes with a one-byte budget: A's context survives and
        /// A's COPY gets all its files.
        @Test("a context a running build uses is not pruned by another build's prune on the same host")
        func pruneSkipsContextInUse() async throws {
            let fleet = try Fleet.require()
            let work = Self.workRoot()
            defer { try? FileManager.default.removeItem(atPath: work) }
            let inventory = try Inventory.load(path: try fleet.value("TESTBED_INVENTORY"))
            // buildah reads the context when the COPY step runs (BuildKit may fetch it before).
            var host = try #require(inventory.host(named: "wincross-1"))
            host.workDir = work + "/shared"
            host.capacity = 2
            let registry = try fleet.value("TESTBED_REGISTRY")
            let base = try fleet.value("TESTBED_BASE_IMAGE")
            let marker = "hostslots-prune-\(UInt32.random(in: 1...UInt32.max))"
            let directory = work + "/local"
            func context(_ files: [String: String]) throws -> String {
                try RemoteWorkerTests.Fixture.context(files, under: directory)
            }
            var filesA = [
                "Dockerfile": "FROM \(base)\nRUN sleep 12; echo \(marker)\nCOPY data/ /data/\n"
                    + "RUN test \"$(ls /data | wc -l)\" -eq 40\n"
            ]
            for index in 0..<40 { filesA["data/f\(index)"] = String(repeating: "a", count: 8192) + UUID().uuidString }
            let rootA = try context(filesA)
            let rootB = try context(["Dockerfile": "FROM \(base)\nCOPY b /\n", "b": UUID().uuidString])
            let workerA = RemoteWorker(host: host, digestCache: ContextDigestCache(path: nil))
            let workerB = RemoteWorker(host: host, digestCache: ContextDigestCache(path: nil),
                retention: ContextRetention(maximumAgeDays: 7, maximumTotalBytes: 1))
            let contextA = try BuildContext.scan(root: rootA)
            let contextB = try BuildContext.scan(root: rootB)
            let first = Task {
                try await workerA.build(BuildRequest(tag: "\(registry)/hostslots/prune-a:v1", platform: .linuxAMD64,
                    insecureRegistry: true), context: contextA)
            }
            let deadline = ContinuousClock.now + .seconds(180)
            while !ProcFS.running(commandContaining: "echo \(marker)"), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(ProcFS.running(commandContaining: "echo \(marker)"), "build A's pause never ran")
            let second = try await workerB.build(
                BuildRequest(tag: "\(registry)/hostslots/prune-b:v1", platform: .linuxAMD64, insecureRegistry: true),
                context: contextB)
            #expect(second.contextBytesSent > 0, "build B shipped a context, so it pruned")
            let resultA = try await first.value
            #expect(resultA.digest != nil)
            #expect(FileManager.default.fileExists(atPath: host.workDir + "/contexts/" + resultA.contextDigest))
            // A third prune, with no build holding A, removes it: the lock only protects contexts in use.
            let rootC = try context(["Dockerfile": "FROM \(base)\nCOPY c /\n", "c": UUID().uuidString])
            _ = try await workerB.build(BuildRequest(tag: "\(registry)/hostslots/prune-c:v1", platform: .linuxAMD64,
                insecureRegistry: true), context: try BuildContext.scan(root: rootC))
            #expect(!FileManager.default.fileExists(atPath: host.workDir + "/contexts/" + resultA.contextDigest))
        }

        // MARK: - Support

        /// Samples how many builds run at once on a host: its builders' processes, whose command lines name the
        /// context directory under the host's own `workDirectory`.
        final class BuildSampler: Sendable {
            private let thread: PollingThread
            private let counts = Locked<(most: Int, samples: Int, last: Int)>((0, 0, 0))

            init(workDirectory: String) {
                let counts = counts
                let contexts = workDirectory + "/contexts/"
                thread = PollingThread(every: .milliseconds(50)) {
                    // One build is several processes (docker and its buildx plugin): count the contexts they build.
                    let now = Set(ProcFS.processes().compactMap { pid -> Substring? in
                        guard let line = ProcFS.commandLine(of: pid), line.contains("buildx build"),
                            let start = line.range(of: contexts)
                        else { return nil }
                        return line[start.upperBound...].prefix(64)
                    }).count
                    counts.withLock { $0 = (max($0.most, now), $0.samples + 1, now) }
                }
            }

            /// The most builds seen at once.
            var most: Int { counts.value.most }
            var samples: Int { counts.value.samples }
            /// Builds seen in the last sample.
            var running: Int { counts.value.last }

            func stop() async { await thread.stop() }
        }

        struct Run {
            var project: BuildCommandTests.Project
            var arguments: [String]
            var report: String
            var marker: String
        }

        /// Two projects whose builds pause `seconds` in a RUN step whose command line holds a marker of the run.
        static func projects(_ fleet: Fleet, inventory: String, seconds: Int = 8) throws -> (Run, Run) {
            func run(_ name: String) throws -> Run {
                let marker = "hostslots-\(name)-\(UInt32.random(in: 1...UInt32.max))"
                let project = try BuildCommandTests.Project(
                    fleet: fleet, dockerfile: "FROM \(try fleet.value("TESTBED_BASE_IMAGE"))\n"
                        + "RUN --network=none sleep \(seconds); echo \(marker)\n")
                let path = try project.inventory(inventory)
                let suffix = UUID().uuidString.prefix(8).lowercased()
                let image = "\(try fleet.value("TESTBED_REGISTRY"))/hostslots/\(name)-\(suffix)"
                let report = project.directory + "/report.json"
                return Run(
                    project: project,
                    arguments: ["--inventory", path, "--image", image, "--tag", "v1", "--platform", "linux/amd64",
                        "--json", report],
                    report: report, marker: marker)
            }
            return (try run("one"), try run("two"))
        }

        /// The host the report's only platform was built on.
        static func builtOn(_ report: String) throws -> String {
            let data = try Data(contentsOf: URL(fileURLWithPath: report))
            let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            let platform = try #require((json?["platforms"] as? [[String: Any]])?.first)
            return try #require(platform["host"] as? String)
        }

        /// A fresh directory for the hosts' work directories (the hosts are sshd processes on this machine).
        static func workRoot() -> String {
            NSTemporaryDirectory() + "hostslots-\(UUID().uuidString)"
        }

        /// The fault hosts named, each capacity 1 with its own work directory, in that order.
        static func inventory(_ fleet: Fleet, hosts: [(name: String, workDir: String)]) throws -> String {
            let addresses = ["fault-1": "TESTBED_HOST_FAULT1", "fault-2": "TESTBED_HOST_FAULT2"]
            let entries = try hosts.map { host in
                """
                { "name": "\(host.name)", "address": "\(try fleet.value(addresses[host.name]!))",
                  "platforms": ["linux/amd64"], "capacity": 1, "workDir": "\(host.workDir)" }
                """
            }
            return """
                { "defaults": { "user": "root", "port": 2222, "identityFiles": ["\(try fleet.value("TESTBED_SSH_KEY"))"],
                                "agent": false, "knownHostsFile": "\(try fleet.value("TESTBED_KNOWN_HOSTS"))" },
                  "hosts": [ \(entries.joined(separator: ", ")) ] }
                """
        }
    }
}
