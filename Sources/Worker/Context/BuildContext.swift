import Shared
import Crypto

/// A local build context directory, scanned: the entries Docker would send for one Dockerfile, and a
/// fingerprint of their metadata that tells, without reading any file, whether the context changed.
public struct BuildContext: Sendable {
    /// The context directory (absolute or relative to the working directory).
    public let root: String
    /// The Dockerfile, relative to ``root`` and `/`-separated.
    public let dockerfile: String
    /// The ignore file that applied (`<Dockerfile>.dockerignore` beside the Dockerfile, else `.dockerignore`),
    /// relative to ``root``; nil when there is none.
    public let ignoreFile: String?
    /// What is sent, in archive order.
    public let entries: [ContextEntry]
    /// SHA-256 (hex) of every entry's path, kind, size, mode, times, inode and device, and of the archive
    /// format; equal fingerprints mean the archive would be byte-for-byte equal.
    public let fingerprint: String

    /// Scans `root` for a build with `dockerfile` (relative to `root`).
    ///
    /// `ownOutputs` are what the coordinator writes while it builds (its log directory, its tarballs), as
    /// paths on this machine; those inside the context are left out of it, whatever the ignore file says.
    /// - Throws: ``ContextReadError`` for unreadable files or a Dockerfile outside the context,
    ///   ``DockerIgnoreError`` for an ignore file Docker would refuse.
    public static func scan(root: String, dockerfile: String = "Dockerfile", ownOutputs: [String] = []) throws
        -> BuildContext
    {
        let dockerfilePath = GoPath.clean(dockerfile)
        guard !GoPath.hasPrefix(dockerfilePath, "/"), !GoPath.hasPrefix(dockerfilePath, "../"), dockerfilePath != ".."
        else {
            throw ContextReadError(
                path: dockerfile, operation: "use the Dockerfile",
                reason: "it must be inside the context directory \(MessageText.quoted(root)); give its path "
                    + "relative to the context")
        }
        try refuseLinkOutside(root: root, dockerfile: dockerfilePath, given: dockerfile)
        let dockerfileInfo = try FileSystem.status(root + "/" + dockerfilePath)
        guard FileSystem.isRegular(dockerfileInfo) else {
            throw ContextReadError(path: root + "/" + dockerfilePath, operation: "use the Dockerfile",
                reason: "it is not a regular file")
        }
        var ignoreFile: String?
        var ignore: DockerIgnore?
        for candidate in [dockerfilePath + ".dockerignore", ".dockerignore"] {
            guard let bytes = try readIfPresent(root + "/" + candidate) else { continue }
            ignore = try DockerIgnore(contents: bytes, file: candidate)
            ignoreFile = candidate
            break
        }
        let entries = try ContextWalker.entries(
            root: root, ignore: ignore, alwaysInclude: Set([dockerfilePath] + (ignoreFile.map { [$0] } ?? [])),
            leftOut: contextRelative(ownOutputs, inside: root))
        return BuildContext(
            root: root, dockerfile: dockerfilePath, ignoreFile: ignoreFile, entries: entries,
            fingerprint: fingerprint(of: entries))
    }

    /// Refuses a Dockerfile path whose directories pass through a symbolic link that leads out of the context
    /// (`docker` -> `/elsewhere` with `--file docker/Dockerfile`): the path check above sees only the text, and the
    /// file read here would not be the one the host reads from the shipped context (where the link points elsewhere
    /// or nowhere). A link that stays inside the context is fine: it travels as a link.
    static func refuseLinkOutside(root: String, dockerfile: String, given: String) throws {
        let components = dockerfile.split(separator: "/").map(String.init)
        guard components.count > 1 else { return }
        guard let realRoot = FileSystem.realPath(root) else { return }
        var prefix = ""
        for component in components.dropLast() {
            prefix += (prefix.isEmpty ? "" : "/") + component
            guard let info = try? FileSystem.status(root + "/" + prefix), FileSystem.isSymlink(info) else { continue }
            let resolved = FileSystem.realPath(root + "/" + prefix)
            guard let resolved, resolved == realRoot || resolved.hasPrefix(realRoot == "/" ? "/" : realRoot + "/")
            else {
                throw ContextReadError(
                    path: root + "/" + prefix, operation: "use the Dockerfile",
                    reason: "--file \(MessageText.quoted(given)) leaves the context directory through the symbolic "
                        + "link \(MessageText.quoted(prefix))"
                        + (resolved.map { " (to \(MessageText.quoted($0)))" } ?? " (whose target does not exist)")
                        + ": the host would not find that Dockerfile in the context; copy it into the context")
            }
        }
    }

    /// The paths sent, in order (directories without a trailing `/`).
    public var paths: [String] {
        entries.map(\.path)
    }

    /// The number of regular files sent.
    public var fileCount: Int {
        entries.reduce(0) { total, entry in
            if case .file = entry.kind { total + 1 } else { total }
        }
    }

    /// The total size of the regular files sent.
    public var fileBytes: Int64 {
        entries.reduce(0) { total, entry in
            if case .file(let size) = entry.kind { total + size } else { total }
        }
    }

    /// The archive of this context as a stream of chunks, hashed while it is produced; with
    /// `recordingFileDigests`, each regular file's own SHA-256 too (``ArchiveSummary/fileDigests``).
    public func archive(chunkSize: Int = 1 << 20, recordingFileDigests: Bool = false) -> ContextArchive {
        ContextArchive(context: self, chunkSize: chunkSize, recordsFileDigests: recordingFileDigests)
    }

    static func fingerprint(of entries: [ContextEntry]) -> String {
        var hasher = SHA256()
        hasher.update(data: Array("coordinator-context-v1\n".utf8))
        var record: [Int64] = []
        record.reserveCapacity(16)
        for entry in entries {
            var path = entry.path
            path.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
            record.removeAll(keepingCapacity: true)
            switch entry.kind {
            case .directory:
                record += [0, 0]
            case .file(let size):
                record += [1, size]
            case .symlink(let target):
                var target = target
                target.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
                record += [2, Int64(target.utf8.count)]
            }
            let stamp = entry.changeStamp
            record += [Int64(entry.path.utf8.count), Int64(entry.mode), entry.modificationTime,
                stamp.modificationNanoseconds, stamp.changeTime, stamp.changeNanoseconds, stamp.inode, stamp.device]
            record.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        }
        return hasher.finalize().map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    private static func readIfPresent(_ path: String) throws -> [UInt8]? {
        guard let info = try? FileSystem.status(path), FileSystem.isRegular(info) else { return nil }
        var reader = try FileReader(path: path)
        defer { reader.close() }
        var bytes: [UInt8] = []
        while case let chunk = try reader.read(upTo: 1 << 16), !chunk.isEmpty {
            bytes += chunk
        }
        return bytes
    }
}

extension String {
    /// The string with `0` in front up to `width` characters (for hex bytes).
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
