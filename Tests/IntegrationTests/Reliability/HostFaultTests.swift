import Foundation
import Shared
import TestSupport
import Testing
import Worker

@testable import Coordinator

/// Hosts that fail before or during a build, on the fleet's two fault hosts (real sshd processes that
/// only this suite stops or kills): `fault-1` is planned first, `fault-2` is the standby when the
/// inventory lists it. Every case checks the exit code, the report and that no list is ever pushed
/// without the platform.
@Suite("Reliability: hosts that fail", .serialized)
struct HostFaultTests {
    /// How a fault hits `fault-1`.
    enum Fault: String, CustomStringConvertible, CaseIterable {
        /// Its sshd is stopped before the build starts.
        case downBeforeBuild = "sshd down before the build"
        /// Its sshd (and every session) is stopped while the RUN step runs.
        case sshdStoppedMidBuild = "sshd stopped mid-build"
        /// Its build process (and the session's shell) is killed while the RUN step runs; sshd stays up.
        case buildKilledMidBuild = "build process killed mid-build"

        var description: String { rawValue }
    }

    struct Case: CustomStringConvertible, Sendable {
        let fault: Fault
        let standby: Bool
        var description: String { "\(fault), \(standby ? "with" : "without") a standby host" }
    }

    static let cases = Fault.allCases.flatMap { fault in [true, false].map { Case(fault: fault, standby: $0) } }

