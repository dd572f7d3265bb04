import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Uploading a local file, in two halves over two connections when it is large.
///
/// libssh2 1.10 encrypts each packet one 16-byte AES block per `EVP_Cipher` call, so one session
/// is bound by one core's encryption: about 1.3 s of client CPU per 256 MiB against OpenSSH's
/// 0.7 s (0.9 s with the CAESCTR keystream). A large file therefore travels as two halves at once, the first over this connection
/// and the second over a second connection to the same target (same host key checks, same
/// credentials), each encrypted on its own session thread. On the host each half is written into
/// the same temporary file at its offset (`dd seek= conv=notrunc`) while its stream is hashed;
/// each half's SHA-256 must equal what was sent, `tee` must have handed every byte to `dd`, the
/// file's size must equal the local file's, and the local file must not have changed during the
/// upload. Only then is the file renamed over the destination.
extension SSHConnection {
    /// Files of at least this many bytes go in two halves over two connections.
    public static let parallelUploadThreshold = 64 << 20

    /// Uploads the local file at `localPath` to `remotePath` (its directory must exist) with
    /// permissions `mode`. Files of `parallelThreshold` bytes or more travel in two halves at once,
    /// over this connection and a second one opened for the upload and closed after it.
    /// Throws ``SSHError`` with kind `.transferMismatch` when the host received something else.
    public func upload(
        contentsOf localPath: String, to remotePath: String, mode: Int32 = 0o644,
        parallelThreshold: Int = parallelUploadThreshold
    ) async throws -> TransferSummary {
        // Not a regular file (a pipe, a device) or unreadable: one stream, which reports the error.
        guard let identity = try? LocalFileIdentity(path: localPath, host: target.name),
            identity.size >= max(parallelThreshold, 2 << 20)
        else {
            return try await upload(FileChunks(path: localPath), to: remotePath, mode: mode)
        }
        return try await uploadInHalves(localPath, identity: identity, to: remotePath, mode: mode)
    }

    /// The two-connection upload; `tamper` (tests only) changes the bytes of one half after they
    /// were hashed, as damage on the way would.
    func uploadInHalves(
        _ localPath: String, identity: LocalFileIdentity, to remotePath: String, mode: Int32,
        tamper: (half: Int, change: @Sendable (inout [UInt8]) -> Void)? = nil
    ) async throws -> TransferSummary {
        try requirePOSIXShell(for: "upload")
        let started = ContinuousClock.now
        let temporary = Self.partialName(for: remotePath)
        let halves = UploadHalves(size: identity.size, temporary: temporary)
        let sent: [Int: StreamedInput]
        let wholeDigest: String
        do {
            (sent, wholeDigest) = try await sendHalves(halves, of: localPath, tamper: tamper)
            for (index, range) in halves.ranges.enumerated() {
                try verify(sent[index]!, half: index, range: range, remotePath: remotePath)
            }
            guard try LocalFileIdentity(path: localPath, host: target.name) == identity else {
                throw SSHError(.transferFailed, host: target.name,
                    "\(localPath) changed while it was uploaded to \(target.name):\(remotePath); nothing was written there, upload it again once it is complete")
            }
        } catch {
            await removeQuietly(temporary)
            throw error
        }
        let finish = try await run(halves.finishCommand(mode: mode, destination: remotePath))
        guard finish.status.succeeded else {
            await removeQuietly(temporary)
            let remoteSize = finish.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
            if Int(remoteSize) != identity.size {
                throw SSHError(.transferMismatch, host: target.name,
                    "upload to \(target.name):\(remotePath) arrived damaged: sent \(identity.size) bytes, the host's file has \(remoteSize.isEmpty ? "?" : remoteSize); nothing was written")
            }
            throw SSHError(.transferFailed, host: target.name,
                "upload to \(target.name):\(remotePath) could not replace the destination: \(Self.trimmed(finish.stderrText))")
        }
        return TransferSummary(bytes: identity.size, sha256: wholeDigest, duration: ContinuousClock.now - started)
    }

    /// Streams both halves at once; returns what each sent and the SHA-256 of the whole file (the
    /// first half's hash state continued over the second half, read again once the first is sent).
    private func sendHalves(
        _ halves: UploadHalves, of localPath: String,
        tamper: (half: Int, change: @Sendable (inout [UInt8]) -> Void)?
    ) async throws -> (sent: [Int: StreamedInput], wholeDigest: String) {
        let companionTarget = {
            var resolved = target
            resolved.sshConfigFile = nil  // already applied to `target`
            return resolved
        }()
        return try await withThrowingTaskGroup(of: (Int, StreamedInput, String?).self) { group in
            group.addTask {
                let first = try await self.stream(
                    FileChunks(path: localPath, range: halves.ranges[0]), into: halves.receiveCommand(half: 0),
                    tamper: tamper?.half == 0 ? tamper?.change : nil)
                var whole = first.hasher
                for try await chunk in FileChunks(path: localPath, range: halves.ranges[1]) {
                    whole.update(data: chunk)
                }
                return (0, first, Self.hex(whole.finalize()))
            }
            group.addTask {
                let companion = try await self.companion(companionTarget)
                do {
                    let second = try await companion.stream(
                        FileChunks(path: localPath, range: halves.ranges[1]), into: halves.receiveCommand(half: 1),
                        tamper: tamper?.half == 1 ? tamper?.change : nil)
                    if companion !== self { await companion.close() }
                    return (1, second, nil)
                } catch {
                    if companion !== self { await companion.close() }
                    throw error
                }
            }
            var sent: [Int: StreamedInput] = [:]
            var wholeDigest = ""
            for try await (index, input, digest) in group {
                sent[index] = input
                if let digest { wholeDigest = digest }
            }
            return (sent, wholeDigest)
        }
    }

