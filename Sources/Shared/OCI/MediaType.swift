/// The media types of the OCI and Docker documents this project reads and writes.
public enum MediaType {
    /// OCI image manifest.
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    /// OCI image index.
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    /// OCI image configuration.
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    /// Docker image manifest, schema 2.
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    /// Docker manifest list.
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    /// Docker image configuration.
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    /// Docker schema 1 manifests, which this project refuses.
    public static let dockerSchema1 = [
        "application/vnd.docker.distribution.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
    ]

    /// Every manifest type a client asks for, in the `Accept` header of a manifest request.
    ///
    /// A registry answers 404 to a GET of an index whose `Accept` lacks the index type, so all four go.
    public static let acceptedManifests = [ociIndex, dockerManifestList, ociManifest, dockerManifest]

    /// Annotation buildx puts on attestation manifests: the value is ``attestationManifestReferenceType``.
    public static let referenceTypeAnnotation = "vnd.docker.reference.type"
    /// Annotation buildx puts on attestation manifests: the digest of the image manifest they describe.
    public static let referenceDigestAnnotation = "vnd.docker.reference.digest"
    /// The value of ``referenceTypeAnnotation`` on attestation manifests.
    public static let attestationManifestReferenceType = "attestation-manifest"
}

/// What kind of manifest a document is.
public enum ManifestKind: String, Sendable, Hashable, CaseIterable {
    case ociManifest
    case dockerManifest
    case ociIndex
    case dockerManifestList

    /// The kind named by `mediaType`, or `nil` for any other type.
    public init?(mediaType: String) {
        switch mediaType {
        case MediaType.ociManifest: self = .ociManifest
        case MediaType.dockerManifest: self = .dockerManifest
        case MediaType.ociIndex: self = .ociIndex
        case MediaType.dockerManifestList: self = .dockerManifestList
        default: return nil
        }
    }

    /// The media type of this kind.
    public var mediaType: String {
        switch self {
        case .ociManifest: MediaType.ociManifest
        case .dockerManifest: MediaType.dockerManifest
        case .ociIndex: MediaType.ociIndex
        case .dockerManifestList: MediaType.dockerManifestList
        }
    }

    /// Whether this is an index or manifest list (a document that points at other manifests).
    public var isIndex: Bool { self == .ociIndex || self == .dockerManifestList }
}
