import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A local file as an async sequence of 1 MiB chunks, read with plain `read(2)` calls (Foundation's
/// `FileHandle` reads in page-sized pieces, which costs ten times the system calls).
public struct FileChunks: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    /// The file to read.
    public let path: String
    /// Bytes per chunk.
    public let chunkSize: Int

    /// Reads `path` in chunks of `chunkSize` bytes.
    public init(path: String, chunkSize: Int = 1 << 20) {
        self.path = path
        self.chunkSize = chunkSize
    }

    /// Iterates the file; the descriptor is closed at the end or when the iterator is dropped.
    public final class AsyncIterator: AsyncIteratorProtocol {
        private var fd: Int32
        private let path: String
        private let chunkSize: Int

        init(path: String, chunkSize: Int) {
            self.path = path
            self.chunkSize = chunkSize
            fd = open(path, O_RDONLY | O_CLOEXEC)
        }

        public func next() async throws -> [UInt8]? {
            guard fd >= 0 else {
                if fd == -1 { throw SSHError(.transferFailed, host: "", "cannot read \(path): \(String(cString: strerror(errno)))") }
                return nil
            }
            var failure: Int32 = 0
            let chunk = [UInt8](unsafeUninitializedCapacity: chunkSize) { buffer, count in
                while count < chunkSize {
                    let got = read(fd, buffer.baseAddress! + count, chunkSize - count)
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
            if chunk.count < chunkSize { finish() }
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
        AsyncIterator(path: path, chunkSize: chunkSize)
    }
}
