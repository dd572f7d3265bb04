import Foundation

/// Remembers, on the coordinator's machine, the archive digest of each context fingerprint, so that an
/// unchanged context is recognised by a metadata walk alone (no file is read) and its upload skipped when
/// the host already holds `WORKDIR/contexts/DIGEST`.
///
/// Stored as JSON (default `~/.cache/coordinator/context-digests.json`), at most ``capacity`` entries,
/// the least recently used dropped first. A missing or unreadable file is an empty cache.
public actor ContextDigestCache {
    /// One remembered archive.
    public struct Record: Codable, Sendable, Hashable {
        /// The hex SHA-256 of the archive.
        public var digest: String
        /// The archive's size in bytes.
        public var bytes: Int64
        /// When it was last used, for eviction.
        public var lastUsed: Date
    }

    /// The JSON file, or nil for a cache kept in memory only.
    public let path: String?
    /// How many fingerprints are kept.
    public let capacity: Int
    private var records: [String: Record]
    /// The fingerprints whose contexts this process read to learn their digests (``record(fingerprint:digest:bytes:read:)``).
    private var read: Set<String> = []

    /// The default location, under `XDG_CACHE_HOME` or `~/.cache`.
    public static var defaultPath: String {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.cache")
        return base + "/coordinator/context-digests.json"
    }

    /// Opens the cache at `path` (nil: in memory).
    public init(path: String? = ContextDigestCache.defaultPath, capacity: Int = 256) {
        self.path = path
        self.capacity = capacity
        if let path, let data = FileManager.default.contents(atPath: path),
            let decoded = try? JSONDecoder().decode([String: Record].self, from: data)
        {
            records = decoded
        } else {
            records = [:]
        }
    }

    /// Whether this process had to read the context with `fingerprint` to learn its digest: a context this machine
    /// has not seen before (changed since the last release), so one the hosts are likely to lack as well.
    public func wasRead(_ fingerprint: String) -> Bool {
        read.contains(fingerprint)
    }

    /// The archive digest recorded for `fingerprint`, if any.
    public func digest(for fingerprint: String) -> Record? {
        records[fingerprint]
    }

    /// Records the digest and size of the archive of a context with `fingerprint`, and saves the cache. `read`: the
    /// digest comes from reading the context in this process (``wasRead(_:)``), not from shipping it.
    public func record(fingerprint: String, digest: String, bytes: Int64, read: Bool = false) {
        records[fingerprint] = Record(digest: digest, bytes: bytes, lastUsed: Date())
        if read { self.read.insert(fingerprint) }
        if records.count > capacity {
            let oldest = records.sorted { $0.value.lastUsed < $1.value.lastUsed }.prefix(records.count - capacity)
            for (key, _) in oldest {
                records[key] = nil
            }
        }
        save()
    }

    private func save() {
        guard let path else { return }
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(records) else { return }
        let temporary = path + ".\(ProcessInfo.processInfo.processIdentifier).tmp"
        if FileManager.default.createFile(atPath: temporary, contents: data) {
            _ = rename(temporary, path)
        }
    }
}
