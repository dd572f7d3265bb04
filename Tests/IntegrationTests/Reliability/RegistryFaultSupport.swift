import Foundation
import Shared
import Testing
import TestSupport

/// The parent of every suite that stops, restarts or proxies the fleet's fault registry: they run one at a time,
/// because a restart would break whatever another test had in flight there.
@Suite("registry faults", .serialized, .timeLimit(.minutes(10)))
struct RegistryFaults {}

/// The fleet's fault registry (`TESTBED_REGISTRY_FAULT`, a plain docker-registry that only these tests use), stopped
/// and started with the testbed's own commands; and what the tests read from it, with skopeo rather than our client.
struct FaultRegistry: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// `host:port`.
    let host: String

    init(_ fleet: Fleet) throws {
        host = try fleet.value("TESTBED_REGISTRY_FAULT")
    }

    /// The repository's `scripts/testbed`.
    static let testbed = SourceTree.path("scripts/testbed")

    /// The registry's log (rewritten at each start).
    var logFile: String { Fleet.directory + "/logs/registry-fault.log" }

    /// Where the registry keeps the uploads in progress of `repository`.
    func uploadsDirectory(_ repository: String) -> String {
        Fleet.directory + "/registry/fault/data/docker/registry/v2/repositories/\(repository)/_uploads"
    }

    /// Whether `GET /v2/` answers 200.
    func isUp() async -> Bool {
        let probe = try? await Shell.run(
            ["curl", "-s", "-o", "/dev/null", "-m", "2", "-w", "%{http_code}", "http://\(host)/v2/"], timeout: .seconds(5))
        return probe?.stdout == "200"
    }

    /// Stops the registry (SIGTERM to the process the testbed recorded) and waits until it no longer answers.
    func stop() async throws {
        let text = try String(contentsOfFile: Fleet.directory + "/pids/registry-fault.pid", encoding: .utf8)
        guard let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1 else {
            throw Failure(description: "no pid for registry-fault: run `scripts/testbed up`")
        }
        kill(pid, SIGTERM)
        for _ in 0..<100 where await isUp() { try await Task.sleep(for: .milliseconds(50)) }
        guard await !isUp() else { throw Failure(description: "registry-fault still answers 5 s after SIGTERM") }
    }

    /// Starts the registry again (`scripts/testbed restart registry-fault`, which also works when it is down) and
    /// waits until it answers.
    func start() async throws {
        try await ExternalTool.check([Self.testbed, "restart", "registry-fault"])
        for _ in 0..<100 where await !isUp() { try await Task.sleep(for: .milliseconds(50)) }
        guard await isUp() else { throw Failure(description: "registry-fault does not answer 5 s after its start") }
    }

    /// Runs `body`, then makes sure the registry runs, whether `body` succeeded or threw.
    func restoring<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            let result = try await body()
            if await !isUp() { try await start() }
            return result
        } catch {
            if await !isUp() { try? await start() }
            throw error
        }
    }

    /// The manifest `repository:reference` (a tag or a digest) holds, as raw bytes, or `nil` when the registry has
    /// none.
    func rawManifest(_ repository: String, _ reference: String) async throws -> [UInt8]? {
        let separator = reference.hasPrefix("sha256:") ? "@" : ":"
        let result = try await Shell.run(
            ["skopeo", "inspect", "--tls-verify=false", "--raw", "docker://\(host)/\(repository)\(separator)\(reference)"])
        if result.succeeded { return Array(result.stdoutData) }
        guard result.stderr.contains("manifest unknown") || result.stderr.contains("not found") else {
            throw Failure(description: "skopeo could not read \(host)/\(repository):\(reference): \(result.stderr)")
        }
        return nil
    }

    /// Puts a linux/amd64 image (`v1-linux-amd64`) and a windows/amd64 one (`v1-windows-amd64`) in a fresh
    /// repository and returns its name.
    func seedChildren(_ fleet: Fleet) async throws -> String {
        let plain = try FleetRegistry(.plain, fleet: fleet)
        let repository = plain.freshRepository("reliability")
        for (spec, tag) in [(BuildahChildren.Spec.amd64, "v1-linux-amd64"), (.windows, "v1-windows-amd64")] {
            try await BuildahChildren.shared.push(spec, to: plain, repository: repository, tag: tag)
            try await ExternalTool.check([
                "skopeo", "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
                "docker://\(plain.host)/\(repository):\(tag)", "docker://\(host)/\(repository):\(tag)",
            ])
        }
        return repository
    }

    /// Checks that `repository:tag` holds a complete list: exactly the platforms of `children` (platform to the tag
    /// of its per-platform image), each entry the digest that tag holds now.
    func expectCompleteList(
        _ repository: String, tag: String, children: [String: String], sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) async throws {
        let bytes = try #require(
            await rawManifest(repository, tag), "no list at \(repository):\(tag)", sourceLocation: sourceLocation)
        let index = try JSONDecoder().decode(ImageIndex.self, from: Data(bytes))
        let entries = index.manifests.filter { !$0.isAttestationManifest }
        let described = entries.compactMap { $0.platform.map { "\($0.os)/\($0.architecture)" } }
        #expect(described.sorted() == children.keys.sorted(), "the list has \(described)", sourceLocation: sourceLocation)
        for entry in entries {
            guard let platform = entry.platform, let childTag = children["\(platform.os)/\(platform.architecture)"]
            else { continue }
            let child = try await rawManifest(repository, childTag)
            #expect(
                child.map { Digest(of: $0) } == entry.digest,
                "\(childTag) holds another manifest than the list's entry \(entry.digest)", sourceLocation: sourceLocation)
        }
    }

    /// The seeded children, platform to tag.
    static let seeded = ["linux/amd64": "v1-linux-amd64", "windows/amd64": "v1-windows-amd64"]
}

