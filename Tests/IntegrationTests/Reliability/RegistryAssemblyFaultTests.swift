import Foundation
import Shared
import Testing
import TestSupport

extension RegistryFaults {
    /// `coordinator manifest create` and `coordinator build` while the registry fails during assembly: the proxy
    /// drops or fails exactly the list PUT or the children's reads, and the real registry is stopped and started.
    /// Each ends in a pushed, complete list or a clean failure with no list; never a list missing a platform.
    @Suite("registry faults during list assembly")
    struct Assembly {
        /// Counts `warning: registry HOST: METHOD` retry notes on stderr.
        static func retryNotes(_ stderr: String, host: String, method: String) -> Int {
            stderr.components(separatedBy: "warning: registry \(host): \(method) ").count - 1
        }

        @Test("a dropped connection and two 503s at the list PUT: retried, and the list is pushed once, complete")
        func putRetried() async throws {
            let fleet = try Fleet.require()
            let registry = try FaultRegistry(fleet)
            let repository = try await registry.seedChildren(fleet)
            let proxy = try await FaultProxy(
                upstream: registry.host,
                flags: ["--fault-path", "/manifests/v1", "--fault-method", "PUT", "--drop-first", "1", "--fail-first", "2"])
            defer { proxy.stop() }
            let result = try await ManifestCLI.create(target: "\(proxy.host)/\(repository):v1", sources: ManifestCLI.seededSources)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try proxy.log().filter { $0.method == "PUT" }.map(\.status) == [.dropped, .code(503), .code(503), .code(201)])
            #expect(Self.retryNotes(result.stderr, host: proxy.host, method: "PUT") == 3, "\(result.stderr)")
            try await registry.expectCompleteList(repository, tag: "v1", children: FaultRegistry.seeded)
            let list = try #require(try await registry.rawManifest(repository, "v1"))
            #expect(result.stdout.contains("@\(Digest(of: list))"), "the registry holds the list the command reported")
        }

        @Test("dropped and failed child reads (manifest GETs, config blob GETs): retried, the list is complete")
        func childReadsRetried() async throws {
            let fleet = try Fleet.require()
            let registry = try FaultRegistry(fleet)
            let repository = try await registry.seedChildren(fleet)
            let proxy = try await FaultProxy(
                upstream: registry.host, flags: ["--fault-method", "GET", "--drop-first", "2", "--fail-first", "1"])
            defer { proxy.stop() }
            let result = try await ManifestCLI.create(target: "\(proxy.host)/\(repository):v1", sources: ManifestCLI.seededSources)
            #expect(result.status == 0, "\(result.stderr)")
            let log = try proxy.log()
            let childRead = log.filter { $0.method == "GET" && $0.path.hasSuffix("/manifests/v1-linux-amd64") }
            #expect(childRead.map(\.status) == [.dropped, .dropped, .code(503), .code(200)])
            #expect(log.contains { $0.path.contains("/blobs/sha256:") && $0.status == .dropped }, "config reads were faulted too")
            try await registry.expectCompleteList(repository, tag: "v1", children: FaultRegistry.seeded)
        }

        @Test("dropped and failed HEADs while children are mounted from another repository: retried, list complete")
        func crossRepositoryHeadsRetried() async throws {
            let fleet = try Fleet.require()
            let registry = try FaultRegistry(fleet)
            let source = try await registry.seedChildren(fleet)
            let target = source + "-list"
            let proxy = try await FaultProxy(
                upstream: registry.host, flags: ["--fault-method", "HEAD", "--drop-first", "1", "--fail-first", "1"])
            defer { proxy.stop() }
            let result = try await ManifestCLI.create(
                target: "\(proxy.host)/\(target):v1",
                sources: FaultRegistry.seeded.map { "\($0.key)=\(proxy.host)/\(source):\($0.value)" })
            #expect(result.status == 0, "\(result.stderr)")
            let heads = try proxy.log().filter { $0.method == "HEAD" }
            #expect(heads.contains { $0.status == .dropped } && heads.contains { $0.status == .code(503) })
            // The list lives in the target repository; its children were mounted there under their digests.
            let bytes = try #require(try await registry.rawManifest(target, "v1"))
            let index = try JSONDecoder().decode(ImageIndex.self, from: Data(bytes))
            #expect(index.manifests.count == 2)
            for entry in index.manifests {
                let child = try await registry.rawManifest(target, entry.digest.description)
                #expect(child.map { Digest(of: $0) } == entry.digest)
            }
        }

        enum Persistent: String, CaseIterable, Sendable {
            case status503 = "503 every time"
            case dropped = "dropped every time"
            var flags: [String] { self == .status503 ? ["--fail-first", "1000"] : ["--drop-first", "1000"] }
        }

        @Test("a list PUT that always fails: 6 attempts, exit 3, an error naming the target; no list", arguments: Persistent.allCases)
        func putKeepsFailing(_ fault: Persistent) async throws {
            let fleet = try Fleet.require()
            let registry = try FaultRegistry(fleet)
            let repository = try await registry.seedChildren(fleet)
            let proxy = try await FaultProxy(
                upstream: registry.host, flags: ["--fault-path", "/manifests/v1", "--fault-method", "PUT"] + fault.flags)
            defer { proxy.stop() }
            let started = ContinuousClock.now
            let result = try await ManifestCLI.create(target: "\(proxy.host)/\(repository):v1", sources: ManifestCLI.seededSources)
            #expect(ContinuousClock.now - started < .seconds(30), "bounded in time")
            #expect(result.status == 3, "\(result.stdout)\n\(result.stderr)")
            #expect(result.stderr.contains("error: pushing the list to \(proxy.host)/\(repository):v1 failed"), "\(result.stderr)")
            #expect(result.stderr.contains(fault == .status503 ? "HTTP 503" : "failed after 6 attempts"), "\(result.stderr)")
            #expect(try proxy.log().filter { $0.method == "PUT" }.count == 6)
            #expect(Self.retryNotes(result.stderr, host: proxy.host, method: "PUT") == 5)
            #expect(try await registry.rawManifest(repository, "v1") == nil, "no list, not even part of one")
        }

