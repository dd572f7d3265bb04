import Foundation
import TestSupport
import Worker

// Uploads the same file to a test fleet host through the SSH layer and through OpenSSH, in the
// same run, alternating, several rounds; prints each round and the medians. Every round opens a
// fresh connection on both sides (OpenSSH cannot reuse one), so setup is part of every figure.
//
//   stream        the layer: execute("cat > /dev/null") fed from the file
//   openssh       ssh HOST 'cat > /dev/null' < FILE
//   upload        the layer: upload(contentsOf:to:) into a file, size and SHA-256 verified, renamed;
//                 256 MiB is above the two-half threshold: two connections, each half at its offset
//   upload-single the same on one connection (parallelThreshold: .max): one stream through tee
//   openssh-file  ssh HOST 'cat > F && wc -c < F && openssl dgst -sha256 < F' < FILE (the same
//                 remote work: write, size, the same SHA-256 tool)
//   raw           libssh2 alone, blocking, on its own thread (RawLibSSH2): the ceiling for `stream`
//                 (in this process, so with the CAESCTR keystream the layer installed)
//
// Usage: SSHBench [SIZE_MIB=256] [ROUNDS=5]   (fleet from $COORDINATOR_TESTBED_DIR/env)
// BENCH_ONLY=stream (or openssh, upload, upload-single, openssh-file, raw) runs one measurement, for
// profiling.

