import Shared

extension HostProbe {
    /// Asks `host` about itself over an open connection (one command) and parses the answer; also asks
    /// whether `contextDirectory` is there, when given. Without ``Questions/builder`` in `questions`, the
    /// result's builder says it was not asked: check it with ``probeBuilder(_:over:)``.
    /// - Throws: ``HostProbeError`` when the host does not answer the basic questions; SSH errors as they are.
    public static func probe(
        _ host: BuildHost, over connection: SSHConnection, contextDirectory: String? = nil,
        asking questions: Questions = .all
    ) async throws -> HostProbe {
        let answer = try await connection.run(command(for: host, contextDirectory: contextDirectory, asking: questions))
        return try parse(answer.stdoutText, builder: host.builder, host: host.name)
    }

    /// Asks `host` about its builder only (one command).
    /// - Throws: SSH errors as they are; a builder that does not answer is a ``BuilderProbe/problem``.
    public static func probeBuilder(_ host: BuildHost, over connection: SSHConnection) async throws -> BuilderProbe {
        let answer = try await connection.run(command(for: host, asking: .builder))
        return parseBuilder(answer.stdoutText, kind: host.builder)
    }
}

extension RemoteWorker {
    /// Connects, probes and checks the host against its inventory entry without building anything
    /// (`coordinator hosts check`).
    /// - Throws: ``RemoteBuildError`` (infrastructure) naming what the host says and what the inventory says.
    public func check() async throws -> HostProbe {
        var phases: [BuildPhase: Duration] = [:]
        let connection = try await timed(.connecting, into: &phases) { try await SSHConnection.connect(to: target) }
        do {
            let probe = try await timed(.probing, into: &phases) {
                let probe = try await HostProbe.probe(host, over: connection)
                try probe.verify(against: host)
                return probe
            }
            await connection.close()
            return probe
        } catch {
            await connection.close()
            throw error
        }
    }
}
