import Foundation
import Shared
import TestSupport
import Testing

/// `coordinator hosts add` against the fleet: each Linux host kind is probed and written, the file is kept
/// byte for byte, and the host-key rules are those of `build`. Fails (never skips) when the fleet is down.
@Suite("coordinator hosts add on the fleet", .serialized)
struct HostsAddTests {
    /// A scratch HOME whose ~/.ssh/known_hosts is the fleet's (or empty), and an inventory path in it.
    struct Scratch {
        let home: String
        var inventory: String { home + "/inventory.json" }
        var knownHosts: String { home + "/.ssh/known_hosts" }

        init(knowingFleet fleet: Fleet?) throws {
            home = NSTemporaryDirectory() + "hosts-add-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: home + "/.ssh", withIntermediateDirectories: true)
            let known = try fleet.map { try String(contentsOfFile: try $0.value("TESTBED_KNOWN_HOSTS"), encoding: .utf8) } ?? ""
            try known.write(toFile: knownHosts, atomically: true, encoding: .utf8)
        }

        func add(_ arguments: [String], fleet: Fleet, user: String? = nil) async throws -> Shell.Result {
            let login = ["--port", try fleet.value("TESTBED_SSH_PORT"), "--user", try user ?? fleet.value("TESTBED_SSH_USER"),
                "--identity-file", try fleet.value("TESTBED_SSH_KEY"), "--inventory", inventory]
            return try await CoordinatorBinary.run(
                ["hosts", "add"] + arguments + login, environment: ["HOME": home], directory: home)
        }

        func remove() { try? FileManager.default.removeItem(atPath: home) }
    }

    static let seed = """
        {
            "defaults": {"capacity": 2},
            "hosts": [
                {
                    "name": "seed",   "address": "10.255.0.1",
                    "platforms": ["linux/amd64"]
                }
            ]
        }

        """

    @Test("amd64-1 (buildx), arm64-1 (aarch64 → linux/arm64) and wincross-1 (buildah, windows cross) are added")
    func everyLinuxHostKind() async throws {
        let fleet = try Fleet.require()
        let scratch = try Scratch(knowingFleet: fleet)
        defer { scratch.remove() }
        try Self.seed.write(toFile: scratch.inventory, atomically: true, encoding: .utf8)

        let amd64 = try await scratch.add(["amd64-1", try fleet.value("TESTBED_HOST_AMD64")], fleet: fleet)
        #expect(amd64.status == 0, "\(amd64.stderr)")
        #expect(amd64.stdout.contains("linux/amd64 (linux x86_64), shell sh, builders: buildx 0.13.1"), "\(amd64.stdout)")
        #expect(amd64.stdout.contains("(chosen), podman"), "\(amd64.stdout)")
        let arm64 = try await scratch.add(["arm64-1", try fleet.value("TESTBED_HOST_ARM64")], fleet: fleet)
        #expect(arm64.status == 0, "\(arm64.stderr)")
        #expect(arm64.stdout.contains("linux/arm64 (linux aarch64)"), "\(arm64.stdout)")
        let wincross = try await scratch.add(
            ["wincross-1", try fleet.value("TESTBED_HOST_WINCROSS"), "--builder", "buildah",
                "--cross-platform", "windows/amd64", "--windows-version", "ltsc2022"], fleet: fleet)
        #expect(wincross.status == 0, "\(wincross.stderr)")

        let text = try String(contentsOfFile: scratch.inventory, encoding: .utf8)
        let keptHead = String(Self.seed[..<Self.seed.range(of: "\n    ]")!.lowerBound])
        #expect(text.hasPrefix(keptHead), "the seed entry is kept byte for byte:\n\(text)")
        #expect(text.hasSuffix("\n        }\n    ]\n}\n"), "the file's tail is kept:\n\(text)")
        let inventory = try Inventory.load(path: scratch.inventory)
        #expect(inventory.hosts.map(\.name) == ["seed", "amd64-1", "arm64-1", "wincross-1"])
        let hosts = Dictionary(uniqueKeysWithValues: inventory.hosts.map { ($0.name, $0) })
        #expect(hosts["amd64-1"]?.platforms == [.linuxAMD64])
        #expect(hosts["amd64-1"]?.builder == .buildx)
        #expect(hosts["arm64-1"]?.platforms == [.linuxARM64])
        #expect(hosts["arm64-1"]?.builder == .buildx)
        #expect(hosts["wincross-1"]?.platforms == [.linuxAMD64])
        #expect(hosts["wincross-1"]?.crossPlatforms == [.windowsAMD64])
        #expect(hosts["wincross-1"]?.builder == .buildah)
        #expect(hosts["wincross-1"]?.windowsVersion == .ltsc2022)
        #expect(inventory.hosts.allSatisfy { $0.shell == .sh && $0.capacity == 2 })
        #expect(hosts["amd64-1"]?.effectivePort == Int(try fleet.value("TESTBED_SSH_PORT")))

        // The same name, or the same address and port, again: refused, file untouched.
        let again = try await scratch.add(["amd64-1", try fleet.value("TESTBED_HOST_SPARE")], fleet: fleet)
        #expect(again.status == 2)
        #expect(again.stderr.contains("already has a host named \"amd64-1\""), "\(again.stderr)")
        let sameAddress = try await scratch.add(["other", try fleet.value("TESTBED_HOST_AMD64")], fleet: fleet)
        #expect(sameAddress.status == 2)
        #expect(sameAddress.stderr.contains("already has host \"amd64-1\""), "\(sameAddress.stderr)")
        #expect(try String(contentsOfFile: scratch.inventory, encoding: .utf8) == text)
    }

