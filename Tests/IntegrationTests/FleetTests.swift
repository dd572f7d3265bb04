import Foundation
import Testing
import TestSupport

/// Proves that the fleet `scripts/testbed up` starts is real: sshd hosts that run commands, registries
/// that answer as configured, a Docker engine whose buildx pushes. These tests fail when it is absent.
@Suite("Test fleet: SSH hosts")
struct FleetSSHTests {
    @Test("each host runs a command through the OpenSSH client and reports its machine", arguments: Fleet.testHosts)
    func hostReportsMachine(host: Fleet.TestHost) async throws {
        let fleet = try Fleet.require()
        let result = try await Shell.run(try fleet.openSSHArguments(host: host, command: "uname -m"))
        #expect(result.succeeded, "ssh to \(host.name) failed: \(result.stderr)")
        #expect(result.trimmedStdout == host.machine)
    }

    @Test("each host has its builder and the environment its sshd sets", arguments: Fleet.testHosts)
    func hostHasBuilder(host: Fleet.TestHost) async throws {
        let fleet = try Fleet.require()
        let command: String
        let expected: String
        if host.builder == "buildah" {
            command = "driver=$(buildah info --format '{{.store.GraphDriverName}}') && echo \"$driver\" && "
                + "echo \"$BUILDAH_ISOLATION\""
            expected = "vfs\nchroot"
        } else if host.builder == "podman" {
            // Rootless podman on a machine without systemd: the cgroupfs manager, a file event log, and
            // the runtime directory logind would create, the user's own and private.
            command = "podman info --format '{{.Host.CgroupManager}} {{.Host.EventLogger}} {{.Host.Security.Rootless}}'"
                + " && stat -c '%a %U' \"$XDG_RUNTIME_DIR\""
            expected = "cgroupfs file true\n700 \(try fleet.value(host.userKey))"
        } else {
            command = "docker buildx version >/dev/null && echo \"$DOCKER_HOST\" && docker info --format '{{.Driver}}'"
            expected = "\(try fleet.value("TESTBED_DOCKER_HOST"))\nvfs"
        }
        let result = try await Shell.run(try fleet.openSSHArguments(host: host, command: command))
        #expect(result.succeeded, "builder check on \(host.name) failed: \(result.stderr)")
        #expect(result.trimmedStdout == expected)
    }

    @Test("the non-root hosts log in as their own user: docker access through the docker group only, subordinate ids for podman",
          arguments: Fleet.userHosts)
    func userHostIsNotRoot(host: Fleet.TestHost) async throws {
        let fleet = try Fleet.require()
        let user = try fleet.value(host.userKey)
        let command = host.builder == "podman"
            ? "id -un && id -u && grep -c \"^$(id -un):\" /etc/subuid /etc/subgid"
            : "id -un && id -u && id -Gn | tr ' ' '\\n' | grep -x docker && stat -c '%G %a' \"${DOCKER_HOST#unix://}\""
        let result = try await Shell.run(try fleet.openSSHArguments(host: host, command: command))
        #expect(result.succeeded, "\(host.name): \(result.stderr)")
        let lines = result.trimmedStdout.split(separator: "\n").map(String.init)
        #expect(lines.first == user)
        #expect(lines.count > 1 && lines[1] != "0", "\(host.name) logs in as root: \(lines)")
        if host.builder == "podman" {
            #expect(Array(lines.dropFirst(2)) == ["/etc/subuid:1", "/etc/subgid:1"])
        } else {
            #expect(Array(lines.dropFirst(2)) == ["docker", "docker 660"])
        }
    }

    @Test("only the arm64 host has the uname fixture: the spare host stays x86_64 under `uname -a`")
    func fixtureIsLimitedToArm64Host() async throws {
        let fleet = try Fleet.require()
        let arm = try #require(Fleet.testHosts.first { $0.name == "arm64-1" })
        let spare = try #require(Fleet.testHosts.first { $0.name == "amd64-2" })
        let onArm = try await Shell.run(
            try fleet.openSSHArguments(host: arm, command: "uname -a; command -v uname"))
        let onSpare = try await Shell.run(
            try fleet.openSSHArguments(host: spare, command: "uname -a; command -v uname"))
        #expect(onArm.succeeded && onSpare.succeeded, "\(onArm.stderr)\(onSpare.stderr)")
        #expect(onArm.stdout.contains("aarch64") && !onArm.stdout.contains("x86_64"))
        #expect(onArm.stdout.contains(try fleet.value("TESTBED_FIXTURE_ARM64_BIN") + "/uname"))
        #expect(onSpare.stdout.contains("x86_64") && !onSpare.stdout.contains("aarch64"))
    }

