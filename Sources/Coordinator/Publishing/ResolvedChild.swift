import Shared

/// A slot's image after resolution: its image manifest, the platform its configuration proves, and the
/// attestation manifests that came with it.
struct ResolvedChild: Sendable {
    /// The slot it fills.
    var slot: ManifestSlot
    /// The image manifest (taken out of the source's index when the source was one).
    var manifest: ManifestDocument
    /// The platform for its list entry, derived from the image configuration.
    var platform: ImagePlatform
    /// Attestation manifests for this image from the source's index, as that index described them.
    var attestations: [Descriptor]

    /// The list entry for this image.
    var entry: Descriptor { manifest.descriptor(platform: platform) }
}