        @Test("the registry is killed while the list PUT is in flight and started 1 s later: the list is pushed")
        func registryKilledDuringPut() async throws {
            let fleet = try Fleet.require()
            let registry = try FaultRegistry(fleet)
            let repository = try await registry.seedChildren(fleet)
            let hold = try await HeldListPut(in: registry)
            defer { hold.stop() }
            let proxy = hold.proxy
            let result = try await registry.restoring {
                async let run = ManifestCLI.create(target: "\(proxy.host)/\(repository):v1", sources: ManifestCLI.seededSources)
                let held = try await hold.stopWhileHeld(registry, for: .seconds(1), waitingUpTo: .seconds(60))
                #expect(held, "the list PUT never reached the proxy")
                return try await run
            }
            #expect(result.status == 0, "\(result.stderr)")
            let puts = try proxy.log().filter { $0.method == "PUT" }.map(\.status)
            #expect(puts.first == .upstreamDown && puts.last == .code(201), "\(puts)")
            try await registry.expectCompleteList(repository, tag: "v1", children: FaultRegistry.seeded)
        }

        @Test("the registry is down when manifest create starts and back 1.5 s later: retried, the list is pushed")
        func registryBackSoon() async throws {
            let fleet = try Fleet.require()
            let registry = try FaultRegistry(fleet)
            let repository = try await registry.seedChildren(fleet)
            let result = try await registry.restoring {
                try await registry.stop()
                async let run = ManifestCLI.create(target: "\(registry.host)/\(repository):v1", sources: ManifestCLI.seededSources)
                try await Task.sleep(for: .milliseconds(1500))
                try await registry.start()
                return try await run
            }
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("warning: registry \(registry.host): GET"), "\(result.stderr)")
            #expect(result.stderr.contains("connection refused"))
            try await registry.expectCompleteList(repository, tag: "v1", children: FaultRegistry.seeded)
        }

        @Test("the registry stays down: bounded retries, exit 3 within 30 s, an error naming it; nothing written")
        func registryStaysDown() async throws {
            let fleet = try Fleet.require()
            let registry = try FaultRegistry(fleet)
            let repository = try await registry.seedChildren(fleet)
            let started = ContinuousClock.now
            let result = try await registry.restoring {
                try await registry.stop()
                return try await ManifestCLI.create(target: "\(registry.host)/\(repository):v1", sources: ManifestCLI.seededSources)
            }
            #expect(ContinuousClock.now - started < .seconds(30), "6 attempts over 6-10 s, bounded even on a loaded machine")
            #expect(result.status == 3, "\(result.stderr)")
            #expect(result.stderr.contains("nothing was pushed"), "\(result.stderr)")
            #expect(result.stderr.contains("\(registry.host)/\(repository):v1-linux-amd64 could not be read"), "\(result.stderr)")
            #expect(result.stderr.contains("failed after 6 attempts: connection refused"), "\(result.stderr)")
            #expect(result.stderr.contains("is the registry running?"))
            #expect(try await registry.rawManifest(repository, "v1") == nil)
        }

        @Test("coordinator build: the registry is stopped while the list PUT is in flight and started 1.5 s later")
        func buildMeetsStoppedRegistry() async throws {
            let fleet = try Fleet.require()
            let registry = try FaultRegistry(fleet)
            let project = try BuildCommandTests.Project(fleet: fleet)
            defer { project.remove() }
            let inventory = try project.inventory(try PushFaultProject.inventory(fleet, windows: false))
            let repository = "reliability/assembly-\(UUID().uuidString.prefix(8).lowercased())"
            let json = project.directory + "/report.json"
            // The builder pushes through the proxy too (same image name), but only the coordinator's own PUT of the
            // list is held: that is when the registry is stopped, so the build's assembly surely meets it stopped.
            let hold = try await HeldListPut(in: registry, flags: ["--fault-user-agent", "coordinator"])
            defer { hold.stop() }
            let proxy = hold.proxy
            let (result, stopped) = try await registry.restoring {
                async let run = project.build([
                    "--inventory", inventory, "--image", "\(proxy.host)/\(repository)", "--tag", "v1",
                    "--platform", "linux/amd64", "--json", json,
                ])
                let held = try await hold.stopWhileHeld(registry, for: .milliseconds(1500), waitingUpTo: .seconds(180))
                return (try await run, held)
            }
            #expect(stopped, "the list PUT never reached the proxy")
            #expect(result.status == 0, "\(result.stderr)")
            let listPuts = try proxy.log().filter { $0.method == "PUT" && $0.path.hasSuffix("/manifests/v1") }.map(\.status)
            #expect(listPuts.first == .upstreamDown && listPuts.last == .code(201), "\(listPuts)")
            // The coordinator met the stopped registry while it assembled, and said so.
            #expect(result.stderr.contains("warning: registry \(proxy.host):"), "\(result.stderr)")
            try await registry.expectCompleteList(repository, tag: "v1", children: ["linux/amd64": "v1-linux-amd64"])
            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
            #expect(report?["status"] as? String == "succeeded")
        }
    }
}
