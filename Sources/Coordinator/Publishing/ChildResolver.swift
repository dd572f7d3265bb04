import Shared

/// Resolves slots into ``ResolvedChild`` values, reading only: nothing is pushed here.
struct ChildResolver: Sendable {
    let client: RegistryClient

    /// Resolves `slot`: fetches its manifest (choosing the slot's platform out of an index, with its attestation
    /// manifests), reads its configuration and checks the platform against the slot.
    func resolve(_ slot: ManifestSlot, keepAttestations: Bool) async throws(AssemblyError) -> ResolvedChild {
        let source = slot.source
        let document = try await fetch(source)
        var manifest = document
        var attestations: [Descriptor] = []
        if case .index(let index) = document.content {
            let entry = try Self.choose(from: index, for: slot)
            manifest = try await fetch(source.withDigest(entry.digest))
            guard case .image = manifest.content else {
                throw .notAnImage(source: source, reason: "its \(entry.digest) entry is itself an index")
            }
            if keepAttestations {
                attestations = index.manifests.filter { $0.isAttestationManifest && $0.attestedDigest == entry.digest }
            }
        }
        guard case .image(let image) = manifest.content else {
            throw .notAnImage(source: source, reason: "unexpected manifest kind \(manifest.kind.mediaType)")
        }
        guard [MediaType.ociConfig, MediaType.dockerConfig].contains(image.config.mediaType) else {
            throw .notAnImage(
                source: source, reason: "its config has media type \(image.config.mediaType), not an image configuration")
        }
        let config: ImageConfiguration
        do {
            let bytes = try await client.blob(image.config.digest, in: source)
            config = try CanonicalJSON.decode(ImageConfiguration.self, from: bytes)
        } catch let error as RegistryError {
            throw .childUnreadable(source: source, reason: "its image config \(image.config.digest): \(error)")
        } catch {
            throw .notAnImage(source: source, reason: "its config \(image.config.digest) has no os and architecture (\(error))")
        }
        let platform = try PlatformRules.entryPlatform(config: config, slot: slot)
        if let expected = slot.expected, !PlatformRules.matches(platform, expected: expected) {
            throw .platformMismatch(source: source, expected: expected.description, actual: platform.shortDescription)
        }
        return ResolvedChild(slot: slot, manifest: manifest, platform: platform, attestations: attestations)
    }

    private func fetch(_ reference: ImageReference) async throws(AssemblyError) -> ManifestDocument {
        do throws(RegistryError) {
            return try await client.manifest(reference)
        } catch where error.isNotFound {
            throw .childMissing(source: reference, reason: "the registry answered \(error.status.map { "HTTP \($0)" } ?? "not found")")
        } catch {
            throw .childUnreadable(source: reference, reason: error.description)
        }
    }

    /// The image entry of `index` for `slot`: the one matching the expected platform (and the host's Windows
    /// build, when several Windows entries match), or the only image entry when nothing is expected.
    static func choose(from index: ImageIndex, for slot: ManifestSlot) throws(AssemblyError) -> Descriptor {
        let images = index.manifests.filter { !$0.isAttestationManifest && !($0.platform?.isUnknown ?? false) }
        let available = images.map { $0.platform.map(PlatformRules.describe) ?? "no platform" }
        guard let expected = slot.expected else {
            guard images.count == 1 else { throw .ambiguousIndex(source: slot.source, available: available) }
            return images[0]
        }
        var matching = images.filter { $0.platform.map { PlatformRules.matches($0, expected: expected) } ?? false }
        if matching.count > 1, let host = slot.hostWindowsVersion {
            matching = matching.filter {
                $0.platform?.osVersion.map(PlatformRules.windowsBuild) == PlatformRules.windowsBuild(host)
            }
        }
        switch matching.count {
        case 1: return matching[0]
        case 0: throw .indexLacksPlatform(source: slot.source, expected: expected.description, available: available)
        default: throw .ambiguousIndex(source: slot.source, available: matching.compactMap { $0.platform.map(PlatformRules.describe) })
        }
    }
}
