import Shared

/// Children resolved as soon as their platforms finish (``ChildResolver``: reading only), so that assembling the
/// list after the last platform has nothing left to fetch for the others, and each child is read once (the
/// media type and size a builder does not report come from the same read).
///
/// A resolution that failed is not kept: assembly resolves that child again, as it would have without prefetching.
actor ChildPrefetch {
    private let resolver: ChildResolver
    /// Whether children that are indexes keep their attestation manifests (``ManifestAssembler/Options``).
    let keepAttestations: Bool
    private var started: [ManifestSlot: Task<Result<ResolvedChild, AssemblyError>, Never>] = [:]

    init(client: RegistryClient, keepAttestations: Bool = ManifestAssembler.Options().keepAttestations) {
        resolver = ChildResolver(client: client)
        self.keepAttestations = keepAttestations
    }

    /// Starts resolving `slot` unless that is under way or done.
    func prefetch(_ slot: ManifestSlot) {
        _ = resolution(of: slot)
    }

    /// `slot` resolved: the prefetched result, or a new resolution when there is none or it failed.
    func resolve(_ slot: ManifestSlot) async throws(AssemblyError) -> ResolvedChild {
        if case .success(let child) = await resolution(of: slot).value { return child }
        started[slot] = nil
        return try await resolution(of: slot).value.get()
    }

    private func resolution(of slot: ManifestSlot) -> Task<Result<ResolvedChild, AssemblyError>, Never> {
        if let task = started[slot] { return task }
        let resolver = resolver
        let keepAttestations = keepAttestations
        let task = Task {
            do throws(AssemblyError) {
                return Result<ResolvedChild, AssemblyError>.success(
                    try await resolver.resolve(slot, keepAttestations: keepAttestations))
            } catch {
                return .failure(error)
            }
        }
        started[slot] = task
        return task
    }
}