    @Test("failover to the standby, a retry, or a clean failure; never a list missing the platform",
          arguments: cases)
    func hostFault(_ scenario: Case) async throws {
        let fleet = try Fleet.require()
        let marker = "fault-\(UInt32.random(in: 1...UInt32.max))"
        // The RUN step's shell stays in the process table (its command line holds the marker) for 5 s.
        let project = try BuildCommandTests.Project(
            fleet: fleet, dockerfile: "FROM \(try fleet.value("TESTBED_BASE_IMAGE"))\n"
                + "RUN --network=none sleep 5; echo \(marker)\n")
        defer { project.remove() }
        let inventory = try project.inventory(try Self.inventory(fleet, standby: scenario.standby))
        let image = try BuildCommandTests.image(fleet)
        let json = project.directory + "/report.json"
        try await Testbed.run("start-host", "fault-1")

        if scenario.fault == .downBeforeBuild { try await Testbed.run("stop-host", "fault-1") }
        // Strike once the RUN step runs on fault-1 (the planner's first choice), from a thread of its own: a strike
        // that waited for a cooperative-pool thread could come after the step had ended on a loaded machine.
        // Once only: a retry's RUN step (on fault-2 or fault-1) shows the same marker.
        // The process table is read in this process (a pgrep per poll is a process start, which a loaded machine
        // can make slower than the step is long).
        let injected = Locked<Bool?>(nil)
        let polls = Locked(0)
        let striker = scenario.fault == .downBeforeBuild ? nil : PollingThread(every: .milliseconds(50)) {
            guard injected.value == nil else { return }
            polls.withLock { $0 += 1 }
            guard ProcFS.running(commandContaining: "echo \(marker)") else { return }
            let command = scenario.fault == .sshdStoppedMidBuild ? "stop-host" : "kill-sessions"
            let done = Self.runNow(Testbed.script, command, "fault-1")
            injected.withLock { $0 = done }
        }
        let result = try await project.build(
            ["--inventory", inventory, "--image", image, "--tag", "v1", "--platform", "linux/amd64", "--json", json],
            timeout: .seconds(180))
        await striker?.stop()
        try await Testbed.run("start-host", "fault-1")
        if scenario.fault != .downBeforeBuild {
            #expect(injected.value == true, """
                the fault was \(injected.value == false ? "not injected (scripts/testbed failed)" : "never injected") \
                after \(polls.value) reads of the process table: \(result.stdout)
                """)
        }

        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        let platform = try #require((report?["platforms"] as? [[String: Any]])?.first, "\(result.stderr)")
        let attempts = platform["attempts"] as? [[String: Any]] ?? []
        // The first attempt was on fault-1 and is reported as the host's fault, naming the host.
        #expect(attempts.first?["host"] as? String == "fault-1")
        #expect(attempts.first?["failureKind"] as? String == "infrastructure", "\(attempts)")
        #expect((attempts.first?["error"] as? String)?.contains("fault-1") == true, "\(attempts)")
        if scenario.standby {
            #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
            #expect(platform["host"] as? String == "fault-2")
            #expect(attempts.map { $0["host"] as? String } == ["fault-1", "fault-2"])
            #expect(try await BuildCommandTests.listExists("\(image):v1"))
        } else if scenario.fault == .buildKilledMidBuild {
            // sshd is still up: the bounded retry on the same host succeeds.
            #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
            #expect(attempts.map { $0["host"] as? String } == ["fault-1", "fault-1"])
            #expect(try await BuildCommandTests.listExists("\(image):v1"))
            // The killed run could not clean up; the retry removed its run directory (and any login in it).
            let runs = try FileManager.default.contentsOfDirectory(
                atPath: try fleet.value("TESTBED_DIR") + "/hosts/fault-1/work/runs")
            #expect(runs.isEmpty, "stale run directories on fault-1: \(runs)")
        } else {
            // The platform could not be built anywhere: exit 3, no list, and stderr says where and why.
            #expect(result.status == 3, "\(result.stdout)\n\(result.stderr)")
            #expect(result.stderr.contains("fault-1"), "\(result.stderr)")
            #expect(platform["failureKind"] as? String == "infrastructure")
            #expect(try await !BuildCommandTests.listExists("\(image):v1"))
        }
        // Whatever happened, nothing of this build runs on any host afterwards.
        #expect(!ProcFS.running(commandContaining: "echo \(marker)"))
    }

    @Test("a host whose key changed is refused before authentication, and ran zero commands (its sshd log)")
    func changedHostKey() async throws {
        let fleet = try Fleet.require()
        let project = try BuildCommandTests.Project(fleet: fleet)
        defer { project.remove() }
        let address = try fleet.value("TESTBED_HOST_FAULT1")
        // known_hosts pins another ed25519 key for the host (the client key's public half).
        let impostor = try await Shell.run(["ssh-keygen", "-y", "-f", try fleet.value("TESTBED_SSH_KEY")])
        let pinned = project.directory + "/known_hosts"
        try "# pinned earlier\n[\(address)]:2222 \(impostor.trimmedStdout)\n"
            .write(toFile: pinned, atomically: true, encoding: .utf8)
        let inventory = try project.inventory(
            try Self.inventory(fleet, standby: false).replacingOccurrences(
                of: try fleet.value("TESTBED_KNOWN_HOSTS"), with: pinned))
        let sshdLog = try Self.fault1Log(fleet)
        let before = try Self.logins(in: sshdLog)
        let image = try BuildCommandTests.image(fleet)
        let result = try await Self.releaseAMD64(project, inventory: inventory, image: image)
        #expect(result.status == 3, "\(result.stdout)\n\(result.stderr)")
        let fingerprint = try await Shell.run(
            ["ssh-keygen", "-l", "-E", "sha256", "-f", try fleet.value("TESTBED_DIR") + "/hosts/fault-1/host_ed25519.pub"])
        let sha = try #require(fingerprint.stdout.split(separator: " ").first { $0.hasPrefix("SHA256:") })
        // The error names the host, the key type, the fingerprint it offered and the file:line that disagreed.
        for part in ["fault-1", "ssh-ed25519", String(sha), "\(pinned):2"] {
            #expect(result.stderr.contains(part), "missing \(part) in: \(result.stderr)")
        }
        #expect(try await !BuildCommandTests.listExists("\(image):v1"))
        // sshd saw connections but no login and no session: zero commands ran on the host.
        let after = try Self.logins(in: sshdLog)
        #expect(after.accepted == before.accepted, "sshd accepted a login despite the changed key")
        #expect(after.sessions == before.sessions, "a session started on a host whose key changed")
        #expect(after.connections == before.connections + 1, "one connection, not retried: the key will not change")
    }

    @Test("a release's build uses the connection opened while its sources were read: one connection to the host")
    func preconnectUsed() async throws {
        let fleet = try Fleet.require()
        let project = try BuildCommandTests.Project(fleet: fleet)
        defer { project.remove() }
        let inventory = try project.inventory(try Self.inventory(fleet, standby: false))
        let sshdLog = try Self.fault1Log(fleet)
        let before = try Self.logins(in: sshdLog)
        let result = try await Self.releaseAMD64(
            project, inventory: inventory, image: try BuildCommandTests.image(fleet))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let after = try await Self.settled(sshdLog, closed: before.closed + 1)
        #expect(after.connections == before.connections + 1, "the early connection, not a second one")
        #expect(after.accepted == before.accepted + 1)
    }

    @Test("an early connection serves one build; a failed attempt hands over its error; the rest are closed")
    func preconnectTakeOnce() async throws {
        let fleet = try Fleet.require()
        let inventory = try Inventory.load(path: try fleet.value("TESTBED_INVENTORY"))
        let host = try #require(inventory.host(named: "amd64-1"))
        var unreachable = host
        unreachable.name = "nothing-listens"
        unreachable.port = 1
        let preconnect = SSHPreconnect()
        await preconnect.start([(host.name, SSHTarget(host: host)), (unreachable.name, SSHTarget(host: unreachable))])
        let connection = try #require(try await preconnect.take(host.name)?.get())
        #expect(try await connection.run("true").status == .exited(0))
        await connection.close()
        #expect(await preconnect.take(host.name) == nil, "taken once")
        let failed = try #require(await preconnect.take(unreachable.name))
        #expect(throws: SSHError.self) { try failed.get() }

        let fault1 = try #require(try Inventory.decode(Array(try Self.inventory(fleet, standby: false).utf8), file: "fault")
            .host(named: "fault-1"))
        let sshdLog = try Self.fault1Log(fleet)
        let before = try Self.logins(in: sshdLog)
        let unused = SSHPreconnect()
        await unused.start([(fault1.name, SSHTarget(host: fault1))])
        try await Task.sleep(for: .milliseconds(300))
        await unused.closeRemaining()
        #expect(await unused.take(fault1.name) == nil)
        let after = try await Self.settled(sshdLog, closed: before.closed + 1)
        #expect(after.closed == before.closed + 1, "closed by closeRemaining")
        #expect(after.accepted == before.accepted + 1 && after.sessions == before.sessions, "authenticated, ran nothing")
    }

    // MARK: - Support

    /// fault-1 first; fault-2 as the standby when asked for.
    static func inventory(_ fleet: Fleet, standby: Bool) throws -> String {
        let dir = try fleet.value("TESTBED_DIR")
        func host(_ name: String, _ key: String) throws -> String {
            """
            { "name": "\(name)", "address": "\(try fleet.value(key))", "platforms": ["linux/amd64"],
              "workDir": "\(dir)/hosts/\(name)/work" }
            """
        }
        let hosts = try [host("fault-1", "TESTBED_HOST_FAULT1")] + (standby ? [host("fault-2", "TESTBED_HOST_FAULT2")] : [])
        return """
            { "defaults": { "user": "root", "port": 2222, "identityFiles": ["\(try fleet.value("TESTBED_SSH_KEY"))"],
                            "agent": false, "knownHostsFile": "\(try fleet.value("TESTBED_KNOWN_HOSTS"))" },
              "hosts": [ \(hosts.joined(separator: ", ")) ] }
            """
    }

    /// Runs a command to its end on the calling thread (a ``PollingThread``'s, never the cooperative pool's);
    /// true when it exits 0.
    static func runNow(_ arguments: String...) -> Bool {
        (try? SpawnedProcess(arguments).waitForExit()) == .exited(0)
    }

    /// fault-1's sshd log.
    static func fault1Log(_ fleet: Fleet) throws -> String {
        try fleet.value("TESTBED_DIR") + "/hosts/fault-1/sshd.log"
    }

    /// `coordinator build` of `project` for linux/amd64 with `inventory`, as `image:v1`.
    static func releaseAMD64(_ project: BuildCommandTests.Project, inventory: String, image: String) async throws
        -> Shell.Result
    {
        try await project.build(["--inventory", inventory, "--image", image, "--tag", "v1", "--platform", "linux/amd64"])
    }

    /// The counts of ``logins(in:)`` once `closed` connections have ended (sshd logs a disconnect a moment after the
    /// client sent it), or after 5 s.
    static func settled(_ path: String, closed: Int) async throws
        -> (connections: Int, accepted: Int, sessions: Int, closed: Int)
    {
        var counts = try logins(in: path)
        for _ in 0..<50 {
            if counts.closed >= closed { break }
            try await Task.sleep(for: .milliseconds(100))
            counts = try logins(in: path)
        }
        return counts
    }

    /// Counts in an sshd log (LogLevel VERBOSE): connections, accepted logins, started sessions, and connections
    /// the client closed after logging in.
    static func logins(in path: String) throws -> (connections: Int, accepted: Int, sessions: Int, closed: Int) {
        // sshd -E ends its lines with CRLF: split on either.
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(whereSeparator: \.isNewline)
        return (lines.filter { $0.contains("Connection from ") }.count,
                lines.filter { $0.contains("Accepted publickey") }.count,
                lines.filter { $0.contains("Starting session") }.count,
                lines.filter { $0.contains("Disconnected from user") }.count)
    }
}

/// `scripts/testbed` commands that stop, start or kill parts of the fleet.
enum Testbed {
    static var script: String { SourceTree.path("scripts/testbed") }

    @discardableResult
    static func run(_ arguments: String...) async throws -> Shell.Result {
        let result = try await Shell.run([script] + arguments, timeout: .seconds(60))
        guard result.succeeded else {
            throw Failure(description: "scripts/testbed \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        }
        return result
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }
}
