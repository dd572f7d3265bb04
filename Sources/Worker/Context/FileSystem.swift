#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failure reading the local build context, naming the path and the system's reason.
public struct ContextReadError: Error, CustomStringConvertible, Sendable {
    /// The local path that failed.
    public var path: String
    /// What was being done.
    public var operation: String
    /// The system's reason.
    public var reason: String

    public var description: String {
        "cannot \(operation) \(path): \(reason)"
    }

    init(path: String, operation: String, errno code: Int32) {
        self.path = path
        self.operation = operation
        reason = String(cString: strerror(code))
    }

    init(path: String, operation: String, reason: String) {
        self.path = path
        self.operation = operation
        self.reason = reason
    }
}

/// Thin, blocking wrappers over the POSIX calls the context walk and the tar writer need. Names are read
/// as bytes and must be UTF-8.
enum FileSystem {
    /// The `lstat` of `path`.
    static func status(_ path: String) throws -> stat {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw ContextReadError(path: path, operation: "read the attributes of", errno: errno)
        }
        return info
    }

    /// The names in a directory, without `.` and `..`, sorted by their bytes (as Go's `os.ReadDir`).
    static func names(in directory: String) throws -> [String] {
        guard let handle = opendir(directory) else {
            throw ContextReadError(path: directory, operation: "list", errno: errno)
        }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> [UInt8] in
                Array(raw.prefix { $0 != 0 })
            }
            if name == [0x2E] || name == [0x2E, 0x2E] {
                continue
            }
            guard let text = String(validating: name, as: UTF8.self) else {
                throw ContextReadError(
                    path: directory + "/" + String(decoding: name, as: UTF8.self), operation: "send",
                    reason: "the file name is not valid UTF-8; rename it or add it to .dockerignore")
            }
            names.append(text)
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// The target of a symbolic link.
    static func linkTarget(_ path: String) throws -> String {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count)
        guard count >= 0 else {
            throw ContextReadError(path: path, operation: "read the link", errno: errno)
        }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    static func isDirectory(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFDIR }
    static func isRegular(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFREG }
    static func isSymlink(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFLNK }

    /// Modification seconds, modification nanoseconds, change seconds, change nanoseconds.
    static func times(_ info: stat) -> (Int64, Int64, Int64, Int64) {
        #if canImport(Darwin)
            return (Int64(info.st_mtimespec.tv_sec), Int64(info.st_mtimespec.tv_nsec),
                Int64(info.st_ctimespec.tv_sec), Int64(info.st_ctimespec.tv_nsec))
        #else
            return (Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec),
                Int64(info.st_ctim.tv_sec), Int64(info.st_ctim.tv_nsec))
        #endif
    }
}
