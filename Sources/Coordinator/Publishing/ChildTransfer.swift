import Shared

/// Puts a child into the target repository when it lives in another repository of the same registry: its
/// blobs are mounted (or copied when the registry declines the mount), then its manifest is pushed by digest.
struct ChildTransfer: Sendable {
    let client: RegistryClient

    /// Whether `child` needs a transfer into `target`.
    static func needsTransfer(_ child: ResolvedChild, into target: ImageReference) -> Bool {
        !child.slot.source.isSameRepository(as: target)
    }

    /// Refuses children that cannot be brought into `target` under `allowCopy`, before anything is pushed.
    static func check(_ child: ResolvedChild, into target: ImageReference, allowCopy: Bool) throws(AssemblyError) {
        guard needsTransfer(child, into: target) else { return }
        guard child.slot.source.registry == target.registry else {
            throw .crossRegistry(source: child.slot.source, target: target)
        }
        guard allowCopy else { throw .crossRepositoryRefused(source: child.slot.source, target: target) }
    }

    /// Brings `child` (and its attestation manifests) into `target`'s repository.
    func transfer(_ child: ResolvedChild, into target: ImageReference) async throws(AssemblyError) {
        let source = child.slot.source
        do throws(RegistryError) {
            try await copyManifest(child.manifest, from: source, into: target)
            for attestation in child.attestations {
                let document = try await client.manifest(source.withDigest(attestation.digest))
                try await copyManifest(document, from: source, into: target)
            }
        } catch {
            throw .copyFailed(source: source, target: target, reason: error.description)
        }
    }

    private func copyManifest(_ document: ManifestDocument, from source: ImageReference, into target: ImageReference)
        async throws(RegistryError)
    {
        let destination = target.withDigest(document.digest)
        if try await client.manifestDescriptor(destination) != nil { return }
        if case .image(let image) = document.content {
            for blob in image.blobs {
                if try await client.blobExists(blob.digest, in: target) { continue }
                if try await !client.mountBlob(blob.digest, from: source, into: target) {
                    let bytes = try await client.blob(blob.digest, in: source, limit: Int(blob.size) + 1)
                    try await client.uploadBlob(bytes, into: target)
                }
            }
        }
        try await client.putManifest(document.bytes, mediaType: document.kind.mediaType, to: destination)
    }
}
