import Shared

/// Assembles, pushes and verifies a multi-platform list from per-platform images.
///
/// Everything is read and checked before anything is written: every child must exist, be an image whose
/// configuration proves the slot's platform, and be the only entry for its platform. Only then are children
/// from other repositories brought in, the list pushed to the target tag (a `Docker-Content-Digest` in the PUT's
/// answer that is not the digest computed here fails the push), and the tag read back to confirm that the registry
/// serves exactly the bytes pushed.
struct ManifestAssembler: Sendable {
    /// Choices the caller makes.
    struct Options: Sendable {
        /// Keep the attestation manifests of children that are indexes (provenance, SBOM). Forces an OCI index.
        var keepAttestations = true
        /// Mount or copy children from other repositories of the same registry; when `false` they are refused.
        var allowCrossRepository = true
        /// The list's format and annotations.
        var contents = ListContents()
        /// Attestation manifests (already in the target repository) to list after the image of each digest:
        /// `--provenance attach|sign`. Any forces an OCI index.
        var attestations: [Digest: [Descriptor]] = [:]
        /// When set, the list is first pushed by digest only, then this runs (signing and verification); only
        /// when it returns is any tag pointed at the list. What it throws leaves every tag where it was.
        var beforeTagging: (@Sendable (Digest) async throws -> Void)?
    }

    /// What was pushed.
    struct PushedList: Sendable {
        var target: ImageReference
        var digest: Digest
        var kind: ManifestKind
        var bytes: [UInt8]
        var children: [ResolvedChild]
    }

    let client: RegistryClient
    /// Children already resolved (or under way) as their builds finished; nil to resolve every slot here.
    var prefetched: ChildPrefetch?

    init(client: RegistryClient, prefetched: ChildPrefetch? = nil) {
        self.client = client
        self.prefetched = prefetched
    }

    /// Resolves and checks `slots`, then pushes their list to `target` and verifies it; then pushes the same
    /// bytes under each of `alsoTags` (tags of the target's repository) and verifies each.
    func assemble(
        target: ImageReference, slots: [ManifestSlot], alsoTags: [String] = [], options: Options = Options()
    ) async throws(AssemblyError) -> PushedList {
        let (children, bytes, kind) = try await prepare(target: target, slots: slots, options: options)
        let transfer = ChildTransfer(client: client)
        for child in children where ChildTransfer.needsTransfer(child, into: target) {
            try await transfer.transfer(child, into: target)
        }
        if let beforeTagging = options.beforeTagging {
            let digest = Digest(of: bytes)
            do throws(RegistryError) {
                _ = try await client.putManifest(bytes, mediaType: kind.mediaType, to: target.withDigest(digest))
            } catch {
                throw .pushFailed(target: target.withDigest(digest), reason: error.description)
            }
            try await verify(target: target.withDigest(digest), digest: digest, bytes: bytes)
            do {
                try await beforeTagging(digest)
            } catch {
                throw .notSigned(target: target, reason: "\(error)")
            }
        }
        let push: ManifestPush
        do throws(RegistryError) {
            push = try await client.putManifest(bytes, mediaType: kind.mediaType, to: target)
        } catch {
            throw .pushFailed(target: target, reason: error.description)
        }
        try await verify(target: target, digest: push.digest, bytes: bytes)
        for tag in alsoTags {
            var tagged = target
            tagged.tag = tag
            let extra: ManifestPush
            do throws(RegistryError) {
                extra = try await client.putManifest(bytes, mediaType: kind.mediaType, to: tagged)
            } catch {
                throw .pushFailed(target: tagged, reason: error.description)
            }
            guard extra.digest == push.digest else {
                throw .verificationFailed(
                    target: tagged, reason: "the registry stored \(extra.digest), not the list \(push.digest)")
            }
            try await verify(target: tagged, digest: push.digest, bytes: bytes)
        }
        return PushedList(target: target, digest: push.digest, kind: kind, bytes: bytes, children: children)
    }

    /// Everything before the first write: resolve every slot concurrently, collect every refusal, check
    /// platforms are distinct and children can be brought into the target, and encode the list.
    func prepare(target: ImageReference, slots: [ManifestSlot], options: Options)
        async throws(AssemblyError) -> (children: [ResolvedChild], bytes: [UInt8], kind: ManifestKind)
    {
        guard !slots.isEmpty else { throw .noSources }
        guard target.digest == nil else { throw .targetHasDigest(target) }
        let resolver = ChildResolver(client: client)
        let prefetched = options.keepAttestations == prefetched?.keepAttestations ? prefetched : nil
        let outcomes = await withTaskGroup(of: (Int, Result<ResolvedChild, AssemblyError>).self) { group in
            for (position, slot) in slots.enumerated() {
                group.addTask {
                    do throws(AssemblyError) {
                        let child = if let prefetched {
                            try await prefetched.resolve(slot)
                        } else {
                            try await resolver.resolve(slot, keepAttestations: options.keepAttestations)
                        }
                        return (position, .success(child))
                    } catch {
                        return (position, .failure(error))
                    }
                }
            }
            var outcomes: [(Int, Result<ResolvedChild, AssemblyError>)] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes.sorted { $0.0 < $1.0 }.map(\.1)
        }
        var children: [ResolvedChild] = []
        var refusals: [AssemblyError] = []
        for outcome in outcomes {
            switch outcome {
            case .success(var child):
                child.attestations += options.attestations[child.manifest.digest] ?? []
                do throws(AssemblyError) {
                    try ChildTransfer.check(child, into: target, allowCopy: options.allowCrossRepository)
                    children.append(child)
                } catch {
                    refusals.append(error)
                }
            case .failure(let error): refusals.append(error)
            }
        }
        if refusals.count == 1 { throw refusals[0] }
        if refusals.count > 1 { throw .refused(refusals) }
        try ManifestListBuilder.checkDistinct(children)
        try ManifestListBuilder.checkFormat(children, contents: options.contents)
        let index = ManifestListBuilder.build(children, contents: options.contents)
        do {
            return (children, try CanonicalJSON.encode(index), ManifestListBuilder.kind(for: children, contents: options.contents))
        } catch {
            throw .pushFailed(target: target, reason: "the list could not be encoded: \(error)")
        }
    }

    /// Reads the target tag back and checks it serves exactly `bytes`, whose digest is `digest`.
    private func verify(target: ImageReference, digest: Digest, bytes: [UInt8]) async throws(AssemblyError) {
        let served: ManifestDocument
        do throws(RegistryError) {
            served = try await client.manifest(target)
        } catch {
            throw .verificationFailed(target: target, reason: error.description)
        }
        guard served.digest == digest else {
            throw .verificationFailed(target: target, reason: "the tag serves \(served.digest), not the pushed \(digest)")
        }
        guard served.bytes == bytes else {
            throw .verificationFailed(target: target, reason: "the tag serves other bytes than those pushed")
        }
    }
}