    @Test("the non-root hosts: docker-user-1 (docker group → buildx) and podman-1 (rootless → podman) are added")
    func nonRootHostKinds() async throws {
        let fleet = try Fleet.require()
        let scratch = try Scratch(knowingFleet: fleet)
        defer { scratch.remove() }
        let docker = try await scratch.add(["docker-user-1", try fleet.value("TESTBED_HOST_DOCKER_USER")], fleet: fleet,
            user: try fleet.value("TESTBED_DOCKER_USER_SSH_USER"))
        #expect(docker.status == 0, "\(docker.stderr)")
        let podman = try await scratch.add(["podman-1", try fleet.value("TESTBED_HOST_PODMAN")], fleet: fleet,
            user: try fleet.value("TESTBED_PODMAN_SSH_USER"))
        #expect(podman.status == 0, "\(podman.stderr)")
        #expect(podman.stdout.contains("podman 4.3"), "\(podman.stdout)")

        let inventory = try Inventory.load(path: scratch.inventory)
        let hosts = Dictionary(uniqueKeysWithValues: inventory.hosts.map { ($0.name, $0) })
        #expect(hosts["docker-user-1"]?.builder == .buildx)
        #expect(hosts["docker-user-1"]?.user == (try fleet.value("TESTBED_DOCKER_USER_SSH_USER")))
        #expect(hosts["podman-1"]?.builder == .podman, "buildx cannot reach an engine as cpodman: podman is chosen")
        #expect(hosts["podman-1"]?.platforms == [.linuxAMD64])
        // What was written is usable: hosts check connects and probes both.
        let check = try await CoordinatorBinary.run(
            ["hosts", "check", "--inventory", scratch.inventory], environment: ["HOME": scratch.home],
            directory: scratch.home)
        #expect(check.status == 0, "\(check.stdout)\n\(check.stderr)")
    }

    @Test("--dry-run prints the entry and writes nothing, not even a new file")
    func dryRun() async throws {
        let fleet = try Fleet.require()
        let scratch = try Scratch(knowingFleet: fleet)
        defer { scratch.remove() }
        let result = try await scratch.add(["amd64-2", try fleet.value("TESTBED_HOST_SPARE"), "--dry-run"], fleet: fleet)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\"name\": \"amd64-2\""))
        #expect(result.stdout.contains("\"platforms\": [\"linux/amd64\"]"))
        #expect(!FileManager.default.fileExists(atPath: scratch.inventory))
        try Self.seed.write(toFile: scratch.inventory, atomically: true, encoding: .utf8)
        let again = try await scratch.add(["amd64-2", try fleet.value("TESTBED_HOST_SPARE"), "--dry-run"], fleet: fleet)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try String(contentsOfFile: scratch.inventory, encoding: .utf8) == Self.seed)
    }

    @Test("an unknown host key is refused; --accept-new-host-keys records it and prints its fingerprint")
    func unknownHostKey() async throws {
        let fleet = try Fleet.require()
        let scratch = try Scratch(knowingFleet: nil)
        defer { scratch.remove() }
        let address = try fleet.value("TESTBED_HOST_SPARE")
        let refused = try await scratch.add(["amd64-2", address], fleet: fleet)
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("unknown"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--accept-new-host-keys"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.inventory))
        #expect(try String(contentsOfFile: scratch.knownHosts, encoding: .utf8).isEmpty)

        let accepted = try await scratch.add(["amd64-2", address, "--accept-new-host-keys"], fleet: fleet)
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(accepted.stdout.contains("recorded the new"), "\(accepted.stdout)")
        #expect(accepted.stdout.contains("SHA256:"), "\(accepted.stdout)")
        let known = try String(contentsOfFile: scratch.knownHosts, encoding: .utf8)
        #expect(known.contains("[\(address)]:\(try fleet.value("TESTBED_SSH_PORT"))"), "\(known)")
        #expect(try Inventory.load(path: scratch.inventory).hosts.map(\.name) == ["amd64-2"])

        // Now known: a strict connection to it succeeds.
        try FileManager.default.removeItem(atPath: scratch.inventory)
        let strict = try await scratch.add(["amd64-2", address, "--dry-run"], fleet: fleet)
        #expect(strict.status == 0, "\(strict.stderr)")
        #expect(!strict.stdout.contains("recorded the new"))
    }

    @Test("a changed host key is refused, even with --accept-new-host-keys")
    func changedHostKey() async throws {
        let fleet = try Fleet.require()
        let scratch = try Scratch(knowingFleet: nil)
        defer { scratch.remove() }
        let address = try fleet.value("TESTBED_HOST_SPARE"), port = try fleet.value("TESTBED_SSH_PORT")
        // Another key (the client's own public key) recorded for the host.
        let otherKey = try String(contentsOfFile: try fleet.value("TESTBED_SSH_KEY") + ".pub", encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        let line = "[\(address)]:\(port) \(otherKey)\n"
        try line.write(toFile: scratch.knownHosts, atomically: true, encoding: .utf8)
        let result = try await scratch.add(["amd64-2", address, "--accept-new-host-keys"], fleet: fleet)
        #expect(result.status == 3)
        #expect(result.stderr.contains("HOST KEY MISMATCH"), "\(result.stderr)")
        #expect(try String(contentsOfFile: scratch.knownHosts, encoding: .utf8) == line)
        #expect(!FileManager.default.fileExists(atPath: scratch.inventory))
    }
}
