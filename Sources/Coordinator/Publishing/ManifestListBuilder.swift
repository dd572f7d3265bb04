import Shared

/// `--list-format`: what kind of list is pushed.
enum ListFormat: String, CaseIterable, Sendable {
    /// A Docker manifest list when every child is a Docker v2 manifest and nothing asks for an OCI index.
    case auto
    /// Always an OCI image index.
    case oci
    /// Always a Docker manifest list (no annotations).
    case docker
}

/// What the list carries besides its entries.
struct ListContents: Sendable, Hashable {
    var format: ListFormat = .auto
    /// `--annotation index:KEY=VALUE`: on the index itself.
    var indexAnnotations: [String: String] = [:]
    /// `--annotation manifest-descriptor:KEY=VALUE`: on every platform's entry in the index.
    var descriptorAnnotations: [String: String] = [:]
    /// Set on the index whenever it is an OCI index (created, version, source, revision), under the given ones.
    var defaultAnnotations: [String: String] = [:]

    /// Whether an OCI index is needed whatever the children are.
    var asksForOCI: Bool { format == .oci || !indexAnnotations.isEmpty || !descriptorAnnotations.isEmpty }
}

/// Builds the list document from resolved children. Pure: no registry access.
enum ManifestListBuilder {
    /// A Docker manifest list when every entry is a Docker v2 manifest (and so carries no annotations) and nothing
    /// asks for an OCI index, else an OCI index: attestation manifests are OCI and need annotations, which a
    /// Docker list cannot hold.
    static func kind(for children: [ResolvedChild], contents: ListContents = ListContents()) -> ManifestKind {
        if contents.format == .docker { return .dockerManifestList }
        let allDocker = children.allSatisfy { $0.manifest.kind == .dockerManifest && $0.attestations.isEmpty }
        return allDocker && !contents.asksForOCI ? .dockerManifestList : .ociIndex
    }

    /// Refuses `--list-format docker` for children a Docker list cannot hold.
    static func checkFormat(_ children: [ResolvedChild], contents: ListContents) throws(AssemblyError) {
        guard contents.format == .docker else { return }
        for child in children where child.manifest.kind != .dockerManifest || !child.attestations.isEmpty {
            throw .dockerListImpossible(source: child.slot.source, mediaType: child.manifest.kind.mediaType)
        }
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

    /// The list: one entry per child in slot order, each followed by its kept attestation manifests; an OCI
    /// index also carries the annotations asked for.
    static func build(_ children: [ResolvedChild], contents: ListContents = ListContents()) -> ImageIndex {
        let kind = kind(for: children, contents: contents)
        guard kind == .ociIndex else {
            return ImageIndex(mediaType: kind.mediaType, manifests: children.flatMap { [$0.entry] + $0.attestations })
        }
        let manifests = children.flatMap { child -> [Descriptor] in
            var entry = child.entry
            if !contents.descriptorAnnotations.isEmpty {
                entry.annotations = (entry.annotations ?? [:]).merging(contents.descriptorAnnotations) { _, given in given }
            }
            return [entry] + child.attestations
        }
        let annotations = contents.defaultAnnotations.merging(contents.indexAnnotations) { _, given in given }
        return ImageIndex(mediaType: kind.mediaType, manifests: manifests, annotations: annotations.isEmpty ? nil : annotations)
    }
}
