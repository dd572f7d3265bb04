import CSSH2
import Crypto
import Foundation

/// known_hosts files loaded into libssh2 collections (one per file), remembering the file and
/// line of every entry so a mismatch can point at the line that disagrees.
///
/// Lookups follow OpenSSH: port 22 uses the bare host, any other port `[host]:port` only. The
/// pattern goes to `libssh2_knownhost_checkp` with port -1 (libssh2 would otherwise also accept a
/// bare-host entry for a non-standard port) and always with the key type, so a host known only
/// under another key type reads as "not found", never as "mismatch". Hashed (`|1|salt|hash`)
/// entries are matched by libssh2. Lines libssh2 cannot parse (certificate authorities, security
/// keys) are skipped instead of ending the file; `@revoked` keys are refused.
/// Used only on a session's thread, during connection setup.
final class KnownHosts {
    struct Location: Sendable, CustomStringConvertible {
        var file: String
        var line: Int
        var description: String { "\(file):\(line)" }
    }

    enum Verdict {
        case match(Location)
        case mismatch(Location, recordedFingerprint: String?)
        case revoked(Location)
        case notFound
    }

    private struct File {
        var path: String
        var collection: OpaquePointer
        var lines: [UnsafeMutablePointer<libssh2_knownhost>: Int] = [:]
    }

    private var files: [File] = []
    private var revokedKeys: [(key: String, location: Location)] = []
    /// What happened to each configured file, for "not found" messages.
    private(set) var notes: [String] = []

    /// Loads `paths` for a connection to `host` and `port`: each file is parsed once per process while it stays
    /// unchanged (``KnownHostsCache``); from a file parsed before, only the lines that can concern this host
    /// are loaded into libssh2.
    init(session: OpaquePointer, paths: [String], host: String, port: Int) {
        let pattern = Self.pattern(host: host, port: port)
        for path in paths.map(LocalPaths.expand) {
            var parsedHere: File?
            let snapshot = KnownHostsCache.shared.value(for: path, stampsOf: [path]) {
                guard let data = FileManager.default.contents(atPath: path),
                    let collection = libssh2_knownhost_init(session)
                else { return nil }
                var file = File(path: path, collection: collection)
                let lines = String(decoding: data, as: UTF8.self)
                    .split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                    .map { (index, line) in (index + 1, line.trimmingCharacters(in: .whitespacesAndNewlines)) }
                var revoked: [(key: String, location: Location)] = []
                let accepted = load(lines, into: &file, revoked: &revoked)
                parsedHere = file
                return KnownHostsCache.Snapshot(lines: accepted, entries: file.lines.count, revoked: revoked)
            }
            guard let snapshot else {
                notes.append("\(path) (\(LocalPaths.exists(path) ? "unreadable" : "missing"))")
                continue
            }
            revokedKeys += snapshot.revoked
            notes.append("\(path) (\(snapshot.entries) entries)")
            if let parsedHere {
                files.append(parsedHere)
                continue
            }
            guard let collection = libssh2_knownhost_init(session) else { continue }
            var file = File(path: path, collection: collection)
            var ignored: [(key: String, location: Location)] = []
            _ = load(snapshot.lines(concerning: pattern).map { ($0.number, $0.text) }, into: &file, revoked: &ignored)
            files.append(file)
        }
    }

    deinit {
        for file in files { libssh2_knownhost_free(file.collection) }
    }

    /// Adds `lines` (trimmed, with their numbers) to the file's collection; returns those libssh2 accepted.
    private func load(
        _ lines: [(number: Int, text: String)], into file: inout File,
        revoked: inout [(key: String, location: Location)]
    ) -> [KnownHostsCache.Snapshot.Line] {
        var accepted: [KnownHostsCache.Snapshot.Line] = []
        var last: UnsafeMutablePointer<libssh2_knownhost>?
        for (number, line) in lines {
            if line.isEmpty || line.hasPrefix("#") { continue }
            let location = Location(file: file.path, line: number)
            if line.hasPrefix("@") {
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if fields.first == "@revoked", fields.count >= 4 {
                    revoked.append((String(fields[3]), location))
                }
                continue  // @cert-authority: libssh2 1.10 has no certificate support
            }
            let added = line.withCString { cssh2_knownhost_readline(file.collection, $0, strlen($0)) }
            guard added == 0 else { continue }
            accepted.append(.init(number: number, text: line, hosts: line.prefix { $0 != " " && $0 != "\t" }))
            var cursor = last
            while true {
                var next: UnsafeMutablePointer<libssh2_knownhost>?
                guard libssh2_knownhost_get(file.collection, &next, cursor) == 0, let entry = next else { break }
                file.lines[entry] = number
                cursor = entry
            }
            last = cursor
        }
        return accepted
    }

