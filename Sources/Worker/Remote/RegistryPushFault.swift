import Foundation
import Shared

/// A builder's push that failed because the registry could not be reached or broke off the push (a registry
/// restart, an overloaded registry, a proxy in the way). The host and the Dockerfile are fine, so this is an
/// infrastructure failure that the scheduler retries, and its error names the registry and the tag.
struct RegistryPushFault: Sendable, Equatable {
    /// The registry that failed, `host[:port]`.
    var registry: String
    /// The tag that was being pushed.
    var tag: String
    /// The builder's line that shows it.
    var evidence: String

    /// Output that shows a registry that did not answer or broke off, on a line that names the registry
    /// (compared without regard to case).
    static let unreachableSigns = [
        "connection refused", "connection reset", "broken pipe", ": EOF", "unexpected EOF", "i/o timeout",
        "no route to host", "server misbehaving", "TLS handshake timeout", "500 Internal Server Error",
        "502 Bad Gateway", "503 Service Unavailable", "504 Gateway Timeout", "429 Too Many Requests",
    ]

    /// Output that shows the registry lost an upload in progress (it restarted without the upload's state), on
    /// any line.
    static let lostUploadSigns = ["BLOB_UPLOAD_UNKNOWN", "blob upload unknown", "BLOB_UPLOAD_INVALID", "blob upload invalid"]

    /// The fault in the last lines of a failed build that was pushing `tag`, or `nil` when they show no push to
    /// its registry failing that way (a registry that fails while a `FROM` image is pulled is not a push fault).
    static func find(in log: [String], tag: String) -> RegistryPushFault? {
        guard let reference = try? Shared.ImageReference(parsing: tag),
            log.contains(where: { $0.localizedCaseInsensitiveContains("push") })
        else { return nil }
        let names = Set([reference.registry, reference.apiHost])
        let evidence = log.last { line in
            lostUploadSigns.contains { line.localizedCaseInsensitiveContains($0) }
                || names.contains { line.contains($0) }
                    && unreachableSigns.contains { line.localizedCaseInsensitiveContains($0) }
        }
        return evidence.map {
            RegistryPushFault(
                registry: reference.registry, tag: tag, evidence: $0.trimmingCharacters(in: .whitespaces))
        }
    }

    /// The error message: what failed, where, and why it counts as the registry's fault.
    var message: String {
        "pushing \(tag) failed because the registry \(registry) was unreachable or broke off the push "
            + "(\(evidence.count > 300 ? evidence.prefix(300) + "…" : evidence)); this is an infrastructure failure, "
            + "so the platform is retried; the log follows"
    }
}
