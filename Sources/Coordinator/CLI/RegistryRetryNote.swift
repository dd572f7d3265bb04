import Foundation
import Shared

/// Writes a line to standard error for each registry retry, so a user sees why a command pauses and which
/// registry and request are at fault: `warning: registry HOST: GET URL failed (REASON); attempt 2 of 6 in 250 ms`,
/// or, with `--progress json`, one JSON object (`{"registryRetry":{…},"time":…}`) like the other progress lines.
enum RegistryRetryNote {
    /// A plain-text line per retry.
    static let plain: @Sendable (RegistryRetry) -> Void = { retry in
        FileHandle.standardError.write(Data("warning: \(retry)\n".utf8))
    }

    /// A JSON line per retry.
    static let json: @Sendable (RegistryRetry) -> Void = { retry in
        struct Line: Encodable {
            struct Retry: Encodable {
                var registry: String
                var request: String
                var reason: String
                var attempt: Int
                var maxAttempts: Int
                var delaySeconds: Double
            }
            var time: Date
            var registryRetry: Retry
        }
        let line = Line(time: Date(), registryRetry: Line.Retry(
            registry: retry.registry, request: retry.request, reason: retry.reason, attempt: retry.attempt,
            maxAttempts: retry.maxAttempts, delaySeconds: retry.delay.seconds))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(line) else { return }
        FileHandle.standardError.write(data + Data("\n".utf8))
    }
}
