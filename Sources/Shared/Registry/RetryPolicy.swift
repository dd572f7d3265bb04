import Foundation

/// How often and how patiently a registry request is retried after a transient failure: HTTP 429, a 5xx
/// status other than 501/505, or a connection that was refused, reset or dropped.
///
/// The default (6 attempts, 250 ms doubling to at most 4 s, ±25% jitter) waits 5.8 to 9.7 s in all before it
/// gives up: long enough to ride out a registry restart, short enough to fail a command promptly when the registry
/// is really gone.
public struct RetryPolicy: Sendable, Hashable {
    /// Total attempts including the first (at least 1).
    public var maxAttempts: Int
    /// Delay before the second attempt; it doubles for each further attempt.
    public var initialBackoff: Duration
    /// Upper bound for any one delay, including one asked for by `Retry-After`.
    public var maxBackoff: Duration

    /// Creates a policy.
    public init(maxAttempts: Int = 6, initialBackoff: Duration = .milliseconds(250), maxBackoff: Duration = .seconds(4)) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
    }

    /// The delay after failed attempt number `attempt` (1-based): exponential with ±25% jitter, or the
    /// registry's `Retry-After` seconds when given, capped at ``maxBackoff``.
    public func delay(afterAttempt attempt: Int, retryAfter: String? = nil) -> Duration {
        if let retryAfter, let seconds = Int(retryAfter.trimmingCharacters(in: .whitespaces)), seconds >= 0 {
            return min(.seconds(seconds), maxBackoff)
        }
        let exponential = initialBackoff * (1 << min(max(attempt - 1, 0), 16))
        let jitter = Double.random(in: 0.75...1.25)
        return min(exponential * jitter, maxBackoff)
    }

    /// Whether a response with `status` is worth another attempt.
    public static func isRetryable(status: Int) -> Bool {
        status == 429 || (500...599).contains(status) && status != 501 && status != 505
    }
}