    struct KeyCase: Sendable, CustomStringConvertible {
        let description: String
        let identityKey: String?
        let usesAgent: Bool
        let usesPassphrase: Bool
    }

    @Test("every client key of the fleet is authorized", arguments: [
        KeyCase(description: "ed25519", identityKey: "TESTBED_SSH_KEY", usesAgent: false, usesPassphrase: false),
        KeyCase(description: "ecdsa", identityKey: "TESTBED_SSH_KEY_ECDSA", usesAgent: false, usesPassphrase: false),
        KeyCase(description: "rsa (OpenSSH signs with rsa-sha2)", identityKey: "TESTBED_SSH_KEY_RSA",
                usesAgent: false, usesPassphrase: false),
        KeyCase(description: "passphrase-protected ed25519", identityKey: "TESTBED_SSH_KEY_PASSPHRASE_PROTECTED",
                usesAgent: false, usesPassphrase: true),
        KeyCase(description: "agent-only key", identityKey: nil, usesAgent: true, usesPassphrase: false),
    ])
    func keyIsAuthorized(key: KeyCase) async throws {
        let fleet = try Fleet.require()
        let host = Fleet.testHosts[0]
        var identity = Fleet.OpenSSHIdentity.fleetKey
        if let identityKey = key.identityKey { identity = .file(try fleet.value(identityKey)) }
        if key.usesAgent { identity = .agent(socket: try fleet.value("TESTBED_SSH_AGENT_SOCK")) }
        var environment: [String: String] = [:]
        var askpass: URL?
        defer { if let askpass { try? FileManager.default.removeItem(at: askpass) } }
        if key.usesPassphrase {
            // ssh asks SSH_ASKPASS for the passphrase, which travels in the environment only.
            let script = FileManager.default.temporaryDirectory
                .appendingPathComponent("fleet-askpass-\(UUID().uuidString).sh")
            try "#!/bin/sh\nprintf '%s\\n' \"$FLEET_TEST_PASSPHRASE\"\n"
                .write(to: script, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: script.path)
            askpass = script
            environment = [
                "SSH_ASKPASS": script.path, "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0",
                "FLEET_TEST_PASSPHRASE": try fleet.value("TESTBED_SSH_KEY_PASSPHRASE"),
            ]
        }
        let arguments = try fleet.openSSHArguments(
            host: host, command: "echo logged-in", identity: identity, batchMode: !key.usesPassphrase,
            extraOptions: key.usesPassphrase ? ["-o", "NumberOfPasswordPrompts=1"] : [])
        let result = try await Shell.run(arguments, environment: environment, timeout: .seconds(60))
        #expect(result.succeeded, "login to \(host.name) with the \(key) key failed: \(result.stderr)")
        #expect(result.trimmedStdout == "logged-in")
    }

    @Test("the agent holds the agent-only key, which is none of the key files")
    func agentHoldsItsOwnKey() async throws {
        let fleet = try Fleet.require()
        let listed = try await Shell.run(
            ["ssh-add", "-L"], environment: ["SSH_AUTH_SOCK": try fleet.value("TESTBED_SSH_AGENT_SOCK")])
        #expect(listed.succeeded, "ssh-add -L: \(listed.stderr)")
        let agentKey = try String(contentsOfFile: try fleet.value("TESTBED_SSH_KEY_AGENT") + ".pub", encoding: .utf8)
        let agentKeyBlob = agentKey.split(separator: " ")[1]
        #expect(listed.stdout.contains(agentKeyBlob))
        for fileKey in ["TESTBED_SSH_KEY", "TESTBED_SSH_KEY_ECDSA", "TESTBED_SSH_KEY_PASSPHRASE_PROTECTED"] {
            let pub = try String(contentsOfFile: try fleet.value(fileKey) + ".pub", encoding: .utf8)
            #expect(!listed.stdout.contains(pub.split(separator: " ")[1]), "\(fileKey) must not be in the agent")
        }
    }

    @Test("a host refuses a key it does not know, and known_hosts pins every host key")
    func strictness() async throws {
        let fleet = try Fleet.require()
        let stranger = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-stranger-\(UUID())")
        defer {
            try? FileManager.default.removeItem(at: stranger)
            try? FileManager.default.removeItem(atPath: stranger.path + ".pub")
        }
        let keygen = try await Shell.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", stranger.path])
        try #require(keygen.succeeded, "ssh-keygen: \(keygen.stderr)")
        let refused = try await Shell.run(
            try fleet.openSSHArguments(host: Fleet.testHosts[0], command: "true", identity: .file(stranger.path)))
        #expect(!refused.succeeded)
        #expect(refused.stderr.contains("Permission denied"))

        let knownHosts = try String(contentsOfFile: try fleet.value("TESTBED_KNOWN_HOSTS"), encoding: .utf8)
        for host in Fleet.testHosts {
            let address = try fleet.value(host.addressKey)
            let port = try fleet.value("TESTBED_SSH_PORT")
            #expect(knownHosts.contains("[\(address)]:\(port) ssh-ed25519 "), "known_hosts lacks \(host.name)")
        }
    }
}