/// `coordinator manifest create` as a user runs it, with an empty Docker config.
enum ManifestCLI {
    static func create(target: String, sources: [String], timeout: Duration = .seconds(120)) async throws -> Shell.Result {
        let config = NSTemporaryDirectory() + "reliability-docker-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: config) }
        return try await CoordinatorBinary.run(
            ["manifest", "create", "--target", target] + sources, environment: ["DOCKER_CONFIG": config], timeout: timeout)
    }

    /// The two seeded children, relative to the target.
    static let seededSources = ["linux/amd64=:v1-linux-amd64", "windows/amd64=:v1-windows-amd64"]
}

/// Waits, polling every `interval`, until `condition` holds or `limit` passes; returns whether it held.
func eventually(
    within limit: Duration, every interval: Duration = .milliseconds(20), _ condition: () async -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try await Task.sleep(for: interval)
    }
    return await condition()
}

/// A fault proxy in front of the fault registry that holds one PUT of a list (`/manifests/TAG`) until it is released,
/// so that a test can stop the registry exactly while that PUT is in flight.
struct HeldListPut {
    /// The proxy; clients push through its `host`.
    let proxy: FaultProxy
    private let directory: String

    /// Starts the proxy; `flags` narrow further which PUT is held (e.g. `--fault-user-agent coordinator`).
    init(in registry: FaultRegistry, tag: String = "v1", flags: [String] = []) async throws {
        directory = NSTemporaryDirectory() + "reliability-hold-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        proxy = try await FaultProxy(
            upstream: registry.host,
            flags: ["--fault-path", "/manifests/\(tag)", "--fault-method", "PUT"] + flags + ["--hold-dir", directory])
    }

    /// Waits up to `limit` for the PUT to reach the proxy; then stops `registry`, releases the PUT towards it, and
    /// starts it again after `downtime`. False when no PUT came within `limit`.
    func stopWhileHeld(_ registry: FaultRegistry, for downtime: Duration, waitingUpTo limit: Duration) async throws -> Bool {
        let marker = directory + "/held"
        guard try await eventually(within: limit, { FileManager.default.fileExists(atPath: marker) }) else { return false }
        try await registry.stop()
        _ = FileManager.default.createFile(atPath: directory + "/release", contents: nil)
        try await Task.sleep(for: downtime)
        try await registry.start()
        return true
    }

    /// Stops the proxy and removes its hold directory.
    func stop() {
        proxy.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
