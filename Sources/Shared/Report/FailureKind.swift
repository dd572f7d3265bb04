/// Whose fault a failure is, which decides what the coordinator does next.
public enum FailureKind: String, Hashable, Sendable, Codable {
    /// The host, network or daemon failed (unreachable, auth, daemon down, disk full, connection
    /// lost): the platform moves to the next eligible host.
    case infrastructure
    /// The builder rejected the build (a Dockerfile step failed): retrying elsewhere would fail
    /// the same way, so it is reported, not retried.
    case build
    /// The run was interrupted.
    case cancelled
}

/// An error that knows its ``FailureKind``. Errors that do not conform count as infrastructure
/// failures.
public protocol ClassifiedError: Error, CustomStringConvertible {
    var failureKind: FailureKind { get }
}

/// An error that can say the host itself is unusable for the rest of the run: its host key is unknown or
/// changed, it refuses our credentials, or it is not what the inventory says. Another attempt on that
/// host would fail the same way (and, for a changed key, would knock again on a door that may be an
/// impostor's), so the scheduler tries only other hosts after it.
public protocol HostDisqualifyingError: Error {
    /// True when no further attempt should go to the host this run.
    var disqualifiesHost: Bool { get }
}

extension FailureKind {
    /// Whether `error` rules its host out for the rest of the run.
    public static func disqualifiesHost(_ error: any Error) -> Bool {
        (error as? any HostDisqualifyingError)?.disqualifiesHost ?? false
    }

    /// The kind of any error: its own if classified, `cancelled` for task cancellation, else
    /// infrastructure.
    public static func of(_ error: any Error) -> FailureKind {
        if let classified = error as? any ClassifiedError { return classified.failureKind }
        if error is CancellationError { return .cancelled }
        return .infrastructure
    }
}
