import Shared

/// Builds one slot on one host. The SSH worker implements it today; a Kubernetes Job runner can
/// later, without the scheduler changing.
protocol PlatformBuilding: Sendable {
    /// Builds `slot` on `host` and returns what was pushed (or written), reporting progress as it
    /// goes. Throws a ``ClassifiedError`` to say whether another host should try.
    func build(
        _ slot: BuildSlot, on host: BuildHost, mode: BuildMode,
        progress: @escaping @Sendable (ProgressEvent.Kind) async -> Void
    ) async throws -> BuiltImage
}

/// What one successful attempt produced.
struct BuiltImage: Hashable, Sendable {
    var digest: String
    var mediaType: String?
    var size: Int?
    /// The local tarball, for `--output tar`.
    var tarball: String?
    /// Seconds per phase (connecting, probing, uploading, building, pushing, ...).
    var phases: [BuildPhase: Double]
}
