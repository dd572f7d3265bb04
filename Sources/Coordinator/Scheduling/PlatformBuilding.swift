import Shared

/// Builds one slot on one host. The SSH worker implements it today; a Kubernetes Job runner can
/// later, without the scheduler changing.
protocol PlatformBuilding: Sendable {
    /// Builds `slot` on `host` and returns what was pushed (or written), reporting progress as it
    /// goes. Throws a ``ClassifiedError`` to say whether another host should try.
    func build(
        _ slot: BuildSlot, on host: BuildHost, mode: BuildMode,
        progress: @escaping @Sendable (ProgressEvent.Kind) async -> Void
    ) async throws -> SlotOutput
}

/// What one successful attempt produced.
struct SlotOutput: Hashable, Sendable {
    /// The pushed manifest's digest (`nil` for a tarball that was not pushed).
    var digest: String?
    var mediaType: String?
    var size: Int?
    /// The local tarball, for `--output tar` and `docker`.
    var tarball: String?
    /// Seconds per phase (connecting, probing, uploading, building, pushing, ...).
    var phases: [String: Double]
    /// What the attempt learned about its host, for the platform's provenance.
    var hostFacts: BuildHostFacts?
    /// The local context's size and what was sent of it (nil for a git context).
    var context: PlatformReport.ContextTransfer? = nil
}
