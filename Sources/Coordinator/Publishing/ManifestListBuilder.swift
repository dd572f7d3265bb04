import Shared

/// Builds the list document from resolved children. Pure: no registry access.
enum ManifestListBuilder {
    /// A Docker manifest list when every entry is a Docker v2 manifest (and so carries no annotations), else an
    /// OCI index: attestation manifests are OCI and need annotations, which a Docker list cannot hold.
    static func kind(for children: [ResolvedChild]) -> ManifestKind {
        let allDocker = children.allSatisfy { $0.manifest.kind == .dockerManifest && $0.attestations.isEmpty }
        return allDocker ? .dockerManifestList : .ociIndex
    }

    /// Refuses two children that a runtime would take for the same platform.
    static func checkDistinct(_ children: [ResolvedChild]) throws(AssemblyError) {
        var seen: [String: [ImageReference]] = [:]
        var order: [String] = []
        for child in children {
            let identity = PlatformRules.identity(child.platform)
            if seen[identity] == nil { order.append(identity) }
            seen[identity, default: []].append(child.slot.source)
        }
        let duplicates = order.compactMap { identity -> AssemblyError? in
            guard let sources = seen[identity], sources.count > 1 else { return nil }
            return .duplicatePlatform(platform: identity, sources: sources)
        }
        if duplicates.count == 1 { throw duplicates[0] }
        if duplicates.count > 1 { throw .refused(duplicates) }
    }

    /// The list: one entry per child in slot order, each followed by its kept attestation manifests.
    static func build(_ children: [ResolvedChild]) -> ImageIndex {
        let kind = kind(for: children)
        let manifests = children.flatMap { [$0.entry] + $0.attestations }
        return ImageIndex(mediaType: kind.mediaType, manifests: manifests)
    }
}
