import Foundation

/// known_hosts files as parsed by the first session that read them, shared by the sessions of the process
/// until a file changes (its inode, size, modification or change time), so a run of many hosts parses
/// each file once instead of once per connection.
///
/// A snapshot keeps the lines libssh2 accepted, with their line numbers and host fields, how many
/// entries they made and the `@revoked` keys. A later session loads into libssh2 only the lines that can
/// concern its host: hashed ones (`|1|...`, libssh2 matches them) and plain ones naming the host's
/// known_hosts pattern. libssh2 still decides every match, so the verdicts are the ones the whole file
/// gives.
enum KnownHostsCache {
    /// The process's cache, keyed by path.
    static let shared = StampedFileCache<Snapshot>()

    /// What a known_hosts file held when it was parsed.
    struct Snapshot: Sendable {
        /// A line libssh2 accepted.
        struct Line: Sendable {
            var number: Int
            var text: String
            /// The host field: comma-separated names, or one `|1|salt|hash`.
            var hosts: Substring
        }

        var lines: [Line]
        /// Entries libssh2 made from the whole file (one per name of a line).
        var entries: Int
        var revoked: [(key: String, location: KnownHosts.Location)]

        /// The lines that can match `pattern` (a host as `KnownHosts.pattern` writes it).
        func lines(concerning pattern: String) -> [Line] {
            lines.filter { line in
                line.hosts.utf8.count <= 2 || line.hosts.hasPrefix("|1|")
                    || line.hosts.split(separator: ",").contains { $0.caseInsensitiveCompare(pattern) == .orderedSame }
            }
        }
    }
}
