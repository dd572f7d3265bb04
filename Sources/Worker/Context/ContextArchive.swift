import Crypto
import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A build context as a tar stream: an `AsyncSequence` of chunks, produced on a dedicated serial queue
/// (file reads never block the cooperative pool) and SHA-256-hashed as they are produced.
///
/// The archive is deterministic: entries in ``BuildContext/entries`` order, owner 0:0 without names,
/// permission bits and modification seconds kept. Iterate it once at a time; ``summary`` holds the byte
/// count and, at the end, the digest of that iteration.
public struct ContextArchive: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    /// The context being archived.
    public let context: BuildContext
    /// The size of each chunk (the last one may be shorter).
    public let chunkSize: Int
    /// The bytes produced so far and the digest once the stream ended.
    public let summary = ArchiveSummary()
    /// Whether each regular file's own SHA-256 is computed too (``ArchiveSummary/fileDigests``).
    public let recordsFileDigests: Bool

    init(context: BuildContext, chunkSize: Int, recordsFileDigests: Bool = false) {
        self.context = context
        self.chunkSize = Swift.max(chunkSize, TarHeader.blockSize * 4)
        self.recordsFileDigests = recordsFileDigests
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(producer: TarProducer(
            root: context.root, items: context.entries.map { TarItem(entry: $0, source: $0) }, chunkSize: chunkSize,
            summary: summary, recordsFileDigests: recordsFileDigests))
    }

    /// Produces the chunks.
    public struct Iterator: AsyncIteratorProtocol {
        let producer: TarProducer

        public mutating func next() async throws -> [UInt8]? {
            try Task.checkCancellation()
            return try await producer.next()
        }
    }

    /// Writes the whole archive to a local file and returns its digest (for tests and tools).
    public func write(to path: String) async throws -> String {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw ContextReadError(path: path, operation: "create", reason: "cannot create the file")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        for try await chunk in self {
            try handle.write(contentsOf: chunk)
        }
        guard let digest = summary.digest else {
            throw ContextReadError(path: path, operation: "finish", reason: "the archive ended without a digest")
        }
        return digest
    }
}

/// What an archive stream produced: bytes so far and, once it ended, the SHA-256 of the whole stream.
public final class ArchiveSummary: @unchecked Sendable {
    private let lock = NSLock()
    private var producedBytes: Int64 = 0
    private var compressedBytes: Int64?
    private var finalDigest: String?
    private var finalFileDigests: [String?]?

    /// Bytes produced so far (of the tar stream itself).
    public var bytes: Int64 {
        lock.withLock { producedBytes }
    }

    /// Bytes handed on so far: ``bytes``, or what they were compressed to for a compressed stream.
    public var sentBytes: Int64 {
        lock.withLock { compressedBytes ?? producedBytes }
    }

    /// The hex SHA-256 of the stream, available once the stream ended.
    public var digest: String? {
        lock.withLock { finalDigest }
    }

    /// Once the stream ended, for an archive that records them: per item, the hex SHA-256 of a regular file's
    /// content (read once, for the stream and this digest alike), nil for other items.
    public var fileDigests: [String?]? {
        lock.withLock { finalFileDigests }
    }

    func reset() {
        lock.withLock {
            producedBytes = 0
            compressedBytes = nil
            finalDigest = nil
            finalFileDigests = nil
        }
    }

    func add(_ count: Int) {
        lock.withLock { producedBytes += Int64(count) }
    }

    func addCompressed(_ count: Int) {
        lock.withLock { compressedBytes = (compressedBytes ?? 0) + Int64(count) }
    }

    func finish(_ digest: String?, fileDigests: [String?]?) {
        lock.withLock {
            finalDigest = digest
            finalFileDigests = fileDigests
        }
    }
}

/// One entry of a tar stream: its header and where its content comes from.
struct TarItem: Sendable {
    /// The header's path, kind, mode and time.
    var entry: ContextEntry
    /// Written as a hard link to this member instead (no content).
    var hardLink: String? = nil
    /// The context file whose bytes follow (a regular file), checked against its scanned status.
    var source: ContextEntry? = nil
}

/// The archive's state machine; every method runs on its own serial queue, which is what makes the
/// unchecked `Sendable` sound. Chunks are assembled in one reusable buffer with `memcpy` and direct
/// `read(2)` calls, so the cost per byte does not depend on the optimisation level.
public final class TarProducer: @unchecked Sendable {
    private let root: String
    private let items: [TarItem]
    private let chunkSize: Int
    private let summary: ArchiveSummary
    /// Serial, on the global (not overcommitting) queue: the archives of many concurrent uploads share a
    /// thread per core instead of taking a new thread each (24 hosts once meant 24 more threads).
    private let queue = DispatchQueue(
        label: "coordinator.context-archive", qos: .userInitiated, target: .global(qos: .userInitiated))
    /// Room for a full chunk plus the largest header and padding that can follow it.
    private let buffer: UnsafeMutableRawBufferPointer
    private var filled = 0
    /// The whole stream's SHA-256 (the archive digest), when the stream needs one.
    private var hasher: SHA256?
    private var nextEntry = 0
    private var reader: FileReader?
    private var currentItem: TarItem?
    private var fileHasher: SHA256?
    /// Per item, the content digest of each regular file, when recorded.
    private var fileDigests: [String?]?
    private var remaining: Int64 = 0
    private var pendingPadding = 0
    private var wroteEnd = false
    private var finished = false
    /// Whether the stream is gzip-compressed, and its compressor once made.
    private let compressed: Bool
    private var gzip: GzipChunks?