    /// The known_hosts name for a host and port, as OpenSSH writes it.
    static func pattern(host: String, port: Int) -> String {
        port == 22 ? host : "[\(host)]:\(port)"
    }

    /// Key types some file records for this host, so the handshake can ask for one of them first.
    func knownTypes(host: String, port: Int) -> [HostKeyType] {
        let name = Self.pattern(host: host, port: port)
        let probe: [CChar] = [0x21]  // a one-byte "key" that matches nothing
        return HostKeyType.preferenceOrder.filter { type in
            files.contains { file in
                var found: UnsafeMutablePointer<libssh2_knownhost>?
                let rc = libssh2_knownhost_checkp(file.collection, name, -1, probe, 1, Self.mask(type), &found)
                return rc == LIBSSH2_KNOWNHOST_CHECK_MISMATCH
            }
        }
    }

    /// Checks the server's key against every file: a match anywhere wins, then a mismatch.
    func check(_ key: ServerHostKey, host: String, port: Int) -> Verdict {
        let encoded = key.base64
        if let revoked = revokedKeys.first(where: { $0.key == encoded }) { return .revoked(revoked.location) }
        let name = Self.pattern(host: host, port: port)
        var firstMismatch: Verdict?
        for file in files {
            var found: UnsafeMutablePointer<libssh2_knownhost>?
            let rc = key.blob.withUnsafeBufferPointer { blob in
                blob.withMemoryRebound(to: CChar.self) { chars in
                    libssh2_knownhost_checkp(file.collection, name, -1, chars.baseAddress, chars.count, Self.mask(key.type), &found)
                }
            }
            let location = Location(file: file.path, line: found.flatMap { file.lines[$0] } ?? 0)
            switch rc {
            case LIBSSH2_KNOWNHOST_CHECK_MATCH:
                return .match(location)
            case LIBSSH2_KNOWNHOST_CHECK_MISMATCH where firstMismatch == nil:
                let recorded = found.flatMap { entry in entry.pointee.key.map { String(cString: $0) } }
                firstMismatch = .mismatch(location, recordedFingerprint: recorded.flatMap(Self.fingerprint(ofBase64:)))
            default:
                break
            }
        }
        return firstMismatch ?? .notFound
    }

    private static func mask(_ type: HostKeyType) -> Int32 {
        LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | type.knownHostBits
    }

    private static func fingerprint(ofBase64 text: String) -> String? {
        // libssh2 keeps "<type> <base64>"-style keys as bare base64; tolerate either.
        let field = text.split(separator: " ").last.map(String.init) ?? text
        guard let blob = Data(base64Encoded: field) else { return nil }
        var encoded = Data(SHA256.hash(data: blob)).base64EncodedString()
        while encoded.hasSuffix("=") { encoded.removeLast() }
        return "SHA256:" + encoded
    }

    private static let appendLock = Locked(())

    /// Appends `key` for `host`/`port` to `path` (accept-new), creating `~/.ssh` if needed.
    static func append(_ key: ServerHostKey, host: String, port: Int, to path: String) throws -> Location {
        let file = LocalPaths.expand(path)
        return try appendLock.withLock { _ in
            let directory = (file as NSString).deletingLastPathComponent
            if !directory.isEmpty, !LocalPaths.exists(directory) {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            let existing = FileManager.default.contents(atPath: file) ?? Data()
            let separator = existing.isEmpty || existing.last == UInt8(ascii: "\n") ? "" : "\n"
            let line = "\(separator)\(pattern(host: host, port: port)) \(key.type.name) \(key.base64)\n"
            let fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            defer { closeDescriptor(fd) }
            let bytes = Array(line.utf8)
            guard write(fd, bytes, bytes.count) == bytes.count else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            let lineNumber = existing.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) } + (separator.isEmpty ? 1 : 2)
            return Location(file: file, line: lineNumber)
        }
    }
}
