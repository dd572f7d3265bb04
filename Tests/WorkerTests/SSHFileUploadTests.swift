import Foundation
import Testing

@testable import Worker

extension SSHTests {
    @Suite("File uploads in two halves over two connections")
    struct FileUploads {
        /// A local file of `size` pseudo-random bytes.
        private func localFile(size: Int, seed: UInt64, in directory: TemporaryDirectory) async throws
            -> (path: String, sha256: String)
        {
            var bytes: [UInt8] = []
            for try await chunk in PseudoRandomChunks(chunks: (size >> 20) + 1, seed: seed) { bytes += chunk }
            bytes.removeLast(bytes.count - size)
            let path = directory.path + "/payload-\(seed).bin"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return (path, sha256Hex(bytes))
        }

        private func remoteDirectory(_ connection: SSHConnection) async throws -> String {
            try await connection.run("mktemp -d").stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        @Test(
            "a file at or above the threshold arrives whole in two halves, with its mode and no partial file",
            arguments: [2 << 20, (3 << 20) + 1, (12 << 20) + 12_345])
        func halves(size: Int) async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect()
            let local = try TemporaryDirectory()
            let (path, digest) = try await localFile(size: size, seed: UInt64(size), in: local)
            let directory = try await remoteDirectory(connection)
            let remote = directory + "/payload.bin"

            let summary = try await connection.upload(
                contentsOf: path, to: remote, mode: 0o640, parallelThreshold: 1 << 20)
            #expect(summary.bytes == size)
            #expect(summary.sha256 == digest)
            let halves = UploadHalves(size: size, temporary: remote)
            #expect(halves.boundary % (1 << 20) == 0 && halves.boundary > 0 && halves.boundary < size)
            let (quotedRemote, quotedDirectory) = (POSIXShell.singleQuoted(remote), POSIXShell.singleQuoted(directory))
            let check = try await connection.run(
                "stat -c %a \(quotedRemote); sha256sum < \(quotedRemote); ls -A \(quotedDirectory)")
            let lines = check.stdoutText.split(separator: "\n")
            #expect(lines.first == "640")
            #expect(lines.dropFirst().first?.hasPrefix(digest) == true)
            #expect(lines.count == 3, "only the destination, no partial file: \(lines)")
            _ = try await connection.run("rm -rf \(POSIXShell.singleQuoted(directory))")
            await connection.close()
        }

        @Test(
            "a half damaged on the way is refused: the destination keeps its old content, no partial file",
            arguments: [0, 1])
        func damagedHalf(half: Int) async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect()
            let local = try TemporaryDirectory()
            let size = (6 << 20) + 7
            let (path, _) = try await localFile(size: size, seed: 99, in: local)
            let directory = try await remoteDirectory(connection)
            let remote = directory + "/payload.bin"
            _ = try await connection.run("echo old > \(POSIXShell.singleQuoted(remote))")

            let error = await #expect(throws: SSHError.self) {
                try await connection.uploadInHalves(
                    path, identity: try LocalFileIdentity(path: path, host: "test"), to: remote, mode: 0o644,
                    tamper: (half, { chunk in chunk[chunk.count / 2] ^= 0x01 }))
            }
            #expect(error?.kind == .transferMismatch)
            #expect(error?.description.contains("half \(half + 1) of 2") == true, "\(String(describing: error))")
            let left = try await connection.run(
                "cat \(POSIXShell.singleQuoted(remote)); ls -A \(POSIXShell.singleQuoted(directory))")
            #expect(left.stdoutText == "old\npayload.bin\n")
            _ = try await connection.run("rm -rf \(POSIXShell.singleQuoted(directory))")
            await connection.close()
        }

        @Test("a local file that changes during the upload is refused: nothing is written on the host")
        func changedDuringUpload() async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect()
            let local = try TemporaryDirectory()
            let (path, _) = try await localFile(size: (4 << 20) + 3, seed: 11, in: local)
            let directory = try await remoteDirectory(connection)
            let remote = directory + "/payload.bin"
            let identity = try LocalFileIdentity(path: path, host: "test")

            // The bytes sent stay intact; only the file's modification time moves, as a writer's would.
            let error = await #expect(throws: SSHError.self) {
                try await connection.uploadInHalves(
                    path, identity: identity, to: remote, mode: 0o644,
                    tamper: (1, { _ in
                        var times = [timespec(tv_sec: 1, tv_nsec: 0), timespec(tv_sec: 1, tv_nsec: 0)]
                        _ = utimensat(AT_FDCWD, path, &times, 0)
                    }))
            }
            #expect(error?.kind == .transferFailed)
            #expect(error?.description.contains("changed while it was uploaded") == true, "\(String(describing: error))")
            let left = try await connection.run("ls -A \(POSIXShell.singleQuoted(directory))").stdoutText
            #expect(left.isEmpty, "left behind: \(left)")
            _ = try await connection.run("rm -rf \(POSIXShell.singleQuoted(directory))")
            await connection.close()
        }

        @Test("cancelling a two-half upload leaves no file and no process on the host")
        func cancel() async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect()
            let local = try TemporaryDirectory()
            let path = local.path + "/sparse.bin"
            // 4 GiB of zeros that take no disk: far more than can arrive before the cancellation.
            let fd = open(path, O_WRONLY | O_CREAT, 0o600)
            #expect(ftruncate(fd, 4 << 30) == 0)
            close(fd)
            let directory = try await remoteDirectory(connection)
            let quotedDirectory = POSIXShell.singleQuoted(directory)
            let task = Task { try await connection.upload(contentsOf: path, to: directory + "/big") }
            var sessions = 0
            for _ in 0..<100 {  // wait until both halves are being written
                sessions = try await fleet.remoteProcesses(matching: "dd of=\(directory)/").count
                let size = try await connection.run("du -k \(quotedDirectory)/* 2>/dev/null | cut -f1").stdoutText
                if sessions == 2, Int(size.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 > 4096 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(sessions == 2, "both halves were being received")
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(try await fleet.remoteProcesses(matching: "dd of=\(directory)/").isEmpty)
            let left = try await connection.run("ls -A \(quotedDirectory)").stdoutText
            #expect(left.isEmpty, "left behind: \(left)")
            _ = try await connection.run("rm -rf \(quotedDirectory)")
            await connection.close()
        }

        @Test(
            "FileChunks reads exactly the requested range",
            arguments: [0..<0, 0..<5, 3..<((2 << 20) + 9), (1 << 20)..<((2 << 20) + 10)])
        func ranges(range: Range<Int>) async throws {
            let local = try TemporaryDirectory()
            let size = (2 << 20) + 10
            let (path, _) = try await localFile(size: size, seed: 5, in: local)
            let all = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            var read: [UInt8] = []
            for try await chunk in FileChunks(path: path, range: range) {
                #expect(!chunk.isEmpty && chunk.count <= 1 << 20)
                read += chunk
            }
            #expect(read == Array(all[range]))
        }
    }
}
