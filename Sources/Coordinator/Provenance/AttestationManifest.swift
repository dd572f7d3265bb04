import Shared

/// A platform's provenance as BuildKit attaches it to an index: an OCI image manifest whose config is the
/// `unknown/unknown` image config BuildKit writes and whose one layer is the in-toto statement, and the
/// index entry that points at it (`unknown/unknown`, `vnd.docker.reference.type=attestation-manifest`,
/// `vnd.docker.reference.digest=IMAGE`). `docker buildx imagetools inspect --format '{{ json .Provenance }}'`
/// reads exactly this.
struct AttestationManifest: Sendable, Hashable {
    /// The in-toto statement's layer media type.
    static let inTotoMediaType = "application/vnd.in-toto+json"
    /// The annotation naming the layer's predicate type.
    static let predicateTypeAnnotation = "in-toto.io/predicate-type"

    /// The statement's bytes (the layer).
    var statement: [UInt8]
    /// The config's bytes.
    var config: [UInt8]
    /// The manifest's bytes.
    var manifest: [UInt8]
    /// The index entry for the manifest.
    var entry: Descriptor

    /// The attestation manifest of `statement` for the image manifest `imageDigest`.
    init(statement: [UInt8], imageDigest: Digest) throws {
        self.statement = statement
        let layer = Descriptor(
            mediaType: Self.inTotoMediaType, digest: Digest(of: statement), size: Int64(statement.count),
            annotations: [Self.predicateTypeAnnotation: ProvenanceStatement.predicateType])
        // BuildKit's attestation config: an image config of platform unknown/unknown whose diff ids are the layers.
        config = try CanonicalJSON.encode(AttestationConfig(diffIDs: [layer.digest.description]))
        let configDescriptor = Descriptor(
            mediaType: MediaType.ociConfig, digest: Digest(of: config), size: Int64(config.count))
        manifest = try CanonicalJSON.encode(
            ImageManifest(mediaType: MediaType.ociManifest, config: configDescriptor, layers: [layer]))
        entry = Descriptor(
            mediaType: MediaType.ociManifest, digest: Digest(of: manifest), size: Int64(manifest.count),
            annotations: [
                MediaType.referenceDigestAnnotation: imageDigest.description,
                MediaType.referenceTypeAnnotation: MediaType.attestationManifestReferenceType,
            ],
            platform: ImagePlatform(architecture: "unknown", os: "unknown"))
    }

    /// Uploads the config and the statement, then the manifest by digest, into `repository`.
    func push(into repository: ImageReference, client: RegistryClient) async throws(RegistryError) {
        for blob in [config, statement] {
            if try await !client.blobExists(Digest(of: blob), in: repository) {
                _ = try await client.uploadBlob(blob, into: repository)
            }
        }
        // putManifest checks the digest the registry announces against the bytes sent.
        _ = try await client.putManifest(
            manifest, mediaType: MediaType.ociManifest, to: repository.withDigest(entry.digest))
    }

    /// The config BuildKit gives attestation manifests.
    private struct AttestationConfig: Encodable {
        var architecture = "unknown"
        var os = "unknown"
        var config: [String: String] = [:]
        var rootfs: RootFS

        init(diffIDs: [String]) { rootfs = RootFS(diffIDs: diffIDs) }

        struct RootFS: Encodable {
            var type = "layers"
            var diffIDs: [String]
            enum CodingKeys: String, CodingKey {
                case type
                case diffIDs = "diff_ids"
            }
        }
    }
}
