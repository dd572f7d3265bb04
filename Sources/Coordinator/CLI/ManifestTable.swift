import Shared

/// The rows `manifest create` and `manifest inspect` print: one per list entry.
struct ManifestTableRow: Sendable, Encodable {
    var platform: String
    var osVersion: String?
    var mediaType: String
    var digest: String
    var size: Int64
    var source: String?
    var attestationFor: String?

    init(entry: Descriptor, source: String? = nil) {
        if entry.isAttestationManifest {
            platform = "attestation"
            attestationFor = entry.attestedDigest?.description
        } else {
            platform = entry.platform?.shortDescription ?? "-"
        }
        osVersion = entry.platform?.osVersion
        mediaType = entry.mediaType
        digest = entry.digest.description
        size = entry.size
        self.source = source
    }

    /// The table `docker ps` style: a header, then one line per row.
    static func render(_ rows: [ManifestTableRow]) -> String {
        let showSource = rows.contains { $0.source != nil }
        let header = ["PLATFORM", "OS.VERSION", "MEDIA TYPE", "DIGEST", "SIZE"] + (showSource ? ["SOURCE"] : [])
        let cells = rows.map { row in
            [row.platform, row.osVersion ?? "-", row.mediaType, row.digest, String(row.size)]
                + (showSource ? [row.source ?? "-"] : [])
        }
        return TextTable.render(header: header, rows: cells)
    }
}