    init(
        root: String, items: [TarItem], chunkSize: Int, summary: ArchiveSummary, recordsFileDigests: Bool = false,
        compressed: Bool = false, hashesStream: Bool = true
    ) {
        hasher = hashesStream ? SHA256() : nil
        self.root = root
        self.items = items
        self.chunkSize = chunkSize
        self.summary = summary
        self.compressed = compressed
        fileDigests = recordsFileDigests ? [String?](repeating: nil, count: items.count) : nil
        buffer = .allocate(byteCount: chunkSize + 64 * 1024, alignment: 16)
        summary.reset()
    }

    deinit {
        reader?.close()
        buffer.deallocate()
    }

    func next() async throws -> [UInt8]? {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.produce() })
            }
        }
    }

    private func produce() throws -> [UInt8]? {
        guard !finished else { return nil }
        if compressed && gzip == nil {
            gzip = try GzipChunks()
        }
        filled = 0
        do {
            while filled < chunkSize {
                if reader != nil {
                    try readFile()
                } else if nextEntry < items.count {
                    try startItem(items[nextEntry])
                    nextEntry += 1
                } else if !wroteEnd {
                    appendZeros(TarHeader.end.count)
                    wroteEnd = true
                } else {
                    break
                }
            }
        } catch {
            finished = true
            reader?.close()
            reader = nil
            throw error
        }
        if filled == 0 {
            finished = true
            summary.finish(hasher?.finalize().map { String($0, radix: 16).leftPadded(to: 2) }.joined(),
                fileDigests: fileDigests)
            guard let gzip else { return nil }
            let tail = try gzip.finish()
            summary.addCompressed(tail.count)
            return tail
        }
        let produced = UnsafeRawBufferPointer(rebasing: buffer[0..<filled])
        hasher?.update(bufferPointer: produced)
        summary.add(filled)
        if let gzip {
            let deflated = try gzip.compress(produced)
            summary.addCompressed(deflated.count)
            return deflated
        }
        return [UInt8](unsafeUninitializedCapacity: filled) { destination, initialized in
            _ = memcpy(destination.baseAddress!, produced.baseAddress!, filled)
            initialized = filled
        }
    }

    private func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { source in
            _ = memcpy(buffer.baseAddress! + filled, source.baseAddress!, source.count)
        }
        filled += bytes.count
    }

    private func appendZeros(_ count: Int) {
        _ = memset(buffer.baseAddress! + filled, 0, count)
        filled += count
    }

    private func startItem(_ item: TarItem) throws {
        append(TarHeader.blocks(for: item.entry, hardLink: item.hardLink))
        guard item.hardLink == nil, let source = item.source, case .file(let size) = source.kind else { return }
        if size == 0 {
            fileDigests?[nextEntry] = ContextManifest.emptyFileDigest
        } else {
            let file = try FileReader(path: root + "/" + source.path)
            reader = file
            currentItem = item
            fileHasher = fileDigests == nil ? nil : SHA256()
            try Self.check(file, against: source)
            remaining = size
            pendingPadding = TarHeader.padding(for: size)
        }
    }

    /// Refuses a file whose status differs from the scan's (checked when it is opened and once it has been read):
    /// what is sent must be what the fingerprint, and so the image's label, describes.
    static func check(_ file: FileReader, against entry: ContextEntry) throws {
        guard entry.matches(try file.status()) else {
            throw ContextReadError(path: file.path, operation: "send",
                reason: "the file changed after the context was scanned (its content, time or inode differ from "
                    + "what the build's fingerprint describes); nothing built from it is published under that "
                    + "fingerprint; retry the build")
        }
    }

    private func readFile() throws {
        guard var file = reader else { return }
        let wanted = Int(Swift.min(remaining, Int64(chunkSize - filled)))
        if wanted > 0 {
            let got = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(filled + wanted)]))
            if got == 0 {
                throw ContextReadError(path: file.path, operation: "send",
                    reason: "the file became shorter while the context was being sent; retry the build")
            }
            fileHasher?.update(
                bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[(filled)..<(filled + got)]))
            filled += got
            remaining -= Int64(got)
        }
        if remaining == 0 {
            var probe: UInt8 = 0
            if try withUnsafeMutableBytes(of: &probe, { try file.read(into: $0) }) != 0 {
                throw ContextReadError(path: file.path, operation: "send",
                    reason: "the file grew while the context was being sent; retry the build")
            }
            if let source = currentItem?.source {
                try Self.check(file, against: source)
            }
            if let hasher = fileHasher {
                fileDigests?[nextEntry - 1] = ContextManifest.hex(hasher.finalize())
            }
            file.close()
            reader = nil
            currentItem = nil
            fileHasher = nil
            appendZeros(pendingPadding)
        }
    }
}

/// A tar stream of arbitrary items (store objects, hard links into the store), produced like ``ContextArchive``.
struct TarStream: AsyncSequence, Sendable {
    typealias Element = [UInt8]

    let root: String
    let items: [TarItem]
    let chunkSize: Int
    /// Whether the stream is gzip-compressed (one gzip member).
    let compressed: Bool
    /// The bytes produced so far (``ArchiveSummary/sentBytes``: after compression). No digest: the host checks
    /// each new content against its object's name, and the context is named by its tree digest, so a hash of the
    /// whole stream would only cost CPU (a 64 MiB cold send's worth of SHA-256).
    let summary = ArchiveSummary()

    init(root: String, items: [TarItem], chunkSize: Int = 1 << 20, compressed: Bool = false) {
        self.root = root
        self.items = items
        self.chunkSize = Swift.max(chunkSize, TarHeader.blockSize * 4)
        self.compressed = compressed
    }

    func makeAsyncIterator() -> ContextArchive.Iterator {
        ContextArchive.Iterator(producer: TarProducer(
            root: root, items: items, chunkSize: chunkSize, summary: summary,
            compressed: compressed, hashesStream: false))
    }
}
