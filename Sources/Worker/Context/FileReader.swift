#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A blocking reader of one local file, opened without following a final symbolic link.
struct FileReader {
    private var descriptor: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ContextReadError(path: path, operation: "open", errno: errno)
        }
    }

    /// Up to `count` bytes; empty at the end of the file.
    func read(upTo count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let got = try buffer.withUnsafeMutableBytes { try read(into: $0) }
        buffer.removeLast(count - got)
        return buffer
    }

    /// Reads into `buffer`; returns how many bytes were read (0 at the end of the file).
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            #if canImport(Glibc)
                let got = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            #else
                let got = Darwin.read(descriptor, buffer.baseAddress, buffer.count)
            #endif
            if got >= 0 {
                return got
            }
            if errno != EINTR {
                throw ContextReadError(path: path, operation: "read", errno: errno)
            }
        }
    }

    /// The open file's status (`fstat`).
    func status() throws -> stat {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw ContextReadError(path: path, operation: "stat", errno: errno)
        }
        return info
    }

    mutating func close() {
        if descriptor >= 0 {
            #if canImport(Glibc)
                _ = Glibc.close(descriptor)
            #else
                _ = Darwin.close(descriptor)
            #endif
            descriptor = -1
        }
    }
}