@Suite("Test fleet: inventory")
struct FleetInventoryTests {
    @Test("the fleet's inventory describes its six hosts as the brief specifies")
    func inventoryMatchesFleet() throws {
        let fleet = try Fleet.require()
        let data = try Data(contentsOf: URL(fileURLWithPath: try fleet.value("TESTBED_INVENTORY")))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let hosts = try #require(root["hosts"] as? [[String: Any]])
        #expect(hosts.compactMap { $0["name"] as? String } == Fleet.testHosts.map(\.name))
        for (entry, host) in zip(hosts, Fleet.testHosts) {
            #expect(entry["address"] as? String == (try fleet.value(host.addressKey)))
            #expect(entry["port"] as? Int == Int(try fleet.value("TESTBED_SSH_PORT")))
            #expect(entry["user"] as? String == (try fleet.value(host.userKey)))
            #expect(entry["identityFiles"] as? [String] == [try fleet.value("TESTBED_SSH_KEY")])
            #expect(entry["knownHostsFile"] as? String == (try fleet.value("TESTBED_KNOWN_HOSTS")))
            #expect(entry["builder"] as? String == host.builder)
            let workDir = try #require(entry["workDir"] as? String)
            #expect(workDir == (try fleet.value("TESTBED_DIR")) + "/hosts/\(host.name)/work")
            let platforms = entry["platforms"] as? [String]
            #expect(platforms == [host.machine == "aarch64" ? "linux/arm64" : "linux/amd64"])
            if host.name == "wincross-1" {
                #expect(entry["crossPlatforms"] as? [String] == ["windows/amd64"])
                #expect(entry["windowsVersion"] as? String == "ltsc2022")
            } else {
                #expect(entry["crossPlatforms"] as? [String] == [])
                #expect(entry["windowsVersion"] == nil)
            }
        }
    }
}

@Suite("Test fleet: registries")
struct FleetRegistryTests {
    @Test("the plain registry answers /v2/ without credentials")
    func plainRegistry() async throws {
        let fleet = try Fleet.require()
        let response = try await Curl.request("http://\(try fleet.value("TESTBED_REGISTRY"))/v2/")
        #expect(response.status == 200, "\(response.curlError)")
        #expect(response.headers["docker-distribution-api-version"] == "registry/2.0")
    }

    @Test("the basic-auth registry speaks TLS with the fleet's CA and wants credentials")
    func basicRegistry() async throws {
        let fleet = try Fleet.require()
        let url = "https://\(try fleet.value("TESTBED_REGISTRY_BASIC"))/v2/"
        let ca = try fleet.value("TESTBED_REGISTRY_CA")
        let credentials = (try fleet.value("TESTBED_REGISTRY_USER"), try fleet.value("TESTBED_REGISTRY_PASSWORD"))

        let untrusted = try await Curl.request(url)
        #expect(
            untrusted.status == 0 && untrusted.curlExitStatus == 60, "the system store must not trust the fleet's CA")

        let anonymous = try await Curl.request(url, caFile: ca)
        #expect(anonymous.status == 401)
        #expect(anonymous.headers["www-authenticate"]?.hasPrefix("Basic realm=") == true)

        let wrong = try await Curl.request(url, user: (credentials.0, "wrong-password"), caFile: ca)
        #expect(wrong.status == 401)

        let authorized = try await Curl.request(url, user: credentials, caFile: ca)
        #expect(authorized.status == 200, "\(authorized.curlError)")
    }

    @Test("the token registry sends clients to the token server, and accepts the token it issues")
    func tokenRegistry() async throws {
        let fleet = try Fleet.require()
        let url = "http://\(try fleet.value("TESTBED_REGISTRY_TOKEN"))/v2/"
        let tokenServer = try fleet.value("TESTBED_TOKEN_SERVER")
        let service = try fleet.value("TESTBED_TOKEN_SERVICE")
        let credentials = (try fleet.value("TESTBED_REGISTRY_USER"), try fleet.value("TESTBED_REGISTRY_PASSWORD"))

        let anonymous = try await Curl.request(url)
        #expect(anonymous.status == 401)
        let challenge = try #require(anonymous.headers["www-authenticate"])
        #expect(challenge.hasPrefix("Bearer "))
        #expect(challenge.contains("realm=\"\(tokenServer)\""))
        #expect(challenge.contains("service=\"\(service)\""))

        let tokenURL = "\(tokenServer)?service=\(service)&scope=repository:fleet-tests/probe:pull,push"
        let refused = try await Curl.request(tokenURL)
        #expect(refused.status == 401, "the token server must refuse anonymous requests")
        let wrong = try await Curl.request(tokenURL, user: (credentials.0, "wrong-password"))
        #expect(wrong.status == 401)

        let issued = try await Curl.request(tokenURL, user: credentials)
        #expect(issued.status == 200, "\(issued.curlError)")
        let json = try #require(try JSONSerialization.jsonObject(with: issued.body) as? [String: Any])
        let token = try #require(json["token"] as? String)
        #expect(token.split(separator: ".").count == 3, "a JWT has three parts")

        let forged = try await Curl.request(url, bearer: token.dropLast(4) + "AAAA")
        #expect(forged.status == 401, "a token with a broken signature must be refused")
        let authorized = try await Curl.request(url, bearer: token)
        #expect(authorized.status == 200, "\(authorized.curlError)")
    }
}

