import Foundation
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

    /// A fixed-width table with a header, columns as wide as their longest cell.
    static func render(_ rows: [ManifestTableRow]) -> String {
        let showSource = rows.contains { $0.source != nil }
        var table = [["PLATFORM", "OS.VERSION", "MEDIA TYPE", "DIGEST", "SIZE"] + (showSource ? ["SOURCE"] : [])]
        for row in rows {
            table.append(
                [row.platform, row.osVersion ?? "-", row.mediaType, row.digest, String(row.size)]
                    + (showSource ? [row.source ?? "-"] : []))
        }
        let widths = (0..<table[0].count).map { column in table.map { $0[column].count }.max() ?? 0 }
        return table.map { cells in
            cells.enumerated().map { column, cell in
                column == cells.count - 1 ? cell : cell.padding(toLength: widths[column] + 2, withPad: " ", startingAt: 0)
            }.joined()
        }.joined(separator: "\n")
    }
}
