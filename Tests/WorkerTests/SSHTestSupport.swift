import Crypto
import Foundation
import Testing
import TestSupport

@testable import Worker

#if canImport(Glibc)
import Glibc
#endif

/// The test fleet's SSH side: one host, its keys, agent and known_hosts.
struct SSHFleet {
    let fleet: Fleet
    let address: String
    let port: Int
    let user: String
    let key: String
    let ecdsaKey: String
    let protectedKey: String
    let passphrase: String
    let rsaKey: String
    let agentSocket: String
    let knownHosts: String

    static func load() throws -> SSHFleet {
        let fleet = try Fleet.require()
        return SSHFleet(
            fleet: fleet,
            address: try fleet.value("TESTBED_HOST_AMD64"),
            port: Int(try fleet.value("TESTBED_SSH_PORT")) ?? 22,
            user: try fleet.value("TESTBED_SSH_USER"),
            key: try fleet.value("TESTBED_SSH_KEY"),
            ecdsaKey: try fleet.value("TESTBED_SSH_KEY_ECDSA"),
            protectedKey: try fleet.value("TESTBED_SSH_KEY_PASSPHRASE_PROTECTED"),
            passphrase: try fleet.value("TESTBED_SSH_KEY_PASSPHRASE"),
            rsaKey: try fleet.value("TESTBED_SSH_KEY_RSA"),
            agentSocket: try fleet.value("TESTBED_SSH_AGENT_SOCK"),
            knownHosts: try fleet.value("TESTBED_KNOWN_HOSTS"))
    }

    /// A strict, key-file target for the fleet host that reads no `~/.ssh` file.
    func target(
        identityFiles: [String]? = nil, useAgent: Bool = false, knownHosts: [String]? = nil,
        policy: HostKeyPolicy = .strict, user: String? = nil, passphrase: String? = nil,
        connectTimeout: Duration = .seconds(20), keepalive: Duration = .seconds(15)
    ) -> SSHTarget {
        SSHTarget(
            name: "amd64-1", address: address, port: port, user: user ?? self.user,
            identityFiles: identityFiles ?? [key], useAgent: useAgent, agentSocket: agentSocket,
            knownHostsFiles: knownHosts ?? [self.knownHosts], hostKeyPolicy: policy, passphrase: passphrase,
            connectTimeout: connectTimeout, keepaliveInterval: keepalive, sshConfigFile: nil)
    }

    func connect(_ target: SSHTarget? = nil) async throws -> SSHConnection {
        try await SSHConnection.connect(to: target ?? self.target())
    }

    /// A target that reaches the fleet host through `relay` at `address` (its known_hosts entry
    /// rewritten for the relay's address and port, in a file under `directory`).
    func target(through relay: TCPRelay, dialing address: String, knownHostsIn directory: TemporaryDirectory) throws
        -> SSHTarget
    {
        let key = try knownHostsLine().split(separator: " ").dropFirst().joined(separator: " ")
        let bare = address.trimmingCharacters(in: ["[", "]"])
        let file = try directory.file("known_hosts", contents: "[\(bare)]:\(relay.port) \(key)\n")
        var target = target(knownHosts: [file])
        target.address = address
        target.port = relay.port
        return target
    }

    /// The fleet host's line in the fleet known_hosts file.
    func knownHostsLine() throws -> String {
        let pattern = port == 22 ? address : "[\(address)]:\(port)"
        let text = try String(contentsOfFile: knownHosts, encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(pattern + " ") }) else {
            throw SSHError(.invalidTarget, host: "amd64-1", "\(knownHosts) has no line for \(pattern)")
        }
        return String(line)
    }
}

extension SSHFleet {
    /// Processes on the host whose command line contains `pattern`, asked over its own connection.
    /// The first character goes in brackets so the probe's own shell (whose command line holds
    /// the regular expression, not the text) never matches.
    func remoteProcesses(matching pattern: String) async throws -> [String] {
        let probe = try await connect()
        let expression = "[\(pattern.prefix(1))]\(pattern.dropFirst())"
        let result = try await probe.run("pgrep -f -- \(POSIXShell.singleQuoted(expression)) || true")
        await probe.close()
        return result.stdoutText.split(separator: "\n").map(String.init)
    }
}

