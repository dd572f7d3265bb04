/// An OCI content descriptor: what a manifest or index says about a piece of content it points to.
public struct Descriptor: Codable, Hashable, Sendable {
    /// The media type of the referenced content.
    public var mediaType: String
    /// The digest of the referenced content's exact bytes.
    public var digest: Digest
    /// The size of the referenced content in bytes.
    public var size: Int64
    /// Alternative download locations.
    public var urls: [String]?
    /// Arbitrary metadata.
    public var annotations: [String: String]?
    /// The platform, in index entries.
    public var platform: ImagePlatform?
    /// The artifact type, for artifact manifests.
    public var artifactType: String?
    /// Embedded content (base64).
    public var data: String?

    /// Creates a descriptor.
    public init(
        mediaType: String, digest: Digest, size: Int64, annotations: [String: String]? = nil,
        platform: ImagePlatform? = nil
    ) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
        self.platform = platform
    }

    /// Whether buildx marked this entry as an attestation manifest.
    public var isAttestationManifest: Bool {
        annotations?[MediaType.referenceTypeAnnotation] == MediaType.attestationManifestReferenceType
    }

    /// For an attestation manifest, the digest of the image manifest it describes.
    public var attestedDigest: Digest? {
        annotations?[MediaType.referenceDigestAnnotation].flatMap { try? Digest(parsing: $0) }
    }
}
