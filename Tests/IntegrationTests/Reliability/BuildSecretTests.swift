import Foundation
import TestSupport
import Testing

/// `--secret`: a real `RUN --mount=type=secret` on buildx (amd64-1), buildah (wincross-1) and rootless podman (podman-1). The value was
/// there (a hash of it lands in the image); it is in no layer, no history entry, no command line or environment
/// sampled from /proc during the builds (every fleet host is an sshd on this machine), no log, no report; and its
/// file on the host is gone after a success, a failure and a Ctrl-C.
@Suite("Reliability: build secrets", .serialized)
struct BuildSecretTests {
    /// The fleet's Docker engine has no bridge network, so buildx's RUN steps run with `--network=none`, which
    /// buildah 1.28 does not accept (its RUN takes `--mount` only).
    /// The RUN line is unique to the call: a builder's cache key holds the secret's id, not its value, so a step
    /// cached from an earlier run would carry the hash of that run's value.
    static func dockerfile(_ fleet: Fleet, tail: String = "", buildx: Bool = true) throws -> String {
        "FROM \(try fleet.value("TESTBED_BASE_IMAGE"))\n"
            + "RUN \(buildx ? "--network=none " : "")--mount=type=secret,id=tok "
            + "test -s /run/secrets/tok || exit 9; sleep 2; echo \(UUID().uuidString) >/run.id; "
            + "sha256sum /run/secrets/tok | cut -c1-64 >/tok.sha\(tail)\n"
    }

    @Test("the value reaches RUN --mount=type=secret and nothing else, on buildx, buildah and podman")
    func secretReachesOnlyTheMount() async throws {
        let fleet = try Fleet.require()
        let value = "tok-\(UUID().uuidString)-\(UUID().uuidString)"
        let project = try BuildCommandTests.Project(fleet: fleet, dockerfile: try Self.dockerfile(fleet))
        defer { project.remove() }
        let secretFile = NSTemporaryDirectory() + "secret-\(UUID().uuidString)"
        try value.write(toFile: secretFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: secretFile) }
        let sampler = ProcessLeakSampler(secret: value)
        let poller = PollingThread(every: .milliseconds(20)) { sampler.sample() }

        var places: [String: String] = [:]
        for (name, inventory) in [("buildx", try fleet.value("TESTBED_INVENTORY")),
                                  ("buildah", try project.inventory(try Self.buildahOnly(fleet))),
                                  ("podman", try project.inventory(try Self.podmanOnly(fleet)))] {
            try Self.dockerfile(fleet, buildx: name == "buildx")
                .write(toFile: project.directory + "/Dockerfile", atomically: true, encoding: .utf8)
            let image = try BuildCommandTests.image(fleet)
            let json = NSTemporaryDirectory() + "secret-report-\(UUID().uuidString).json"
            defer { try? FileManager.default.removeItem(atPath: json) }
            let result = try await project.build([
                "--inventory", inventory, "--image", image, "--tag", "v1", "--platform", "linux/amd64",
                "--secret", "id=tok,src=\(secretFile)", "--json", json,
            ])
            #expect(result.status == 0, "\(name): \(result.stdout)\n\(result.stderr)")
            places["\(name) stdout"] = result.stdout
            places["\(name) stderr"] = result.stderr
            places["\(name) report"] = try String(contentsOfFile: json, encoding: .utf8)

            // The image: the hash of the value is there; the value is in no blob (layers, config with its history).
            let copy = NSTemporaryDirectory() + "secret-image-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: copy) }
            let copied = try await Shell.run([
                "skopeo", "copy", "--src-tls-verify=false", "docker://\(image):v1-linux-amd64", "dir:" + copy,
            ])
            #expect(copied.succeeded, "\(copied.stderr)")
            let unpacked = try await Shell.run(["sh", "-c",
                "for f in \"$1\"/*; do gzip -dc \"$f\" 2>/dev/null || cat \"$f\"; done", "sh", copy])
            // The value goes to sha256sum on its stdin, never in a command line the sampler would flag.
            let hash = try await Shell.run(["sha256sum"], input: Data(value.utf8))
            let hex = String(hash.trimmedStdout.prefix(64))
            #expect(hex.count == 64 && unpacked.stdout.contains(hex + "\n"), "\(name): the RUN step did not see the secret")
            #expect(!unpacked.stdout.contains(value), "\(name): the value is in a layer or the config")
        }
        await poller.stop()
        let sampled = sampler.summary
        #expect(sampled.samples > 10, "\(sampled)")
        #expect(sampled.leaks.isEmpty, "the value was in a command line or environment: \(sampled.leaks)")
        print("reliability: build secrets: \(sampled), \(sampled.leaks.count) with the value")

