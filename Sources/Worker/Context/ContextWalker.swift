#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Walks a local build context and keeps what Docker would send, in the order Docker walks it.
///
/// The rules are BuildKit's file walker (tonistiigi/fsutil `filterFS.Walk`) with moby/patternmatcher:
/// - names in each directory are visited in byte order, a directory before its contents;
/// - a path is excluded when the last pattern that matches it (or that its parent directory matched) is not
///   an exception;
/// - an excluded directory is still descended into when an exception could re-include something below it,
///   and it is sent (before that something) only if something below it is sent;
/// - symbolic links are sent as links, never followed; sockets, pipes and devices are not sent;
/// - the paths in `alwaysInclude` (the Dockerfile and the ignore file) are sent even when excluded, so that
///   the builder on the host finds them; it applies the same ignore file again and hides them from `COPY`;
/// - the paths in `leftOut` (what the coordinator writes during the build) and everything below them are
///   never sent, and a directory above them only if something else below it is (`_output` holding nothing but
///   the coordinator's logs is not sent; `_output` that also holds `bin/` is).
struct ContextWalker {
    let root: String
    let ignore: DockerIgnore?
    let alwaysInclude: Set<String>
    let leftOut: Set<String>
    private var leftOutParents: Set<String> = []
    private var forcedDirectories: Set<String> = []
    private var entries: [ContextEntry] = []
    private var pendingDirectories: [ContextEntry] = []

    init(root: String, ignore: DockerIgnore?, alwaysInclude: Set<String>, leftOut: Set<String> = []) {
        self.root = root
        self.leftOut = leftOut
        self.ignore = ignore
        self.alwaysInclude = alwaysInclude
        leftOutParents = Self.parents(of: leftOut)
        forcedDirectories = Self.parents(of: alwaysInclude)
    }

    /// Every directory above the given paths, up to (not including) the context root.
    private static func parents(of paths: Set<String>) -> Set<String> {
        var parents: Set<String> = []
        for path in paths {
            var parent = GoPath.parent(path)
            while parent != "." {
                parents.insert(parent)
                parent = GoPath.parent(parent)
            }
        }
        return parents
    }

    /// The entries Docker would send.
    static func entries(
        root: String, ignore: DockerIgnore?, alwaysInclude: Set<String>, leftOut: Set<String> = []
    ) throws -> [ContextEntry] {
        var walker = ContextWalker(root: root, ignore: ignore, alwaysInclude: alwaysInclude, leftOut: leftOut)
        let state = ignore.map(IgnoreMatchState.root(for:)) ?? IgnoreMatchState(matchedPatterns: [])
        let handle = try DirectoryHandle(path: root)
        defer { handle.close() }
        try walker.visit(handle, directory: "", state: state)
        return walker.entries
    }

    private mutating func visit(_ handle: DirectoryHandle, directory: String, state: IgnoreMatchState) throws {
        for name in try handle.names() {
            let path = directory.isEmpty ? name : directory + "/" + name
            if leftOut.contains(path) { continue }
            let info = try handle.status(name)
            let isDirectory = FileSystem.isDirectory(info)
            var excluded = false
            var childState = state
            if let ignore {
                (excluded, childState) = ignore.matches(path, parent: state)
            }
            guard let entry = try makeEntry(path: path, name: name, in: handle, info: info) else { continue }
            let heldBack = excluded && !alwaysInclude.contains(path)
            if heldBack || (isDirectory && leftOutParents.contains(path) && !forcedDirectories.contains(path)) {
                guard isDirectory else { continue }
                if heldBack, ignore?.canSkipContents(ofExcludedDirectory: path) == true,
                    !forcedDirectories.contains(path)
                {
                    continue
                }
                pendingDirectories.append(entry)
                try visitChild(name, of: handle, path: path, state: childState)
                if pendingDirectories.last?.path == path {
                    pendingDirectories.removeLast()
                }
                continue
            }
            entries.append(contentsOf: pendingDirectories)
            pendingDirectories.removeAll()
            entries.append(entry)
            if isDirectory {
                try visitChild(name, of: handle, path: path, state: childState)
            }
        }
    }

    private mutating func visitChild(
        _ name: String, of handle: DirectoryHandle, path: String, state: IgnoreMatchState
    ) throws {
        let child = try handle.directory(name)
        defer { child.close() }
        try visit(child, directory: path, state: state)
    }

    private func makeEntry(path: String, name: String, in handle: DirectoryHandle, info: stat) throws -> ContextEntry? {
        let kind: ContextEntry.Kind
        if FileSystem.isDirectory(info) {
            kind = .directory
        } else if FileSystem.isRegular(info) {
            kind = .file(size: Int64(info.st_size))
        } else if FileSystem.isSymlink(info) {
            kind = .symlink(target: try handle.linkTarget(name))
        } else {
            return nil
        }
        let (mtime, mtimeNanoseconds, ctime, ctimeNanoseconds) = FileSystem.times(info)
        return ContextEntry(
            path: path, kind: kind, mode: UInt32(info.st_mode) & 0o7777, modificationTime: mtime,
            changeStamp: ContextEntry.ChangeStamp(
                modificationNanoseconds: mtimeNanoseconds, changeTime: ctime, changeNanoseconds: ctimeNanoseconds,
                inode: Int64(bitPattern: UInt64(info.st_ino)), device: Int64(bitPattern: UInt64(info.st_dev))))
    }
}
