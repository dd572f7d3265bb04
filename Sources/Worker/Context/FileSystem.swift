import Shared
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
        "cannot \(operation) \(MessageText.quoted(path, limit: 300)): \(reason)"
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

/// Thin, blocking wrappers over the POSIX calls the context walk and the tar writer need.
enum FileSystem {
    /// The `lstat` of `path`.
    static func status(_ path: String) throws -> stat {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw ContextReadError(path: path, operation: "read the attributes of", errno: errno)
        }
        return info
    }

    /// The canonical absolute path of `path` with every symbolic link resolved; nil when it does not resolve.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
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

/// An open directory: its entries are listed, examined and opened relative to its descriptor
/// (`fstatat`, `openat`, `readlinkat`), which spares the kernel a full path lookup per file.
struct DirectoryHandle {
    let descriptor: Int32
    /// The directory's path, for messages.
    let path: String

    /// Opens `path` (not following a final symbolic link).
    init(path: String) throws {
        descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        self.path = path
        guard descriptor >= 0 else {
            throw ContextReadError(path: path, operation: "open the directory", errno: errno)
        }
    }

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    func close() {
        #if canImport(Glibc)
            _ = Glibc.close(descriptor)
        #else
            _ = Darwin.close(descriptor)
        #endif
    }

    /// The names in the directory, without `.` and `..`, sorted by their bytes (as Go's `os.ReadDir`).
    /// - Throws: for a name that is not UTF-8 (it could not be matched or archived faithfully).
    func names() throws -> [String] {
        let copy = dup(descriptor)
        guard copy >= 0, let stream = fdopendir(copy) else {
            throw ContextReadError(path: path, operation: "list", errno: errno)
        }
        defer { closedir(stream) }
        var names: [[UInt8]] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> [UInt8] in
                Array(raw.prefix { $0 != 0 })
            }
            if name == [0x2E] || name == [0x2E, 0x2E] {
                continue
            }
            names.append(name)
        }
        names.sort { $0.lexicographicallyPrecedes($1) }
        return try names.map { name in
            guard let text = String(validating: name, as: UTF8.self) else {
                throw ContextReadError(
                    path: path + "/" + String(decoding: name, as: UTF8.self), operation: "send",
                    reason: "the file name is not valid UTF-8; rename it or add it to .dockerignore")
            }
            return text
        }
    }

    /// The `lstat` of an entry.
    func status(_ name: String) throws -> stat {
        var info = stat()
        guard fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw ContextReadError(path: path + "/" + name, operation: "read the attributes of", errno: errno)
        }
        return info
    }

    /// Opens a subdirectory.
    func directory(_ name: String) throws -> DirectoryHandle {
        let child = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard child >= 0 else {
            throw ContextReadError(path: path + "/" + name, operation: "open the directory", errno: errno)
        }
        return DirectoryHandle(descriptor: child, path: path + "/" + name)
    }

    /// The target of a symbolic link.
    func linkTarget(_ name: String) throws -> String {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlinkat(descriptor, name, &buffer, buffer.count)
        guard count >= 0 else {
            throw ContextReadError(path: path + "/" + name, operation: "read the link", errno: errno)
        }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}
