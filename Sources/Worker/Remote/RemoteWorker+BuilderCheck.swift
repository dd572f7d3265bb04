import Shared

/// The builder check, overlapped with the work it guards.
///
/// The builder's CLI answers (`docker version`, `docker buildx version`, `docker buildx inspect`, …) are the
/// slow part of a probe, so they are asked on a channel of their own once the platform is verified, while the
/// context ships and the build runs. Nothing is built before the platform check has passed; a builder the
/// check finds unusable fails the attempt as an infrastructure failure whatever the build did (the build is
/// cancelled if it still runs), which is what checking before the build would have said.
extension RemoteWorker {
    /// Starts asking the host behind `connection` about its builder.
    func startBuilderCheck(on connection: SSHConnection) -> Task<BuilderProbe, any Error> {
        let host = host
        return Task { try await HostProbe.probeBuilder(host, over: connection) }
    }

    /// Waits for the builder check and verifies it; returns `probe` (the platform answers) with the builder's.
    /// - Throws: ``RemoteBuildError`` (infrastructure, probing) when the builder cannot be used.
    func finishBuilderCheck(_ check: Task<BuilderProbe, any Error>, probe: HostProbe) async throws -> HostProbe {
        var probe = probe
        probe.builder = try await classifiedAsync(.probing, kind: .infrastructure) {
            try await withTaskCancellationHandler {
                try await check.value
            } onCancel: {
                check.cancel()
            }
        }
        try classified(.probing, kind: .infrastructure) { try probe.verifyBuilder(against: host) }
        return probe
    }

    /// Runs `build` while the builder check finishes; returns what it built and the probe with the builder's
    /// answers. A builder found unusable wins over the build's outcome, and cancels a build still running.
    func buildingWhileChecked<T: Sendable>(
        _ build: @escaping @Sendable () async throws -> T, checking check: Task<BuilderProbe, any Error>,
        probe: HostProbe
    ) async throws -> (T, HostProbe) {
        try await withThrowingTaskGroup(of: BuildOrCheck<T>.self) { group in
            group.addTask {
                do { return .built(.success(try await build())) } catch { return .built(.failure(error)) }
            }
            group.addTask { .checked(try await finishBuilderCheck(check, probe: probe)) }
            var built: Result<T, any Error>?
            var checked: HostProbe?
            // A failed check throws here, which cancels the build.
            while let finished = try await group.next() {
                switch finished {
                case .built(let result): built = result
                case .checked(let probe): checked = probe
                }
            }
            guard let built, let checked else { throw CancellationError() }
            return (try built.get(), checked)
        }
    }
}

/// One of the two overlapped tasks finished.
private enum BuildOrCheck<T: Sendable>: Sendable {
    case built(Result<T, any Error>)
    case checked(HostProbe)
}