    /// A second connection to the same target, or this one when it cannot be opened (the second
    /// half then shares this session: slower, still correct).
    private func companion(_ companionTarget: SSHTarget) async throws -> SSHConnection {
        do {
            return try await SSHConnection.connect(to: companionTarget)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            try Task.checkCancellation()
            return self
        }
    }

    /// Checks what the host reported for one half against what was sent.
    private func verify(_ sent: StreamedInput, half: Int, range: Range<Int>, remotePath: String) throws {
        let result = sent.result
        guard result.status.succeeded else {
            throw SSHError(.transferFailed, host: target.name,
                "upload to \(target.name):\(remotePath) failed writing bytes \(range.lowerBound)..<\(range.upperBound) (\(result.status)): \(Self.trimmed(result.stderrText)); check that the directory exists and is writable and that the host has GNU or BusyBox dd")
        }
        let lines = result.stdoutText.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        let teeStatus = lines.first { $0.hasPrefix("tee ") }
        let remoteDigest = lines.first { !$0.hasPrefix("tee ") }?.split(separator: " ").first.map(String.init)
        let digest = Self.hex(sent.hasher.finalize())
        guard teeStatus == "tee 0" || teeStatus == nil else {
            throw SSHError(.transferFailed, host: target.name,
                "upload to \(target.name):\(remotePath) failed: on the host, `tee` could not hand bytes \(range.lowerBound)..<\(range.upperBound) to `dd` (\(teeStatus!)): \(Self.trimmed(result.stderrText)); the host needs /dev/fd; nothing was written")
        }
        guard sent.count == range.count, teeStatus != nil, remoteDigest == digest else {
            throw SSHError(.transferMismatch, host: target.name,
                "upload to \(target.name):\(remotePath) arrived damaged: half \(half + 1) of 2 (bytes \(range.lowerBound)..<\(range.upperBound)) was sent as \(sent.count) bytes with SHA-256 \(digest), the host hashed \(remoteDigest ?? "?") (\(teeStatus ?? "no tee status")); nothing was written")
        }
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}

/// The byte ranges of a two-half upload and the host commands that receive and join them.
struct UploadHalves: Sendable {
    /// Where the halves meet: a multiple of 1 MiB, so `dd` can seek there in whole blocks.
    let boundary: Int
    let size: Int
    let temporary: String

    init(size: Int, temporary: String) {
        self.size = size
        self.temporary = temporary
        boundary = max(1, (size / 2) >> 20) << 20
    }

    var ranges: [Range<Int>] { [0..<boundary, boundary..<size] }

    /// Writes the stream into the temporary file at the half's offset (`dd` with 1 MiB blocks,
    /// `conv=notrunc` so the halves do not truncate each other) while hashing it. Prints the
    /// digest and `tee STATUS` (whether every byte reached `dd`; POSIX sh has no `pipefail`).
    func receiveCommand(half: Int) -> String {
        let file = POSIXShell.singleQuoted(temporary)
        let seek = half == 0 ? 0 : boundary >> 20
        return """
            umask 077 && \(SSHConnection.remoteSHA256Definition) \
            && { { { tee /dev/fd/3; echo "tee $?" >&4; } | coordinator_sha256 >&4 3>&-; } 3>&1 \
            | dd of=\(file) bs=1048576 seek=\(seek) conv=notrunc status=none; } 4>&1
            """
    }

    /// Prints the file's size; when it is the whole size, sets the mode and renames the file over
    /// the destination.
    func finishCommand(mode: Int32, destination: String) -> String {
        let file = POSIXShell.singleQuoted(temporary)
        return """
            s=$(wc -c < \(file)) && echo "$s" && [ "$s" -eq \(size) ] \
            && chmod \(String(mode, radix: 8)) \(file) && mv -f -- \(file) \(POSIXShell.singleQuoted(destination))
            """
    }
}

/// Size, inode and modification time of a local regular file, to notice that it changed during an
/// upload.
struct LocalFileIdentity: Equatable, Sendable {
    let size: Int
    let inode: UInt64
    let modifiedSeconds: Int
    let modifiedNanoseconds: Int

    init(path: String, host: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw SSHError(.transferFailed, host: host, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SSHError(.transferFailed, host: host, "cannot upload \(path): not a regular file")
        }
        size = Int(info.st_size)
        inode = UInt64(info.st_ino)
        modifiedSeconds = Int(info.st_mtim.tv_sec)
        modifiedNanoseconds = Int(info.st_mtim.tv_nsec)
    }
}
