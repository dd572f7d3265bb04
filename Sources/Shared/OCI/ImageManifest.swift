/// An image manifest, OCI (`application/vnd.oci.image.manifest.v1+json`) or Docker schema 2.
public struct ImageManifest: Codable, Hashable, Sendable {
    /// Always 2.
    public var schemaVersion: Int
    /// The manifest's media type (optional in OCI, required by Docker).
    public var mediaType: String?
    /// The artifact type, for artifact manifests.
    public var artifactType: String?
    /// The image configuration.
    public var config: Descriptor
    /// The layers, base first.
    public var layers: [Descriptor]
    /// The manifest this one refers to (referrers API).
    public var subject: Descriptor?
    /// Arbitrary metadata.
    public var annotations: [String: String]?

    /// Creates a manifest.
    public init(
        schemaVersion: Int = 2, mediaType: String?, config: Descriptor, layers: [Descriptor],
        annotations: [String: String]? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }

    /// Every blob this manifest references: the configuration, then the layers.
    public var blobs: [Descriptor] { [config] + layers }
}
