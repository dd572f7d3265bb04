/// A registry request that failed in a way worth another attempt, reported just before the client waits and
/// tries again, so that a user sees why a command pauses and which registry is at fault.
public struct RegistryRetry: Sendable, Hashable, CustomStringConvertible {
    /// `METHOD URL` of the request.
    public var request: String
    /// The registry (`host[:port]`) the request went to.
    public var registry: String
    /// What went wrong: `HTTP 503`, `connection refused`, ...
    public var reason: String
    /// The attempt that failed (1-based).
    public var attempt: Int
    /// The most attempts the policy allows.
    public var maxAttempts: Int
    /// The wait before the next attempt.
    public var delay: Duration

    /// Creates a report.
    public init(request: String, registry: String, reason: String, attempt: Int, maxAttempts: Int, delay: Duration) {
        self.request = request
        self.registry = registry
        self.reason = reason
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.delay = delay
    }

    public var description: String {
        "registry \(registry): \(request) failed (\(reason)); attempt \(attempt + 1) of \(maxAttempts) "
            + "in \(delay.milliseconds) ms"
    }
}
