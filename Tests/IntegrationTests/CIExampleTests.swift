import Foundation
import TestSupport
import Testing

/// `examples/ci/release.sh`, the step both CI examples call, run as CI would against the local fleet: a
/// fresh HOME, the fleet's SSH key and known_hosts given through the variables CI fills from its secrets,
/// and the token registry, whose credentials must reach coordinator through `~/.docker/config.json`.
/// The YAML examples must parse and call that script.
@Suite("CI example: examples/ci", .serialized)
struct CIExampleTests {
    /// A CI job's workspace: HOME, a context (examples/hello) and an inventory naming no key file, so the
    /// key the script writes to `~/.ssh` is what logs in.
    struct Workspace {
        let directory: String
        var home: String { directory + "/home" }
        var context: String { directory + "/context" }
        var inventory: String { directory + "/inventory.json" }
        var report: String { directory + "/report.json" }

        init(fleet: Fleet) throws {
            directory = NSTemporaryDirectory() + "ci-example-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
            let example = SourceTree.path("examples/hello")
            for file in ["Dockerfile", "hello.txt", ".dockerignore"] {
                try FileManager.default.copyItem(atPath: example + "/" + file, toPath: context + "/" + file)
            }
            try UUID().uuidString.write(toFile: context + "/id.txt", atomically: true, encoding: .utf8)
            let data = try Data(contentsOf: URL(fileURLWithPath: try fleet.value("TESTBED_INVENTORY")))
            let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let hosts = (root["hosts"] as? [[String: Any]] ?? [])
                .filter { ["amd64-1", "arm64-1"].contains($0["name"] as? String ?? "") }
                .map { $0.filter { $0.key != "identityFiles" && $0.key != "knownHostsFile" } }
            try #require(hosts.count == 2, "the fleet's inventory lacks amd64-1 or arm64-1")
            try JSONSerialization.data(withJSONObject: ["hosts": hosts]).write(to: URL(fileURLWithPath: inventory))
        }

