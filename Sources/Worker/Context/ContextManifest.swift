import Crypto
import Dispatch
import Foundation

/// The content of a scanned context, file by file: the SHA-256 of every regular file, read once and checked
/// against the status the scan saw (so the digests describe the fingerprinted bytes), and the digest of the
/// whole tree (every entry's path, kind, mode, time, size, content digest and link target).
///
/// A POSIX host keeps contents as store objects named ``objectName(for:)`` (content, mode and time: the
/// hard links of a context share one inode, so an object serves only entries with its mode and time) and
/// assembles a context from them; only the objects it lacks are sent.
public struct ContextManifest: Sendable {
    /// For each entry of ``BuildContext/entries`` (same index): the hex SHA-256 of a regular file, nil otherwise.
    public let fileDigests: [String?]
    /// The hex SHA-256 of the canonical tree: what a host's `contexts/DIGEST` of an assembled context is named.
    public let digest: String
    /// The number of regular files.
    public let fileCount: Int
    /// Their total size.
    public let fileBytes: Int64

    private init(fileDigests: [String?], digest: String, fileCount: Int, fileBytes: Int64) {
        self.fileDigests = fileDigests
        self.digest = digest
        self.fileCount = fileCount
        self.fileBytes = fileBytes
    }

    /// The key under which ``ContextDigestCache`` remembers the tree digest of a context fingerprint (its plain
    /// fingerprint keys the archive digest, which the source fingerprint and Windows hosts use).
    public static func cacheKey(fingerprint: String) -> String {
        "tree-v1:" + fingerprint
    }

    /// The store object holding the content of the regular file `entry` with `digest`:
    /// `DIGEST-MODE-MTIME` (mode in octal), only `[0-9a-f-]`.
    static func objectName(digest: String, entry: ContextEntry) -> String {
        digest + "-" + String(entry.mode, radix: 8).leftPadded(to: 4) + "-"
            + (entry.modificationTime < 0 ? "n" + String(-entry.modificationTime) : String(entry.modificationTime))
    }

    /// Reads and hashes every regular file of `context` on a background queue (never the cooperative pool);
    /// stops within one chunk when the task is cancelled.
    /// - Throws: ``ContextReadError`` when a file cannot be read or differs from what the scan saw.
    public static func make(for context: BuildContext) async throws -> ContextManifest {
        let stop = StopFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global(qos: .userInitiated).async {
                    continuation.resume(with: Result { try compute(context, stop: stop) })
                }
            }
        } onCancel: {
            stop.set()
        }
    }

    private static func compute(_ context: BuildContext, stop: StopFlag) throws -> ContextManifest {
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var digests: [String?] = []
        digests.reserveCapacity(context.entries.count)
        for entry in context.entries {
            guard case .file(let size) = entry.kind else {
                digests.append(nil)
                continue
            }
            if stop.isSet { throw CancellationError() }
            var reader = try FileReader(path: context.root + "/" + entry.path)
            defer { reader.close() }
            try TarProducer.check(reader, against: entry)
            var hasher = SHA256()
            var read: Int64 = 0
            while true {
                if stop.isSet { throw CancellationError() }
                let got = try reader.read(into: buffer)
                if got == 0 { break }
                hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<got]))
                read += Int64(got)
            }
            try TarProducer.check(reader, against: entry)
            guard read == size else {
                throw ContextReadError(path: reader.path, operation: "read",
                    reason: "it has \(read) bytes, not the \(size) the scan saw; retry the build")
            }
            digests.append(hex(hasher.finalize()))
        }
        return ContextManifest(context, fileDigests: digests)
    }

    /// The manifest of `context` from its files' digests (same index as its entries; nil for directories and
    /// links), read and checked against the scan by the caller: ``make(for:)``, or an archive that recorded them
    /// (``BuildContext/archive(chunkSize:recordingFileDigests:)``).
    init(_ context: BuildContext, fileDigests digests: [String?]) {
        precondition(digests.count == context.entries.count)
        var tree = SHA256()
        tree.update(data: Array("coordinator-tree-v1\n".utf8))
        var count = 0
        var bytes: Int64 = 0
        for (entry, digest) in zip(context.entries, digests) {
            let line: String
            switch entry.kind {
            case .directory:
                line = "d"
            case .symlink(let target):
                line = "l " + target
            case .file(let size):
                count += 1
                bytes += size
                line = "f \(size) " + (digest ?? "")
            }
            let record = "\(line)\n\(String(entry.mode, radix: 8)) \(entry.modificationTime)\n\(entry.path)\u{0}"
            tree.update(data: Array(record.utf8))
        }
        self.init(fileDigests: digests, digest: Self.hex(tree.finalize()), fileCount: count, fileBytes: bytes)
    }

    /// The hex SHA-256 of an empty file.
    static let emptyFileDigest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }
}

/// The manifests computed in this process, by context fingerprint: the hosts and failovers of one run read and
/// hash a context once, and every later read for shipping is checked against these digests.
public actor ContextManifests {
    /// The process's manifests.
    public static let shared = ContextManifests()
    private var manifests: [String: ContextManifest] = [:]

    /// An empty memory (the process's is ``shared``).
    public init() {}

    /// The manifest of `context`, computed on first use; `read` tells whether this call read the files (then
    /// they were just checked against the scan, file by file).
    public func manifest(for context: BuildContext) async throws -> (manifest: ContextManifest, read: Bool) {
        if let known = manifests[context.fingerprint] {
            return (known, false)
        }
        let made = try await ContextManifest.make(for: context)
        if let known = manifests[context.fingerprint] {
            return (known, false)
        }
        manifests[context.fingerprint] = made
        return (made, true)
    }

    /// The manifest of `context` when one was made or remembered already; nil otherwise (no file is read).
    public func known(for context: BuildContext) -> ContextManifest? {
        manifests[context.fingerprint]
    }

    /// Remembers the manifest of `context`, made from files read moments ago for another purpose (its archive
    /// digest): every send checks each file against its scanned status, and the host each new content against
    /// this manifest's digest.
    public func remember(_ manifest: ContextManifest, for context: BuildContext) {
        manifests[context.fingerprint] = manifest
    }
}

/// A flag set from a cancellation handler and read by blocking work.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool {
        lock.withLock { value }
    }

    func set() {
        lock.withLock { value = true }
    }
}
