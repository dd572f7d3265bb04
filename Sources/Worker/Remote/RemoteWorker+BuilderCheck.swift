import Shared

/// The builder check, asked when its answers matter.
///
/// The builder's CLI answers (`docker version`, `docker buildx version`, `docker buildx inspect`, …) are the slow
/// part of a probe and cost the host CPU just as its build starts. A build that succeeded has shown its builder
/// usable, so they are asked only when the build script needs them (a buildx archive depends on the driver) or
/// when the build failed: then a builder the check finds unusable makes the failure the host's (infrastructure,
/// the host ruled out for the run) rather than the Dockerfile's, which is what checking before the build would
/// have said. Nothing is built before the platform check has passed.
extension RemoteWorker {
    /// Asks the host behind `connection` about its builder and verifies it; returns `probe` (the platform answers)
    /// with the builder's.
    /// - Throws: ``RemoteBuildError`` (infrastructure, probing) when the builder cannot be used.
    func checkBuilder(on connection: SSHConnection, probe: HostProbe) async throws -> HostProbe {
        let builder = try await classifiedAsync(.probing, kind: .infrastructure) {
            try await HostProbe.probeBuilder(host, over: connection)
        }
        return try verified(builder, probe: probe)
    }

    /// `probe` with `builder`'s answers, once they show the builder usable.
    /// - Throws: ``RemoteBuildError`` (infrastructure, probing) when they do not.
    private func verified(_ builder: BuilderProbe, probe: HostProbe) throws -> HostProbe {
        var probe = probe
        probe.builder = builder
        try classified(.probing, kind: .infrastructure) { try probe.verifyBuilder(against: host) }
        return probe
    }

    /// Runs `build`; when it fails (other than by cancellation), checks the builder, whose refusal then replaces
    /// the build's error. A check that cannot run (the connection is gone) leaves the build's error as it is.
    func buildingCheckedOnFailure<T>(
        _ build: () async throws -> T, on connection: SSHConnection, probe: HostProbe
    ) async throws -> T {
        do {
            return try await build()
        } catch {
            // A host whose slots were all taken built nothing: no builder to check.
            guard !Task.isCancelled, (error as? RemoteBuildError)?.failureKind != .cancelled, !(error is HostSlotsFull),
                let builder = try? await HostProbe.probeBuilder(host, over: connection)
            else { throw error }
            _ = try verified(builder, probe: probe)
            throw error
        }
    }
}
