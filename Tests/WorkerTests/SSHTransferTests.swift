import Foundation
import Testing

@testable import Worker

extension SSHTests {
    @Suite("Transfers")
    struct Transfers {
        @Test("upload then download: sizes and SHA-256 agree at every step")
        func roundTrip() async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect()
            let remoteDirectory = try await connection.run("mktemp -d").stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
            let remote = remoteDirectory + "/payload.bin"
            let input = PseudoRandomChunks(chunks: 16, seed: 42)
            var expected = SHA256Hasher()
            for try await chunk in input { expected.update(chunk) }

            let up = try await connection.upload(input, to: remote, mode: 0o640)
            #expect(up.bytes == 16 << 20)
            #expect(up.sha256 == expected.hex)
            let check = try await connection.run("stat -c %a \(POSIXShell.singleQuoted(remote)); sha256sum < \(POSIXShell.singleQuoted(remote)); ls \(POSIXShell.singleQuoted(remoteDirectory))")
            let lines = check.stdoutText.split(separator: "\n")
            #expect(lines.first == "640")
            #expect(lines.dropFirst().first?.hasPrefix(expected.hex) == true)
            #expect(lines.count == 3, "only the destination, no partial file: \(lines)")

            let directory = try TemporaryDirectory()
            let local = directory.path + "/payload.bin"
            let down = try await connection.download(remote, to: local)
            #expect(down.bytes == 16 << 20)
            #expect(down.sha256 == expected.hex)
            let data = try Data(contentsOf: URL(fileURLWithPath: local))
            #expect(sha256Hex([UInt8](data)) == expected.hex)
            _ = try await connection.run("rm -rf \(POSIXShell.singleQuoted(remoteDirectory))")
            await connection.close()
        }

        @Test("cancelling an upload stops it and leaves neither the file nor a partial one")
        func cancelUpload() async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect()
            let remoteDirectory = try await connection.run("mktemp -d").stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
            let task = Task {
                try await connection.upload(PseudoRandomChunks(chunks: 100_000, seed: 7), to: remoteDirectory + "/big")
            }
            for _ in 0..<100 {  // wait until the partial file is growing
                let size = try await connection.run("cat \(POSIXShell.singleQuoted(remoteDirectory))/* 2>/dev/null | wc -c").stdoutText
                if Int(size.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 > 1 << 20 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            let left = try await connection.run("ls -A \(POSIXShell.singleQuoted(remoteDirectory))").stdoutText
            #expect(left.isEmpty, "left behind: \(left)")
            _ = try await connection.run("rm -rf \(POSIXShell.singleQuoted(remoteDirectory))")
            await connection.close()
        }

        @Test("an upload into a missing directory fails and says why")
        func uploadFailure() async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect()
            let error = await #expect(throws: SSHError.self) {
                try await connection.upload(PseudoRandomChunks(chunks: 1, seed: 1), to: "/nonexistent-dir/x/file")
            }
            #expect(error?.kind == .transferFailed)
            #expect(error?.description.contains("/nonexistent-dir/x/file") == true)
            await connection.close()
        }

        @Test("downloading a missing file fails and leaves no local file")
        func downloadFailure() async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect()
            let directory = try TemporaryDirectory()
            let error = await #expect(throws: SSHError.self) {
                try await connection.download("/nonexistent-file-coordinator", to: directory.path + "/out")
            }
            #expect(error?.kind == .transferFailed)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
            await connection.close()
        }
    }
}
