import Foundation
import TestSupport
import Testing

/// 24 platforms on the fleet's 24 scale hosts at once: the coordinator's descriptors and threads stay
/// bounded (sampled from /proc while it runs), the list has all 24 entries, and afterwards no session,
/// process or temporary directory is left on any host.
@Suite("Reliability: 24 hosts at once")
struct ScaleBoundsTests {
    /// Per connected host: the socket, the session thread's wake pipe (2), the build log file; plus a
    /// fixed base for the runtime, the event loop, the registry client and stdio.
    static let descriptorBound = 24 * 4 + 64
    /// One session thread per connected host, plus the cooperative pool, NIO and Foundation threads.
    static let threadBound = 24 + 32

    @Test("24 concurrent hosts: bounded descriptors and threads, a 24-entry list, nothing left behind")
    func twentyFourHosts() async throws {
        let fleet = try Fleet.require()
        let platforms = try fleet.value("TESTBED_SCALE_PLATFORMS")
        #expect(platforms.split(separator: ",").count == 24)
        let project = try BuildCommandTests.Project(fleet: fleet, dockerfile: "FROM scratch\nCOPY id.txt hello.txt /\n")
        defer { project.remove() }
        let image = try BuildCommandTests.image(fleet)
        let sampler = ProcessSampler(commandLineContains: image)
        // The scale inventory with work directories of this test's own: what is left in them is this run's.
        let unique = UUID().uuidString.prefix(8)
        let inventory = try project.inventory(
            try String(contentsOfFile: try fleet.value("TESTBED_INVENTORY_SCALE"), encoding: .utf8)
                .replacingOccurrences(of: "/work\"", with: "/work-bounds-\(unique)\""))
        let dir = try fleet.value("TESTBED_DIR")
        let hosts = (1...24).map { String(format: "scale-%02d", $0) }
        defer { for host in hosts { try? FileManager.default.removeItem(atPath: "\(dir)/hosts/\(host)/work-bounds-\(unique)") } }

        let poller = PollingThread(every: .milliseconds(20)) { sampler.sample() }
        let result = try await project.build(
            ["--inventory", inventory, "--image", image, "--tag", "v1", "--platform", platforms],
            timeout: .seconds(300))
        await poller.stop()
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let peak = sampler.peak
        #expect(peak.samples > 10, "the coordinator was hardly sampled: \(peak)")
        #expect(peak.descriptors <= Self.descriptorBound, "\(peak)")
        #expect(peak.threads <= Self.threadBound, "\(peak)")
        print("reliability: 24 hosts: \(peak) (bounds \(Self.descriptorBound) and \(Self.threadBound))")

        let raw = try await Shell.run(["skopeo", "inspect", "--tls-verify=false", "--raw", "docker://\(image):v1"])
        let list = try JSONSerialization.jsonObject(with: raw.stdoutData) as? [String: Any]
        #expect((list?["manifests"] as? [Any])?.count == 24, "\(raw.stdout)")

        // Within 5 s of the exit, no host keeps one of the coordinator's SSH connections open (the sshd end
        // of each is closed), nothing it ran is still running, and no run directory is left.
        let ports = sampler.sshPorts
        #expect(ports.count >= 24, "the coordinator's SSH connections were not seen: \(ports.count)")
        var left: [String] = []
        let deadline = ContinuousClock.now + .seconds(5)
        repeat {
            left = TCPTable.serverEnds(port: 2222, peerPorts: ports).map { "an sshd still holds \($0)" }
            if try await Shell.run(["pgrep", "-f", image]).succeeded { left.append("a process for \(image)") }
            for host in hosts {
                let runs = (try? FileManager.default.contentsOfDirectory(
                    atPath: "\(dir)/hosts/\(host)/work-bounds-\(unique)/runs")) ?? []
                if !runs.isEmpty { left.append("\(host): runs/\(runs.joined(separator: ","))") }
            }
            if !left.isEmpty { try await Task.sleep(for: .milliseconds(200)) }
        } while !left.isEmpty && ContinuousClock.now < deadline
        #expect(left.isEmpty, "left behind: \(left)")
    }
}

/// Follows the first process whose command line contains a marker, sampling its descriptor and thread
/// counts on each call of ``sample()`` (from a ``PollingThread``).
final class ProcessSampler: Sendable {
    struct Peak: CustomStringConvertible {
        var samples = 0
        var descriptors = 0
        var threads = 0
        var description: String { "peak \(descriptors) descriptors, \(threads) threads over \(samples) samples" }
    }

    private struct State {
        var pid: String?
        var peak = Peak()
        var ports = Set<Int>()
    }

    private let marker: String
    private let state = Locked(State())

    init(commandLineContains marker: String) { self.marker = marker }

    var peak: Peak { state.value.peak }
    /// Local ports of the process's TCP connections to port 2222 (its SSH connections).
    var sshPorts: Set<Int> { state.value.ports }

    func sample() {
        state.withLock { state in
            if state.pid == nil {
                state.pid = ProcFS.processes().first { entry in
                    guard let line = ProcFS.commandLine(of: entry) else { return false }
                    return line.contains(marker) && line.contains(" build ")
                }
            }
            guard let pid = state.pid,
                let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"),
                let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
            else { return }
            state.peak.samples += 1
            state.peak.descriptors = max(state.peak.descriptors, descriptors.count)
            state.peak.threads = max(state.peak.threads, threads.count)
            let sockets = Set(descriptors.compactMap { fd -> Int? in
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                    target.hasPrefix("socket:[") else { return nil }
                return Int(target.dropFirst("socket:[".count).dropLast())
            })
            for entry in TCPTable.entries() where entry.remotePort == 2222 && sockets.contains(entry.inode) {
                state.ports.insert(entry.localPort)
            }
        }
    }
}

/// The machine's IPv4 TCP sockets, from /proc/net/tcp.
enum TCPTable {
    struct Entry {
        var localPort: Int
        var remotePort: Int
        var state: String
        var inode: Int
    }

    static func entries() -> [Entry] {
        let text = String(decoding: ProcFS.read("/proc/net/tcp") ?? Data(), as: UTF8.self)
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 9, let local = fields[1].split(separator: ":").last,
                let remote = fields[2].split(separator: ":").last,
                let localPort = Int(local, radix: 16), let remotePort = Int(remote, radix: 16),
                let inode = Int(fields[9])
            else { return nil }
            return Entry(localPort: localPort, remotePort: remotePort, state: String(fields[3]), inode: inode)
        }
    }

    /// Server-side sockets on `port` whose peer is one of `peerPorts`, other than TIME_WAIT and CLOSE.
    static func serverEnds(port: Int, peerPorts: Set<Int>) -> [String] {
        entries().filter { $0.localPort == port && peerPorts.contains($0.remotePort) && !["06", "07"].contains($0.state) }
            .map { ":\(port) <- :\($0.remotePort) (state \($0.state))" }
    }
}
