import Foundation
import Shared

/// An index child as buildx pushes it with provenance on: one image manifest plus an attestation manifest
/// (`unknown/unknown`, annotated `vnd.docker.reference.type=attestation-manifest` and
/// `vnd.docker.reference.digest=<image>`), whose layer is an in-toto statement.
///
/// Built without our client: skopeo copies the image into an OCI layout, the attestation blobs and the index are
/// written into the layout as files, and `skopeo copy --all --preserve-digests` pushes the index unchanged.
enum AttestedIndexFixture {
    struct Pushed {
        var index: Digest
        var image: Digest
        var attestation: Digest
    }

    static func push(
        image source: ImageReference, platform: (os: String, architecture: String), to registry: FleetRegistry,
        tag: String
    ) throws -> Pushed {
        let layout = NSTemporaryDirectory() + "attested-layout-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: layout) }
        try ExternalTool.check(
            ["skopeo", "copy", "-q"] + registry.copyFlags("src") + ["docker://\(source)", "oci:\(layout):image"])
        let layoutIndex = try json(Data(contentsOf: URL(fileURLWithPath: layout + "/index.json")))
        guard let image = (layoutIndex["manifests"] as? [[String: Any]])?.first, let imageDigest = image["digest"] as? String
        else { throw ExternalTool.Failure(description: "skopeo wrote no image into \(layout)") }

        func write(_ object: Any) throws -> (digest: String, size: Int) {
            let bytes = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            let digest = Digest(of: Array(bytes))
            try bytes.write(to: URL(fileURLWithPath: "\(layout)/blobs/sha256/\(digest.encoded)"))
            return (digest.description, bytes.count)
        }
        let statement = try write([
            "_type": "https://in-toto.io/Statement/v0.1", "predicateType": "https://slsa.dev/provenance/v0.2",
            "subject": [["name": source.description, "digest": ["sha256": String(imageDigest.dropFirst(7))]]],
            "predicate": ["builder": ["id": "manifest-integration-test"]],
        ] as [String: Any])
        let config = try write([
            "architecture": "unknown", "os": "unknown", "config": [String: Any](),
            "rootfs": ["type": "layers", "diff_ids": [statement.digest]],
        ] as [String: Any])
        let attestation = try write([
            "schemaVersion": 2, "mediaType": MediaType.ociManifest,
            "config": ["mediaType": MediaType.ociConfig, "digest": config.digest, "size": config.size],
            "layers": [[
                "mediaType": "application/vnd.in-toto+json", "digest": statement.digest, "size": statement.size,
                "annotations": ["in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"],
            ]],
        ] as [String: Any])
        let index = try write([
            "schemaVersion": 2, "mediaType": MediaType.ociIndex,
            "manifests": [
                ["mediaType": image["mediaType"]!, "digest": imageDigest, "size": image["size"]!,
                 "platform": ["os": platform.os, "architecture": platform.architecture]],
                ["mediaType": MediaType.ociManifest, "digest": attestation.digest, "size": attestation.size,
                 "platform": ["os": "unknown", "architecture": "unknown"],
                 "annotations": [MediaType.referenceTypeAnnotation: MediaType.attestationManifestReferenceType,
                                 MediaType.referenceDigestAnnotation: imageDigest]],
            ],
        ] as [String: Any])
        let top: [String: Any] = [
            "schemaVersion": 2,
            "manifests": [["mediaType": MediaType.ociIndex, "digest": index.digest, "size": index.size,
                           "annotations": ["org.opencontainers.image.ref.name": "attested"]]],
        ]
        try JSONSerialization.data(withJSONObject: top).write(to: URL(fileURLWithPath: layout + "/index.json"))
        try ExternalTool.check(
            ["skopeo", "copy", "-q", "--all", "--preserve-digests"] + registry.copyFlags("dest")
                + ["oci:\(layout):attested", "docker://\(registry.host)/\(source.repository):\(tag)"])
        return Pushed(
            index: try Digest(parsing: index.digest), image: try Digest(parsing: imageDigest),
            attestation: try Digest(parsing: attestation.digest))
    }

    private static func json(_ data: Data) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }
}
