#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Identifies a version of a file, so that what was read from it can be reused until it changes.
struct FileStamp: Sendable, Equatable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    /// Modification and status change times, in seconds and nanoseconds.
    var times: [Int]

    /// The file's stamp, or `nil` when it cannot be looked at (missing).
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        #if os(Linux)
        let (modified, changed) = (info.st_mtim, info.st_ctim)
        #else
        let (modified, changed) = (info.st_mtimespec, info.st_ctimespec)
        #endif
        times = [Int(modified.tv_sec), Int(modified.tv_nsec), Int(changed.tv_sec), Int(changed.tv_nsec)]
    }
}

/// What was read from files, kept per key while those files stay unchanged (their ``FileStamp``s), so that the
/// sessions of a run read an identity or known_hosts file once instead of once per connection.
final class StampedFileCache<Value: Sendable>: Sendable {
    private let entries = Locked<[String: (stamps: [FileStamp?], value: Value)]>([:])

    /// The value kept for `key` when `paths` carry the stamps it was read with; otherwise `read()`'s, which is
    /// kept. Callers asking meanwhile wait for it instead of reading too (they are on threads of their own).
    /// `nil`, and nothing kept, when the first path is missing or `read` fails.
    func value(for key: String, stampsOf paths: [String], read: () -> Value?) -> Value? {
        entries.withLock { entries in
            let stamps = paths.map(FileStamp.init(path:))
            guard stamps.first.flatMap({ $0 }) != nil else {
                entries[key] = nil
                return nil
            }
            if let known = entries[key], known.stamps == stamps { return known.value }
            let value = read()
            entries[key] = value.map { (stamps, $0) }
            return value
        }
    }
}
