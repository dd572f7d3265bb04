import Shared
import Worker

/// The SSH connections a release opens to its hosts while it reads its sources (the context's one read, the
/// resume check, the registry login), so that a build does not then wait for the handshake: over a wide-area
/// link that is about 7 round trips (0.28 s at 20 ms each way), and reading a large context takes seconds.
///
/// Each host's early connection serves the first build that asks for that host, or hands it the error the
/// attempt ended with (one connection attempt per build attempt, as without it: a changed host key is not tried
/// twice). Nothing runs on a host before its build: the connection only authenticates. One no build takes (a
/// platform the resume check found built, a host the scheduler did not use) is closed at the end.
actor SSHPreconnect {
    private var attempts: [String: Task<Result<SSHConnection, any Error>, Never>] = [:]

    /// Starts connecting to each host, once per host name.
    func start(_ hosts: [(name: String, target: SSHTarget)]) {
        for (name, target) in hosts where attempts[name] == nil {
            attempts[name] = Task {
                do {
                    return .success(try await SSHConnection.connect(to: target))
                } catch {
                    return .failure(error)
                }
            }
        }
    }

    /// The host's early connection, or the error its attempt ended with; nil when none was started or a build
    /// already took it. Cancelling the caller (Ctrl-C, `--timeout`) cancels an attempt still under way, as it
    /// would the build's own connect.
    func take(_ host: String) async -> Result<SSHConnection, any Error>? {
        guard let attempt = attempts.removeValue(forKey: host) else { return nil }
        return await withTaskCancellationHandler {
            await attempt.value
        } onCancel: {
            attempt.cancel()
        }
    }

    /// Stops the attempts still under way and closes every connection no build took.
    func closeRemaining() async {
        let remaining = attempts.values
        attempts = [:]
        for attempt in remaining {
            attempt.cancel()
            if case .success(let connection) = await attempt.value {
                await connection.close()
            }
        }
    }
}
