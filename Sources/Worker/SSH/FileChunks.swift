import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A local file (or a byte range of it) as an async sequence of 1 MiB chunks, read with plain `read(2)`
/// calls (Foundation's `FileHandle` reads in page-sized pieces, which costs ten times the system calls).
public struct FileChunks: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    /// The file to read.
    public let path: String
    /// Bytes per chunk.
    public let chunkSize: Int
    /// The bytes to read; `nil` for the whole file.
    public let range: Range<Int>?

    /// Reads `path` (only `range` of it when given) in chunks of `chunkSize` bytes.
    public init(path: String, chunkSize: Int = 1 << 20, range: Range<Int>? = nil) {
        self.path = path
        self.chunkSize = chunkSize
        self.range = range
    }

    /// Iterates the file; the descriptor is closed at the end or when the iterator is dropped.
    public final class AsyncIterator: AsyncIteratorProtocol {
        private var fd: Int32
        private let path: String
        private let chunkSize: Int
        private var remaining: Int

        init(path: String, chunkSize: Int, range: Range<Int>?) {
            self.path = path
            self.chunkSize = chunkSize
            remaining = range?.count ?? .max
            fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0, let start = range?.lowerBound, start > 0, lseek(fd, off_t(start), SEEK_SET) < 0 {
                closeDescriptor(fd)
                fd = -1
            }
        }

        public func next() async throws -> [UInt8]? {
            guard fd >= 0 else {
                if fd == -1 { throw SSHError(.transferFailed, host: "", "cannot read \(path): \(String(cString: strerror(errno)))") }
                return nil
            }
            var failure: Int32 = 0
            let size = Swift.min(chunkSize, remaining)
            let chunk = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                while count < size {
                    let got = read(fd, buffer.baseAddress! + count, size - count)
                    if got > 0 {
                        count += got
                    } else if got == 0 {
                        break
                    } else if errno != EINTR {
                        failure = errno
                        break
                    }
                }
            }
            if failure != 0 {
                finish()
                throw SSHError(.transferFailed, host: "", "cannot read \(path): \(String(cString: strerror(failure)))")
            }
            remaining -= chunk.count
            if chunk.count < chunkSize || remaining == 0 { finish() }
            return chunk.isEmpty ? nil : chunk
        }

        private func finish() {
            if fd >= 0 { closeDescriptor(fd) }
            fd = -2
        }

        deinit {
            finish()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(path: path, chunkSize: chunkSize, range: range)
    }
}