        /// Runs the script as a CI job would: only the variables a job sets, plus PATH.
        func release(fleet: Fleet, image: String, platforms: String) async throws -> Shell.Result {
            let environment: [String: String] = [
                "HOME": home,
                "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
                "COORDINATOR": CoordinatorBinary.path,
                "IMAGE": image, "TAG": "v1", "PLATFORMS": platforms,
                "INVENTORY": inventory, "CONTEXT": context, "REPORT": report,
                "SSH_PRIVATE_KEY": try String(contentsOfFile: try fleet.value("TESTBED_SSH_KEY"), encoding: .utf8),
                "SSH_KNOWN_HOSTS": try String(contentsOfFile: try fleet.value("TESTBED_KNOWN_HOSTS"), encoding: .utf8),
                "REGISTRY_USER": try fleet.value("TESTBED_REGISTRY_USER"),
                "REGISTRY_PASSWORD": try fleet.value("TESTBED_REGISTRY_PASSWORD"),
            ]
            return try await Shell.run(
                ["/bin/bash", SourceTree.path("examples/ci/release.sh")], environment: environment,
                timeout: .seconds(600), directory: directory, inheritEnvironment: false)
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test("release.sh builds and pushes through coordinator with credentials from the CI's secrets")
    func releaseOnTheFleet() async throws {
        let fleet = try Fleet.require()
        let workspace = try Workspace(fleet: fleet)
        defer { workspace.remove() }
        let password = try fleet.value("TESTBED_REGISTRY_PASSWORD")
        let image = "\(try fleet.value("TESTBED_REGISTRY_TOKEN"))/itest/ci-\(UUID().uuidString.prefix(8).lowercased())"
        let sampler = CommandLineSampler(secret: password)
        let poller = PollingThread(every: .milliseconds(20)) { sampler.sample() }
        let result = try await workspace.release(fleet: fleet, image: image, platforms: "linux/amd64,linux/arm64")
        await poller.stop()
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains("release: coordinator build exited 0"))
        #expect(sampler.summary.leaks.isEmpty, "the password was in a command line: \(sampler.summary.leaks)")
        #expect(!result.stdout.contains(password) && !result.stderr.contains(password))

        // What the script wrote: private files, the password only inside Docker's base64 `auth`.
        let config = workspace.home + "/.docker/config.json"
        #expect(try Self.mode(workspace.home + "/.ssh/id_ed25519") == 0o600)
        #expect(try Self.mode(config) == 0o600)
        let configText = try String(contentsOfFile: config, encoding: .utf8)
        #expect(!configText.contains(password))
        let auths = (try JSONSerialization.jsonObject(with: Data(configText.utf8)) as? [String: Any])?["auths"]
        #expect((auths as? [String: Any])?.keys.sorted() == [try fleet.value("TESTBED_REGISTRY_TOKEN")])

        // The report, and the list in the registry, read with the same credentials.
        let report = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: workspace.report))) as? [String: Any] ?? [:]
        #expect(report["status"] as? String == "succeeded")
        let platforms = report["platforms"] as? [[String: Any]] ?? []
        #expect(platforms.map { $0["host"] as? String } == ["amd64-1", "arm64-1"])
        let digests = platforms.compactMap { $0["digest"] as? String }
        #expect(digests.count == 2 && digests.allSatisfy { $0.hasPrefix("sha256:") })
        let list = try await Shell.run(
            ["skopeo", "inspect", "--tls-verify=false", "--authfile", config, "--raw", "docker://\(image):v1"])
        #expect(list.succeeded, "\(list.stderr)")
        let index = try JSONSerialization.jsonObject(with: list.stdoutData) as? [String: Any] ?? [:]
        let entries = index["manifests"] as? [[String: Any]] ?? []
        #expect(entries.compactMap { $0["digest"] as? String }.sorted() == digests.sorted())
        let listed = entries.compactMap { $0["platform"] as? [String: Any] }
            .map { "\($0["os"] as? String ?? "?")/\($0["architecture"] as? String ?? "?")" }
        #expect(listed.sorted() == ["linux/amd64", "linux/arm64"])
        // Without credentials the registry refuses: the credentials the script wrote are what worked.
        let anonymous = try await Shell.run(
            ["skopeo", "inspect", "--tls-verify=false", "--no-creds", "--raw", "docker://\(image):v1"])
        #expect(!anonymous.succeeded)
    }

    @Test("release.sh exits with coordinator's exit code: a platform no host builds is a usage error (2)")
    func exitCodeIsCoordinators() async throws {
        let fleet = try Fleet.require()
        let workspace = try Workspace(fleet: fleet)
        defer { workspace.remove() }
        let image = "\(try fleet.value("TESTBED_REGISTRY_TOKEN"))/itest/ci-\(UUID().uuidString.prefix(8).lowercased())"
        let result = try await workspace.release(fleet: fleet, image: image, platforms: "linux/s390x")
        #expect(result.status == 2, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains("release: coordinator build exited 2"), "\(result.stderr)")
    }

    /// The parsed YAML of an example, as JSON (python3's yaml module, python3-yaml on Debian).
    static func parseYAML(_ path: String) async throws -> [String: Any] {
        let script = "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1])), default=str))"
        let result = try await Shell.run(["python3", "-c", script, path])
        try #require(result.succeeded, "\(path) does not parse as YAML: \(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any])
    }

    @Test("github-actions.yml parses, installs the package and calls release.sh, and keeps report.json")
    func githubActions() async throws {
        let workflow = try await Self.parseYAML(SourceTree.path("examples/ci/github-actions.yml"))
        // YAML 1.1 reads the key `on` as true.
        #expect(workflow["on"] != nil || workflow["true"] != nil)
        let jobs = try #require(workflow["jobs"] as? [String: Any])
        let job = try #require(jobs.values.first as? [String: Any])
        let steps = try #require(job["steps"] as? [[String: Any]])
        let runs = steps.compactMap { $0["run"] as? String }
        #expect(runs.contains { $0.trimmingCharacters(in: .whitespacesAndNewlines) == "examples/ci/release.sh" })
        let install = runs.joined(separator: "\n")
        #expect(install.contains("apt-get install -y --no-install-recommends $(cat runtime-packages.txt)"))
        #expect(install.contains("tar -xzf \"$package\" -C /usr/local"))
        #expect(install.contains("coordinator-${COORDINATOR_VERSION}-linux-amd64.tar.gz"))
        let release = try #require(steps.first { ($0["run"] as? String)?.contains("release.sh") == true })
        let environment = release["env"] as? [String: Any] ?? [:]
        for key in ["TAG", "SSH_PRIVATE_KEY", "SSH_KNOWN_HOSTS", "REGISTRY_USER", "REGISTRY_PASSWORD"] {
            #expect(environment[key] != nil, "the release step does not set \(key)")
        }
        let upload = try #require(steps.first { ($0["uses"] as? String)?.hasPrefix("actions/upload-artifact") == true })
        #expect(upload["if"] as? String == "always()")
        #expect((upload["with"] as? [String: Any])?["path"] as? String == "report.json")
    }

    @Test("gitlab-ci.yml parses, installs the package and calls release.sh, and keeps report.json")
    func gitlabCI() async throws {
        let pipeline = try await Self.parseYAML(SourceTree.path("examples/ci/gitlab-ci.yml"))
        let job = try #require(pipeline["release"] as? [String: Any])
        #expect((job["script"] as? [String]) == ["examples/ci/release.sh"])
        let install = (job["before_script"] as? [String] ?? []).joined(separator: "\n")
        #expect(install.contains("apt-get install -y --no-install-recommends $(cat runtime-packages.txt)"))
        #expect(install.contains("tar -xzf \"$package\" -C /usr/local"))
        let artifacts = try #require(job["artifacts"] as? [String: Any])
        #expect(artifacts["when"] as? String == "always")
        #expect(artifacts["paths"] as? [String] == ["report.json"])
        let variables = job["variables"] as? [String: Any] ?? [:]
        #expect(variables["TAG"] as? String == "$CI_COMMIT_TAG")
    }
}
