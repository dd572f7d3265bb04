#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One file, directory or symbolic link of a build context, as found on disk when the context was scanned.
public struct ContextEntry: Sendable, Hashable {
    /// What the entry is.
    public enum Kind: Sendable, Hashable {
        /// A directory.
        case directory
        /// A regular file of `size` bytes.
        case file(size: Int64)
        /// A symbolic link to `target` (not followed, as Docker does not follow them).
        case symlink(target: String)
    }

    /// The path relative to the context root, `/`-separated, no leading or trailing `/`.
    public var path: String
    /// What the entry is.
    public var kind: Kind
    /// Permission bits, including set-user-ID, set-group-ID and sticky (`mode & 0o7777`).
    public var mode: UInt32
    /// Modification time, whole seconds since 1970 (the tar header keeps seconds).
    public var modificationTime: Int64
    /// The stat fields that tell that a file changed although its size and time did not; used by the
    /// fingerprint.
    var changeStamp: ChangeStamp

    /// Nanoseconds of the modification time, the change time (which no one can set), inode and device.
    struct ChangeStamp: Sendable, Hashable {
        var modificationNanoseconds: Int64
        var changeTime: Int64
        var changeNanoseconds: Int64
        var inode: Int64
        var device: Int64
    }

    /// Whether `info` (the file as it is now) still has the size, times, inode and device this entry was
    /// scanned with. Any write, truncation, replacement or `touch` changes the change time, which no one can
    /// set, so an equal status means the content is what the fingerprint described.
    func matches(_ info: stat) -> Bool {
        guard case .file(let size) = kind, Int64(info.st_size) == size else { return false }
        let (mtime, mtimeNanoseconds, ctime, ctimeNanoseconds) = FileSystem.times(info)
        return mtime == modificationTime && mtimeNanoseconds == changeStamp.modificationNanoseconds
            && ctime == changeStamp.changeTime && ctimeNanoseconds == changeStamp.changeNanoseconds
            && Int64(bitPattern: UInt64(info.st_ino)) == changeStamp.inode
            && Int64(bitPattern: UInt64(info.st_dev)) == changeStamp.device
    }
}