        let logs = project.directory + "/_output/logs"
        for file in try FileManager.default.contentsOfDirectory(atPath: logs) {
            places["log " + file] = try String(contentsOfFile: logs + "/" + file, encoding: .utf8)
        }
        for (place, text) in places {
            #expect(!text.contains(value), "the value is in the \(place)")
        }
        #expect(try Self.secretFilesOnHosts(fleet).isEmpty, "secret files left on a host")
    }

    @Test("the secret file is removed after a failing build and after Ctrl-C")
    func secretFileGoneAfterFailureAndInterrupt() async throws {
        let fleet = try Fleet.require()
        let value = "tok-\(UUID().uuidString)"
        // Fails after the mount was used.
        let failing = try BuildCommandTests.Project(fleet: fleet, dockerfile: try Self.dockerfile(fleet, tail: "; exit 3"))
        defer { failing.remove() }
        let failed = try await failing.build([
            "--inventory", try fleet.value("TESTBED_INVENTORY"), "--image", try BuildCommandTests.image(fleet),
            "--tag", "v1", "--platform", "linux/amd64", "--secret", "id=tok,env=COORDINATOR_TEST_SECRET",
        ], environment: ["COORDINATOR_TEST_SECRET": value])
        #expect(failed.status == 1, "\(failed.stderr)")
        #expect(!failed.stderr.contains(value) && !failed.stdout.contains(value))
        #expect(try Self.secretFilesOnHosts(fleet).isEmpty, "secret files left after a failed build")

        // Interrupted while the RUN step (which holds the mount) sleeps.
        let marker = "secret-\(UInt32.random(in: 1...UInt32.max))"
        let slow = try BuildCommandTests.Project(fleet: fleet, dockerfile: "FROM \(try fleet.value("TESTBED_BASE_IMAGE"))\n"
            + "RUN --network=none --mount=type=secret,id=tok sleep 30; echo \(marker)\n")
        defer { slow.remove() }
        let interrupted = try await slow.build([
            "--inventory", try fleet.value("TESTBED_INVENTORY"), "--image", try BuildCommandTests.image(fleet),
            "--tag", "v1", "--platform", "linux/amd64", "--secret", "id=tok,env=COORDINATOR_TEST_SECRET",
        ], environment: ["COORDINATOR_TEST_SECRET": value], terminateWhen: {
            ProcFS.running(commandContaining: "echo \(marker)")
        })
        #expect(interrupted.status == 130, "\(interrupted.stderr)")
        // The host's script removes the run directory as it ends; give the remote kill a few seconds.
        let deadline = ContinuousClock.now + .seconds(10)
        while try !Self.secretFilesOnHosts(fleet).isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try Self.secretFilesOnHosts(fleet).isEmpty, "secret files left after Ctrl-C")
    }

    @Test("a docker-builder host is refused when the Dockerfile mounts a secret, and skipped with a note otherwise")
    func classicDockerTakesNoSecrets() async throws {
        let fleet = try Fleet.require()
        let project = try BuildCommandTests.Project(fleet: fleet, dockerfile: try Self.dockerfile(fleet))
        defer { project.remove() }
        let dir = try fleet.value("TESTBED_DIR")
        let inventory = try project.inventory("""
            { "hosts": [ { "name": "classic-1", "address": "\(try fleet.value("TESTBED_HOST_SPARE"))", "port": 2222,
              "user": "root", "identityFiles": ["\(try fleet.value("TESTBED_SSH_KEY"))"], "agent": false,
              "knownHostsFile": "\(try fleet.value("TESTBED_KNOWN_HOSTS"))", "builder": "docker",
              "platforms": ["linux/amd64"], "workDir": "\(dir)/hosts/amd64-2/work-classic" } ] }
            """)
        let arguments = ["--inventory", inventory, "--image", try BuildCommandTests.image(fleet), "--tag", "v1",
                         "--platform", "linux/amd64", "--secret", "id=tok,env=COORDINATOR_TEST_SECRET"]
        let refused = try await project.build(arguments, environment: ["COORDINATOR_TEST_SECRET": "x"])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("classic-1") && refused.stderr.contains("takes no build secrets"), "\(refused.stderr)")

        try "FROM scratch\nCOPY id.txt /\n".write(toFile: project.directory + "/Dockerfile", atomically: true, encoding: .utf8)
        let built = try await project.build(arguments, environment: ["COORDINATOR_TEST_SECRET": "x"])
        #expect(built.status == 0, "\(built.stderr)")
        #expect(built.stderr.contains("the docker builder on classic-1 takes no build secrets"), "\(built.stderr)")
    }

    @Test("bad --secret values are refused before any host, naming the option and never the value")
    func refusals() async throws {
        let fleet = try Fleet.require()
        let project = try BuildCommandTests.Project(fleet: fleet)
        defer { project.remove() }
        let base = try project.fleetBase()
        let cases: [([String], String)] = [
            (["--secret", "src=/etc/hostname"], "has no id"),
            (["--secret", "id=a b"], "--secret id \"a b\" may hold only"),
            (["--secret", "id=tok,src=/nonexistent/file"], "cannot read the file \"/nonexistent/file\""),
            (["--secret", "id=tok,env=COORDINATOR_UNSET_VARIABLE"], "COORDINATOR_UNSET_VARIABLE is not set"),
            (["--secret", "id=tok,src=/etc/hostname,env=X"], "has both src and env"),
            (["--secret", "id=tok,colour=red"], "unknown key \"colour\""),
            (["--secret", "id=tok,src=/etc/hostname", "--secret", "id=tok,src=/etc/hostname"], "given twice"),
        ]
        try await project.expectRefusals(base, cases)
    }

    /// wincross-1 alone, building linux/amd64 with buildah, in a work directory of its own.
    static func buildahOnly(_ fleet: Fleet) throws -> String {
        """
        { "hosts": [ { "name": "wincross-1", "address": "\(try fleet.value("TESTBED_HOST_WINCROSS"))", "port": 2222,
          "user": "root", "identityFiles": ["\(try fleet.value("TESTBED_SSH_KEY"))"], "agent": false,
          "knownHostsFile": "\(try fleet.value("TESTBED_KNOWN_HOSTS"))", "builder": "buildah",
          "platforms": ["linux/amd64"], "workDir": "\(try fleet.value("TESTBED_DIR"))/hosts/wincross-1/work-secrets" } ] }
        """
    }

    /// podman-1 alone: rootless podman as its non-root user.
    static func podmanOnly(_ fleet: Fleet) throws -> String {
        """
        { "hosts": [ { "name": "podman-1", "address": "\(try fleet.value("TESTBED_HOST_PODMAN"))", "port": 2222,
          "user": "\(try fleet.value("TESTBED_PODMAN_SSH_USER"))", "identityFiles": ["\(try fleet.value("TESTBED_SSH_KEY"))"],
          "agent": false, "knownHostsFile": "\(try fleet.value("TESTBED_KNOWN_HOSTS"))", "builder": "podman",
          "platforms": ["linux/amd64"], "workDir": "\(try fleet.value("TESTBED_DIR"))/hosts/podman-1/work" } ] }
        """
    }

    /// Every `runs/*/secrets` directory under the fleet hosts' work directories.
    static func secretFilesOnHosts(_ fleet: Fleet) throws -> [String] {
        let hosts = try fleet.value("TESTBED_DIR") + "/hosts"
        var found: [String] = []
        let manager = FileManager.default
        for host in (try? manager.contentsOfDirectory(atPath: hosts)) ?? [] {
            for work in (try? manager.contentsOfDirectory(atPath: "\(hosts)/\(host)")) ?? [] where work.hasPrefix("work") {
                let runs = "\(hosts)/\(host)/\(work)/runs"
                for run in (try? manager.contentsOfDirectory(atPath: runs)) ?? []
                where manager.fileExists(atPath: "\(runs)/\(run)/secrets") {
                    found.append("\(runs)/\(run)/secrets")
                }
            }
        }
        return found
    }
}

/// Samples every process's command line and environment (`/proc/*/cmdline`, `/proc/*/environ`) for a value.
final class ProcessLeakSampler: Sendable {
    struct Summary: CustomStringConvertible {
        var samples = 0
        var processes = 0
        var leaks: [String] = []
        var description: String { "\(samples) samples of \(processes) process views" }
    }

    private let secret: [UInt8]
    private let state = Locked(Summary())

    init(secret: String) { self.secret = Array(secret.utf8) }

    var summary: Summary { state.value }

    func sample() {
        var leaks: [String] = []
        let processes = ProcFS.processes()
        for pid in processes {
            for file in ["cmdline", "environ"] {
                guard let data = ProcFS.read("/proc/\(pid)/\(file)") else { continue }
                if Array(data).firstRange(of: secret) != nil {
                    leaks.append("/proc/\(pid)/\(file): \(ProcFS.commandLine(of: pid) ?? "?")")
                }
            }
        }
        state.withLock { state in
            state.samples += 1
            state.processes += processes.count
            state.leaks += leaks
        }
    }
}