@Suite("Test fleet: Docker engine and buildx", .serialized)
struct FleetBuildxTests {
    @Test("buildx on the fleet pushes a FROM scratch image, and the registry serves it back")
    func buildxPushesScratchImage() async throws {
        let fleet = try Fleet.require()
        let registry = try fleet.value("TESTBED_REGISTRY")
        let environment = ["DOCKER_HOST": try fleet.value("TESTBED_DOCKER_HOST")]
        let context = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-buildx-\(UUID())")
        try FileManager.default.createDirectory(at: context, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: context) }
        let marker = UUID().uuidString
        try "FROM scratch\nCOPY payload /payload\n".write(
            to: context.appendingPathComponent("Dockerfile"), atomically: true, encoding: .utf8)
        try marker.write(to: context.appendingPathComponent("payload"), atomically: true, encoding: .utf8)
        let tag = "fleet-tests-\(marker.prefix(8).lowercased())-linux-arm64"
        let reference = "\(registry)/fleet-tests/scratch:\(tag)"
        let metadata = context.appendingPathComponent("metadata.json")

        let build = try await Shell.run(
            ["docker", "buildx", "build", "--platform", "linux/arm64", "--provenance=false", "--sbom=false",
             "--metadata-file", metadata.path, "-t", reference, "--push", context.path],
            environment: environment, timeout: .seconds(180))
        try #require(build.succeeded, "docker buildx build failed: \(build.stderr)")
        let meta = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: metadata)) as? [String: Any])
        let digest = try #require(meta["containerimage.digest"] as? String)
        let configDigest = try #require(meta["containerimage.config.digest"] as? String)

        let manifestType = "application/vnd.docker.distribution.manifest.v2+json"
        let manifest = try await Curl.request(
            "http://\(registry)/v2/fleet-tests/scratch/manifests/\(tag)", headers: ["Accept": manifestType])
        #expect(manifest.status == 200, "\(manifest.curlError)")
        #expect(manifest.headers["docker-content-digest"] == digest)
        #expect(manifest.headers["content-type"] == manifestType)
        let sum = try await Shell.run(["sha256sum"], input: manifest.body)
        #expect("sha256:" + (sum.stdout.split(separator: " ").first ?? "") == digest)

        let config = try await Curl.request("http://\(registry)/v2/fleet-tests/scratch/blobs/\(configDigest)")
        #expect(config.status == 200)
        let configJSON = try #require(try JSONSerialization.jsonObject(with: config.body) as? [String: Any])
        #expect(configJSON["architecture"] as? String == "arm64")
        #expect(configJSON["os"] as? String == "linux")
    }

    @Test("the base image is in the plain registry and runs RUN steps on the engine")
    func baseImageRuns() async throws {
        let fleet = try Fleet.require()
        let environment = ["DOCKER_HOST": try fleet.value("TESTBED_DOCKER_HOST")]
        let context = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-run-\(UUID())")
        try FileManager.default.createDirectory(at: context, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: context) }
        let marker = UUID().uuidString
        try "FROM \(try fleet.value("TESTBED_BASE_IMAGE"))\nRUN --network=none echo \(marker) > /marker\n".write(
            to: context.appendingPathComponent("Dockerfile"), atomically: true, encoding: .utf8)
        let build = try await Shell.run(
            ["docker", "buildx", "build", "--progress=plain", "--output", "type=local,dest=\(context.path)/out",
             context.path],
            environment: environment, timeout: .seconds(180))
        try #require(build.succeeded, "docker buildx build failed: \(build.stderr)")
        let written = try String(contentsOfFile: context.path + "/out/marker", encoding: .utf8)
        #expect(written.trimmingCharacters(in: .whitespacesAndNewlines) == marker)
    }
}