/// A scratch directory removed when the value is dropped.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/ssh-tests-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else { throw POSIXError(.EIO) }
        path = String(cString: created)
    }

    func file(_ name: String, contents: String? = nil) throws -> String {
        let file = path + "/" + name
        if let contents { try contents.write(toFile: file, atomically: true, encoding: .utf8) }
        return file
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Runs a local program and returns its standard output.
@discardableResult
func runLocal(_ executable: String, _ arguments: [String]) async throws -> String {
    try await Shell.run([executable] + arguments).stdout
}

func sha256Hex(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}

/// A deterministic, incompressible byte sequence in 1 MiB chunks.
struct PseudoRandomChunks: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let chunks: Int
    let seed: UInt64

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: Int
        var state: UInt64

        mutating func next() async throws -> [UInt8]? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            chunk.withUnsafeMutableBytes { raw in
                let words = raw.bindMemory(to: UInt64.self)
                for index in words.indices {
                    state ^= state << 13
                    state ^= state >> 7
                    state ^= state << 17
                    words[index] = state
                }
            }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(remaining: chunks, state: seed | 1)
    }
}

/// Descriptors and session threads of this process, to prove nothing leaks.
struct ResourceSnapshot: Equatable {
    /// fd number → what it points at (`socket:[1234]`, `pipe:[99]`, a path).
    var descriptors: [Int: String]
    /// Thread ids of threads named `ssh-session`.
    var sessionThreads: Set<Int>

    static func take() -> ResourceSnapshot {
        var descriptors: [Int: String] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            guard let fd = Int(entry) else { continue }
            descriptors[fd] = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(entry)")) ?? "?"
        }
        var threads = Set<Int>()
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? [] {
            let name = (try? String(contentsOfFile: "/proc/self/task/\(entry)/comm", encoding: .utf8)) ?? ""
            if name.trimmingCharacters(in: .whitespacesAndNewlines) == "ssh-session", let tid = Int(entry) {
                threads.insert(tid)
            }
        }
        return ResourceSnapshot(descriptors: descriptors, sessionThreads: threads)
    }

    /// Entries present now that were not in `before` (the ones something opened meanwhile).
    func added(since before: ResourceSnapshot) -> ResourceSnapshot {
        ResourceSnapshot(
            descriptors: descriptors.filter { before.descriptors[$0.key] != $0.value },
            sessionThreads: sessionThreads.subtracting(before.sessionThreads))
    }

    /// Whether any of `opened` is still open here (same fd pointing at the same object).
    func stillHolds(_ opened: ResourceSnapshot) -> ResourceSnapshot {
        ResourceSnapshot(
            descriptors: opened.descriptors.filter { descriptors[$0.key] == $0.value },
            sessionThreads: opened.sessionThreads.intersection(sessionThreads))
    }

    var isEmpty: Bool { descriptors.isEmpty && sessionThreads.isEmpty }
}

/// Forwards one TCP connection at a time from a local listener to `address:port` (used to reach
/// the fleet's sshd over IPv6 loopback). Each direction is pumped by a thread of its own.
final class TCPRelay: @unchecked Sendable {
    let listener: SilentListener
    var port: Int { listener.port }
    private let paused = Locked(false)

    /// Stops forwarding in both directions (the connection stays open): a host that froze.
    func pause() {
        paused.withLock { $0 = true }
    }

    init(listenOn: String, to address: String, port: Int) throws {
        listener = try SilentListener(address: listenOn)
        let listenFD = listener.fd
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(listenFD, nil, nil)
                guard client >= 0 else { return }
                let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                let rc = withSocketAddress(address, port: port) { Glibc.connect(upstream, $0, $1) }
                guard rc == 0 else {
                    close(client)
                    close(upstream)
                    continue
                }
                self.pump(from: client, to: upstream)
                self.pump(from: upstream, to: client)
            }
        }
    }

    private func pump(from source: Int32, to destination: Int32) {
        let paused = paused
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                while paused.withLock({ $0 }) { usleep(100_000) }
                let count = read(source, &buffer, buffer.count)
                if count <= 0 { break }
                var offset = 0
                while offset < count {
                    let written = buffer[offset..<count].withUnsafeBytes { write(destination, $0.baseAddress, $0.count) }
                    if written <= 0 { break }
                    offset += written
                }
            }
            shutdown(destination, Int32(SHUT_WR))
            shutdown(source, Int32(SHUT_RD))
        }
    }

    deinit {
        shutdown(listener.fd, Int32(SHUT_RDWR))
    }
}

