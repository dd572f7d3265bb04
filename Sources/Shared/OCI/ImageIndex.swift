/// An OCI image index or a Docker manifest list: a list of manifests, usually one per platform.
public struct ImageIndex: Codable, Hashable, Sendable {
    /// Always 2.
    public var schemaVersion: Int
    /// The index's media type (``MediaType/ociIndex`` or ``MediaType/dockerManifestList``).
    public var mediaType: String?
    /// The artifact type, for artifact indexes.
    public var artifactType: String?
    /// The entries.
    public var manifests: [Descriptor]
    /// The manifest this one refers to (referrers API).
    public var subject: Descriptor?
    /// Arbitrary metadata.
    public var annotations: [String: String]?

    /// Creates an index.
    public init(
        schemaVersion: Int = 2, mediaType: String?, manifests: [Descriptor], annotations: [String: String]? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        self.manifests = manifests
        self.annotations = annotations
    }
}
