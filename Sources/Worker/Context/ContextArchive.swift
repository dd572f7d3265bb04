import Crypto
import Dispatch
import Foundation

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

    init(context: BuildContext, chunkSize: Int) {
        self.context = context
        self.chunkSize = Swift.max(chunkSize, TarHeader.blockSize * 4)
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(producer: TarProducer(context: context, chunkSize: chunkSize, summary: summary))
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
    private var finalDigest: String?

    /// Bytes produced so far.
    public var bytes: Int64 {
        lock.withLock { producedBytes }
    }

    /// The hex SHA-256 of the stream, available once the stream ended.
    public var digest: String? {
        lock.withLock { finalDigest }
    }

    func reset() {
        lock.withLock {
            producedBytes = 0
            finalDigest = nil
        }
    }

    func add(_ count: Int) {
        lock.withLock { producedBytes += Int64(count) }
    }

    func finish(_ digest: String) {
        lock.withLock { finalDigest = digest }
    }
}

/// The archive's state machine; every method runs on its own serial queue, which is what makes the
/// unchecked `Sendable` sound.
public final class TarProducer: @unchecked Sendable {
    private let context: BuildContext
    private let chunkSize: Int
    private let summary: ArchiveSummary
    private let queue = DispatchQueue(label: "coordinator.context-archive", qos: .userInitiated)
    private var hasher = SHA256()
    private var nextEntry = 0
    private var reader: FileReader?
    private var remaining: Int64 = 0
    private var pendingPadding = 0
    private var wroteEnd = false
    private var finished = false

    init(context: BuildContext, chunkSize: Int, summary: ArchiveSummary) {
        self.context = context
        self.chunkSize = chunkSize
        self.summary = summary
        summary.reset()
    }

    deinit {
        reader?.close()
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
        var chunk: [UInt8] = []
        chunk.reserveCapacity(chunkSize)
        do {
            while chunk.count < chunkSize {
                if reader != nil {
                    try readFile(into: &chunk)
                } else if nextEntry < context.entries.count {
                    try startEntry(context.entries[nextEntry], into: &chunk)
                    nextEntry += 1
                } else if !wroteEnd {
                    chunk += TarHeader.end
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
        if chunk.isEmpty {
            finished = true
            summary.finish(hasher.finalize().map { String($0, radix: 16).leftPadded(to: 2) }.joined())
            return nil
        }
        hasher.update(data: chunk)
        summary.add(chunk.count)
        return chunk
    }

    private func startEntry(_ entry: ContextEntry, into chunk: inout [UInt8]) throws {
        chunk += TarHeader.blocks(for: entry)
        if case .file(let size) = entry.kind, size > 0 {
            reader = try FileReader(path: context.root + "/" + entry.path)
            remaining = size
            pendingPadding = TarHeader.padding(for: size)
        }
    }

    private func readFile(into chunk: inout [UInt8]) throws {
        guard var file = reader else { return }
        let wanted = Int(min(remaining, Int64(chunkSize - chunk.count)))
        if wanted > 0 {
            let start = chunk.count
            chunk.append(contentsOf: repeatElement(0, count: wanted))
            let got = try chunk.withUnsafeMutableBytes { buffer in
                try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[start..<(start + wanted)]))
            }
            chunk.removeLast(wanted - got)
            if got == 0 {
                throw ContextReadError(path: file.path, operation: "send",
                    reason: "the file became shorter while the context was being sent; retry the build")
            }
            remaining -= Int64(got)
        }
        if remaining == 0 {
            if try !file.read(upTo: 1).isEmpty {
                throw ContextReadError(path: file.path, operation: "send",
                    reason: "the file grew while the context was being sent; retry the build")
            }
            file.close()
            reader = nil
            chunk.append(contentsOf: repeatElement(0, count: pendingPadding))
        }
    }
}
