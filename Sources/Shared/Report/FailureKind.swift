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

extension FailureKind {
    /// The kind of any error: its own if classified, `cancelled` for task cancellation, else
    /// infrastructure.
    public static func of(_ error: any Error) -> FailureKind {
        if let classified = error as? any ClassifiedError { return classified.failureKind }
        if error is CancellationError { return .cancelled }
        return .infrastructure
    }
}
