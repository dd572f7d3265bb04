/// The steps one platform's build goes through, as reported live and timed in the report.
public enum BuildPhase: String, CaseIterable, Hashable, Sendable, Codable, CustomStringConvertible {
    case queued
    case connecting
    case probing
    case uploading
    case building
    case pushing
    case fetching
    case verifying
    case done
    case failed
    case skipped

    public var description: String { rawValue }
}
