import Foundation
import TestSupport
import Testing

/// Registry credentials in use for a real build on the token registry: the password must never show up in
/// any process's command line on the hosts (sampled from /proc while the build runs: every fleet host is
/// an sshd on this machine), in the output, the `--json` report, the build logs, sshd's logs, or the
/// error of a build that fails.
@Suite("Reliability: secrets stay secret")
struct SecretTests {
    @Test("the registry password never appears in a command line, a log, the report or an error")
    func passwordNeverLeaks() async throws {
        let fleet = try Fleet.require()
        let password = try fleet.value("TESTBED_REGISTRY_PASSWORD")
        let registry = try fleet.value("TESTBED_REGISTRY_TOKEN")
        // No RUN step: every host that may take linux/amd64 (buildx or buildah) can build it.
        let project = try BuildCommandTests.Project(
            fleet: fleet, dockerfile: "FROM \(try fleet.value("TESTBED_BASE_IMAGE"))\nCOPY id.txt /\n")
        defer { project.remove() }
        try Self.writeDockerConfig(project, registry: registry, user: try fleet.value("TESTBED_REGISTRY_USER"),
            password: password)
        let image = "\(registry)/itest/secret-\(UUID().uuidString.prefix(8).lowercased())"
        let json = project.directory + "/report.json"
        let sampler = CommandLineSampler(secret: password)
        let poller = PollingThread(every: .milliseconds(20)) { sampler.sample() }
        let result = try await project.build(
            ["--inventory", try fleet.value("TESTBED_INVENTORY"), "--image", image, "--tag", "v1",
             "--platform", "linux/amd64,windows/amd64", "--json", json])
        await poller.stop()
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let sampled = sampler.summary
        // The sampler saw the builds (their command lines name the per-platform tag).
        #expect(sampled.sawBuild(of: image), "the sampler never saw a build: \(sampled)")
        #expect(sampled.leaks.isEmpty, "the password was in a command line: \(sampled.leaks)")
        print("reliability: secrets: \(sampled), \(sampled.leaks.count) with the password")

        // A failing build (its Dockerfile cannot COPY) with the same credentials: the error is clean too.
        try "FROM scratch\nCOPY missing-\(UUID().uuidString) /\n"
            .write(toFile: project.directory + "/Dockerfile", atomically: true, encoding: .utf8)
        let failed = try await project.build(
            ["--inventory", try fleet.value("TESTBED_INVENTORY"), "--image", image, "--tag", "v2",
             "--platform", "linux/amd64", "--json", project.directory + "/failed.json"])
        #expect(failed.status == 1, "\(failed.stdout)\n\(failed.stderr)")

        var places: [String: String] = [
            "stdout": result.stdout + failed.stdout, "stderr": result.stderr + failed.stderr,
            "report": try String(contentsOfFile: json, encoding: .utf8),
            "failed report": try String(contentsOfFile: project.directory + "/failed.json", encoding: .utf8),
        ]
        let logs = project.directory + "/_output/logs"
        for file in try FileManager.default.contentsOfDirectory(atPath: logs) {
            places["log " + file] = try String(contentsOfFile: logs + "/" + file, encoding: .utf8)
        }
        #expect(places.count >= 6, "the build logs are missing: \(places.keys.sorted())")
        for host in ["amd64-1", "arm64-1", "wincross-1", "amd64-2"] {
            let path = try fleet.value("TESTBED_DIR") + "/hosts/\(host)/sshd.log"
            places["sshd log of " + host] = try String(contentsOfFile: path, encoding: .utf8)
        }
        for (place, text) in places {
            #expect(!text.contains(password), "the password is in the \(place)")
        }
    }

    static func writeDockerConfig(_ project: BuildCommandTests.Project, registry: String, user: String, password: String) throws {
        let directory = project.directory + "/docker-config"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let auth = Data("\(user):\(password)".utf8).base64EncodedString()
        try #"{ "auths": { "\#(registry)": { "auth": "\#(auth)" } } }"#
            .write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
    }
}

/// Samples every process's command line (`/proc/*/cmdline`) on each call of
/// ``sample()`` (from a ``PollingThread``).
final class CommandLineSampler: Sendable {
    struct Summary: CustomStringConvertible {
        var samples = 0
        var commandLines = Set<String>()
        var leaks: [String] = []

        func sawBuild(of image: String) -> Bool { commandLines.contains { $0.contains(image) } }

        var description: String { "\(samples) samples, \(commandLines.count) distinct command lines" }
    }

    private let secret: String
    private let state = Locked(Summary())

    init(secret: String) { self.secret = secret }

    var summary: Summary { state.value }

    func sample() {
        let lines = ProcFS.processes().compactMap(ProcFS.commandLine(of:))
        state.withLock { state in
            state.samples += 1
            for line in lines where state.commandLines.insert(line).inserted && line.contains(secret) {
                state.leaks.append(line)
            }
        }
    }
}
