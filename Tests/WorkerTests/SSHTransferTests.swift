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
            let check = try await connection.run("stat -c %a \(ShellQuote.single(remote)); sha256sum < \(ShellQuote.single(remote)); ls \(ShellQuote.single(remoteDirectory))")
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
            _ = try await connection.run("rm -rf \(ShellQuote.single(remoteDirectory))")
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