/// CPU seconds used so far by this process and its waited-for children (`ssh`).
func cpuSeconds() -> Double {
    var total = 0.0
    for who in [RUSAGE_SELF, RUSAGE_CHILDREN] {
        var usage = rusage()
        getrusage(who.rawValue, &usage)
        total += Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
    return total
}

nonisolated(unsafe) var cpu: [Double] = []
nonisolated(unsafe) var rawMethods = ""

struct Bench {
    let fleet: Fleet
    let sizeMiB: Int
    let rounds: Int
    let file: String

    func target() throws -> SSHTarget {
        SSHTarget(
            name: "bench", address: try fleet.value("TESTBED_HOST_AMD64"),
            port: Int(try fleet.value("TESTBED_SSH_PORT")) ?? 22, user: try fleet.value("TESTBED_SSH_USER"),
            identityFiles: [try fleet.value("TESTBED_SSH_KEY")], useAgent: false,
            knownHostsFiles: [try fleet.value("TESTBED_KNOWN_HOSTS")], sshConfigFile: nil)
    }

    /// Runs `body`; returns MB/s and the client's CPU seconds (this process, or the `ssh` child).
    func timed(_ body: () async throws -> Void) async throws -> Double {
        let cpuBefore = cpuSeconds()
        let start = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        cpu.append(cpuSeconds() - cpuBefore)
        return Double(sizeMiB) * 1_048_576 / seconds / 1e6
    }

    func layerStream() async throws -> Double {
        try await timed {
            let connection = try await SSHConnection.connect(to: try target())
            let process = connection.execute("cat > /dev/null", stdin: FileChunks(path: file))
            let status = try await process.wait()
            await connection.close()
            guard status == .exited(0) else { throw BenchError("stream: remote cat ended with \(status)") }
        }
    }

    func layerUpload(parallelThreshold: Int = SSHConnection.parallelUploadThreshold) async throws -> Double {
        let remote = "/tmp/ssh-bench-\(UInt32.random(in: 0...UInt32.max))"
        let speed = try await timed {
            let connection = try await SSHConnection.connect(to: try target())
            let summary = try await connection.upload(
                contentsOf: file, to: remote, parallelThreshold: parallelThreshold)
            await connection.close()
            guard summary.bytes == sizeMiB << 20 else { throw BenchError("upload moved \(summary.bytes) bytes") }
        }
        let connection = try await SSHConnection.connect(to: try target())
        _ = try await connection.run("rm -f \(remote)")
        await connection.close()
        return speed
    }

    func raw() async throws -> Double {
        let raw = RawLibSSH2(
            address: try fleet.value("TESTBED_HOST_AMD64"), port: Int(try fleet.value("TESTBED_SSH_PORT")) ?? 22,
            user: try fleet.value("TESTBED_SSH_USER"), key: try fleet.value("TESTBED_SSH_KEY"), file: file)
        return try await timed { rawMethods = try await raw.upload() }
    }

    func openSSH(_ remoteCommand: String) async throws -> Double {
        try await timed {
            let ssh = try SpawnedProcess(
                [
                    "/usr/bin/ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                    "-o", "UserKnownHostsFile=\(try fleet.value("TESTBED_KNOWN_HOSTS"))", "-F", "/dev/null",
                    "-i", try fleet.value("TESTBED_SSH_KEY"), "-p", try fleet.value("TESTBED_SSH_PORT"),
                    "\(try fleet.value("TESTBED_SSH_USER"))@\(try fleet.value("TESTBED_HOST_AMD64"))", remoteCommand,
                ], stdin: file, stderr: .inherited)
            // Waited for on a thread of its own, which sees the end when it happens.
            let ending = try await OffPool.run { ssh.waitForExit() }
            guard ending == .exited(0) else { throw BenchError("ssh ended with \(ending)") }
        }
    }

    func run() async throws {
        print("ssh-bench: \(sizeMiB) MiB to \(try fleet.value("TESTBED_HOST_AMD64")):\(try fleet.value("TESTBED_SSH_PORT")), \(rounds) rounds, MB/s (10^6 bytes per second)")
        var results: [String: [Double]] = [:]
        var cpuResults: [String: [Double]] = [:]
        let remoteFile = "/tmp/ssh-bench-openssh-\(UInt32.random(in: 0...UInt32.max))"
        for round in 1...rounds {
            var line: [(String, Double)] = []
            let measurements: [(String, () async throws -> Double)] = [
                ("stream", layerStream),
                ("openssh", { try await openSSH("cat > /dev/null") }),
                ("upload", { try await layerUpload() }),
                ("upload-single", { try await layerUpload(parallelThreshold: .max) }),
                ("openssh-file", { try await openSSH("cat > \(remoteFile) && wc -c < \(remoteFile) && openssl dgst -sha256 -r < \(remoteFile) && rm -f \(remoteFile)") }),
                ("raw", raw),
            ]
            let only = ProcessInfo.processInfo.environment["BENCH_ONLY"]
            // Alternate the order so neither side always runs on a warmer machine.
            for (name, measure) in round % 2 == 1 ? measurements : measurements.reversed() where only == nil || only == name {
                let speed = try await measure()
                results[name, default: []].append(speed)
                cpuResults[name, default: []].append(cpu.removeLast())
                line.append((name, speed))
            }
            print("round \(round): " + line.sorted { $0.0 < $1.0 }.map { "\($0.0) \(Int($0.1))" }.joined(separator: "  "))
        }
        func median(_ name: String, in table: [String: [Double]]? = nil) -> Double {
            let sorted = (table ?? results)[name, default: []].sorted()
            return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
        guard ProcessInfo.processInfo.environment["BENCH_ONLY"] == nil else { return }
        let stream = median("stream"), openssh = median("openssh")
        let upload = median("upload"), opensshFile = median("openssh-file")
        print(String(format: "median: stream %.0f MB/s, openssh %.0f MB/s, ratio %.2f", stream, openssh, stream / openssh))
        let uploadSingle = median("upload-single")
        print(String(format: "median: upload (verified, two halves) %.0f MB/s, openssh-file %.0f MB/s, ratio %.2f; "
                     + "upload/openssh (cat > /dev/null) %.2f", upload, opensshFile, upload / opensshFile, upload / openssh))
        print(String(format: "median: upload-single (verified, one stream) %.0f MB/s: ratio to openssh-file %.2f, "
                     + "upload/upload-single %.2f", uploadSingle, uploadSingle / opensshFile, upload / uploadSingle))
        let raw = median("raw")
        print("median: raw libssh2 (\(rawMethods)) " + String(format: "%.0f MB/s: stream/raw %.2f, raw/openssh %.2f",
                     raw, stream / raw, raw / openssh))
        print(String(format: "median client CPU seconds: stream %.2f, openssh %.2f, upload %.2f, upload-single %.2f, openssh-file %.2f, raw %.2f",
                     median("stream", in: cpuResults), median("openssh", in: cpuResults),
                     median("upload", in: cpuResults), median("upload-single", in: cpuResults),
                     median("openssh-file", in: cpuResults),
                     median("raw", in: cpuResults)))
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

let arguments = CommandLine.arguments.dropFirst().compactMap(Int.init)
let sizeMiB = arguments.first ?? 256
let rounds = arguments.dropFirst().first ?? 5
let file = NSTemporaryDirectory() + "/ssh-bench-\(UInt32.random(in: 0...UInt32.max)).bin"
do {
    let random = FileHandle(forReadingAtPath: "/dev/urandom")!
    _ = FileManager.default.createFile(atPath: file, contents: nil)
    let handle = FileHandle(forWritingAtPath: file)!
    for _ in 0..<sizeMiB { handle.write(try random.read(upToCount: 1 << 20) ?? Data()) }
    try handle.close()
}
do {
    defer { try? FileManager.default.removeItem(atPath: file) }
    try await Bench(fleet: try Fleet.require(), sizeMiB: sizeMiB, rounds: rounds, file: file).run()
} catch {
    FileHandle.standardError.write(Data("ssh-bench: \(error)\n".utf8))
    exit(1)
}
