import Crypto
import Foundation
import Testing

@testable import Worker

extension SSHTests {
    @Suite("Running commands")
    struct Running {
        @Test("exit codes are results", arguments: [Int32(0), 1, 255])
        func exitCodes(code: Int32) async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect()
            let result = try await connection.run("echo out; echo err >&2; exit \(code)")
            #expect(result.status == .exited(code))
            #expect(result.stdoutText == "out\n")
            #expect(result.stderrText == "err\n")
            await connection.close()
        }

        @Test("a command killed by a signal reports signaled", arguments: ["KILL", "TERM"])
        func signaled(signal: String) async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect()
            let result = try await connection.run("kill -s \(signal) $$")
            #expect(result.status == .signaled(signal))
            await connection.close()
        }

        @Test("8 MiB on stdout and 8 MiB on stderr, interleaved, arrive whole")
        func interleavedStreams() async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect()
            let setup = try await connection.run("""
                d=$(mktemp -d) && head -c 8388608 /dev/urandom > "$d/out" && head -c 8388608 /dev/urandom > "$d/err" \
                && sha256sum < "$d/out" && sha256sum < "$d/err" && echo "$d"
                """)
            let lines = setup.stdoutText.split(separator: "\n").map(String.init)
            try #require(setup.status == .exited(0) && lines.count == 3, "setup failed: \(setup.stderrText)")
            let directory = lines[2]
            let result = try await connection.run("""
                i=0; while [ $i -lt 128 ]; do
                  dd if=\(directory)/out bs=65536 skip=$i count=1 2>/dev/null
                  dd if=\(directory)/err bs=65536 skip=$i count=1 >&2 2>/dev/null
                  i=$((i+1))
                done
                """)
            _ = try await connection.run("rm -rf \(directory)")
            #expect(result.status == .exited(0))
            #expect(result.stdout.count == 8 << 20)
            #expect(result.stderr.count == 8 << 20)
            #expect(sha256Hex(result.stdout) == lines[0].split(separator: " ")[0].description)
            #expect(sha256Hex(result.stderr) == lines[1].split(separator: " ")[0].description)
            await connection.close()
        }

        @Test("256 MiB of binary stdin comes back through cat unchanged")
        func stdinRoundTrip() async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect()
            let input = PseudoRandomChunks(chunks: 256, seed: 0x5EED)
            var expected = SHA256Hasher()
            for try await chunk in input { expected.update(chunk) }

            let process = connection.execute("cat", stdin: input)
            async let errors = SSHConnection.drain(process.stderr)
            var received = SHA256Hasher()
            var count = 0
            for try await chunk in process.stdout {
                received.update(chunk)
                count += chunk.count
            }
            #expect(try await process.wait() == .exited(0))
            #expect(try await errors.isEmpty)
            #expect(count == 256 << 20)
            #expect(received.hex == expected.hex)
            await connection.close()
        }

        @Test("stdin reaches the command and then end-of-file")
        func stdinThenEOF() async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect()
            let result = try await connection.run("wc -c", stdin: Array("hello".utf8))
            #expect(result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "5")
            let noInput = try await connection.run("cat; echo done")
            #expect(noInput.stdoutText == "done\n")
            await connection.close()
        }

        @Test("output streams while the command runs")
        func streaming() async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect()
            let process = connection.execute("echo first; sleep 2; echo second")
            let started = ContinuousClock.now
            var iterator = process.stdout.makeAsyncIterator()
            let first = try await iterator.next()
            #expect(first == Array("first\n".utf8))
            #expect(ContinuousClock.now - started < .milliseconds(1500))
            #expect(try await iterator.next() == Array("second\n".utf8))
            #expect(try await iterator.next() == nil)
            #expect(try await process.wait() == .exited(0))
            await connection.close()
        }

        @Test("several commands at once on one connection")
        func concurrentChannels() async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        let result = try await connection.run("sleep 0.$((\(index) % 3)); echo \(index)")
                        #expect(result.stdoutText == "\(index)\n")
                    }
                }
                try await group.waitForAll()
            }
            await connection.close()
        }

        @Test("a command silent for several keepalive intervals survives")
        func keepaliveDuringSilence() async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect(fleet.target(keepalive: .seconds(2)))
            let result = try await connection.run("sleep 9; echo awake")
            #expect(result.stdoutText == "awake\n")
            await connection.close()
        }

        @Test("a server that stops answering is declared lost after three keepalive intervals")
        func deadPeer() async throws {
            let fleet = try SSHFleet.load()
            let relay = try TCPRelay(listenOn: "127.0.0.1", to: fleet.address, port: fleet.port)
            let directory = try TemporaryDirectory()
            var target = try fleet.target(through: relay, dialing: "127.0.0.1", knownHostsIn: directory)
            target.keepaliveInterval = .seconds(2)
            let connection = try await SSHConnection.connect(to: target)
            let process = connection.execute("sleep 60")
            try await Task.sleep(for: .milliseconds(500))
            relay.pause()
            let started = ContinuousClock.now
            let error = await #expect(throws: SSHError.self) { try await process.wait() }
            let elapsed = ContinuousClock.now - started
            #expect(error?.kind == .connectionLost)
            #expect(elapsed < .seconds(12), "noticed after \(elapsed)")
            #expect(elapsed > .seconds(5), "keepalive replies were not waited for: \(elapsed)")
            await connection.close()
        }

        @Test("the process-group marker is not visible in stderr")
        func markerHidden() async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect()
            let result = try await connection.run("echo visible >&2")
            #expect(result.stderrText == "visible\n")
            await connection.close()
        }
    }
}

/// SHA-256 over chunks, hex at the end.
struct SHA256Hasher {
    private var hasher = Crypto.SHA256()
    mutating func update(_ bytes: [UInt8]) { hasher.update(data: bytes) }
    var hex: String { hasher.finalize().map { String(format: "%02x", $0) }.joined() }
}
