/// One entry of a registry's error body (`{"errors":[{"code":…,"message":…,"detail":…}]}`).
public struct DistributionError: Codable, Sendable, Hashable {
    /// The error code, e.g. `MANIFEST_UNKNOWN`, `MANIFEST_BLOB_UNKNOWN`, `UNAUTHORIZED`, `DENIED`.
    public var code: String
    /// The registry's message.
    public var message: String?
    /// Extra detail, any JSON.
    public var detail: JSONValue?

    /// Creates an entry.
    public init(code: String, message: String? = nil, detail: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.detail = detail
    }
}

/// A registry operation that failed, with what the registry said.
public enum RegistryError: Error, CustomStringConvertible, Sendable {
    /// The registry answered `status`; `errors` is its decoded error body, `body` the raw body when it could
    /// not be decoded (kept, never lost).
    case rejected(request: String, status: Int, errors: [DistributionError], body: String?)
    /// No usable answer after `attempts` tries (connection refused or dropped, TLS failure, timeouts).
    case unreachable(request: String, reason: String, attempts: Int)
    /// The content's digest is not the one the registry announced or the one that was asked for.
    case digestMismatch(request: String, expected: Digest, computed: Digest, expectedFrom: String)
    /// The response body exceeded the limit for its kind.
    case responseTooLarge(request: String, limit: Int)
    /// The response cannot be used (not JSON, missing header, wrong type).
    case invalidResponse(request: String, reason: String)
    /// Credentials or a token could not be obtained or were refused.
    case authenticationFailed(registry: String, reason: String)
    /// More than the allowed number of redirects.
    case tooManyRedirects(request: String)
    /// The client's settings cannot work for this registry (missing CA file, plain HTTP refused, ...).
    case configuration(registry: String, reason: String)

    /// The HTTP status, for ``rejected(request:status:errors:body:)``.
    public var status: Int? {
        if case .rejected(_, let status, _, _) = self { return status }
        return nil
    }

    /// The registry's error codes, for ``rejected(request:status:errors:body:)``.
    public var codes: [String] {
        if case .rejected(_, _, let errors, _) = self { return errors.map(\.code) }
        return []
    }

    /// Whether the registry said the thing does not exist.
    public var isNotFound: Bool {
        status == 404 || codes.contains { ["MANIFEST_UNKNOWN", "BLOB_UNKNOWN", "NAME_UNKNOWN"].contains($0) }
    }

    public var description: String {
        switch self {
        case .rejected(let request, let status, let errors, let body):
            var text = "\(request) failed with HTTP \(status)"
            if !errors.isEmpty {
                text += ": " + Self.excerpt(errors.map { error in
                    [error.code, error.message].compactMap { $0 }.joined(separator: " ")
                        + (error.detail.map { " (\(String(decoding: $0.canonicalBytes(), as: UTF8.self)))" } ?? "")
                }.joined(separator: "; "))
            } else if let body, !body.isEmpty {
                text += ": \(Self.excerpt(body))"
            }
            if let hint = Self.hint(status: status, codes: errors.map(\.code)) { text += ". \(hint)" }
            return text
        case .unreachable(let request, let reason, let attempts):
            return "\(request) failed after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(reason)"
        case .digestMismatch(let request, let expected, let computed, let expectedFrom):
            return "\(request): the content's digest is \(computed) but \(expectedFrom) says \(expected); "
                + "the content was changed in transit or the registry is misbehaving, so it was not used"
        case .responseTooLarge(let request, let limit):
            return "\(request): the response is larger than the \(limit)-byte limit for it, so it was not read"
        case .invalidResponse(let request, let reason):
            return "\(request): unusable response: \(reason)"
        case .authenticationFailed(let registry, let reason):
            return "authentication to \(registry) failed: \(reason)"
        case .tooManyRedirects(let request):
            return "\(request): too many redirects"
        case .configuration(let registry, let reason):
            return "cannot use \(registry): \(reason)"
        }
    }

    /// The most characters of an undecodable error body that an error message shows.
    static let excerptLimit = 512

    /// `body` fit for a terminal and a log line: control characters (escape sequences, NUL, bells) shown as `\u{…}`,
    /// and at most ``excerptLimit`` characters, with the body's full length when it was cut.
    static func excerpt(_ body: String) -> String {
        var text = ""
        var shown = 0
        for character in body {
            guard shown < excerptLimit else {
                return text + "… (\(body.utf8.count) bytes in all)"
            }
            let control = character.unicodeScalars.contains { $0.properties.generalCategory == .control }
            text += control && character != " "
                ? character.unicodeScalars.map { "\\u{\(String($0.value, radix: 16))}" }.joined() : String(character)
            shown += 1
        }
        return text
    }

    private static func hint(status: Int, codes: [String]) -> String? {
        if codes.contains("MANIFEST_BLOB_UNKNOWN") {
            return "Every manifest an index points to must already be in the same repository"
        }
        switch status {
        case 401: return "Log in with `docker login` (credentials are read from $DOCKER_CONFIG or ~/.docker/config.json)"
        case 403: return "The credentials are valid but lack permission for this repository"
        case 404: return "Check the registry, repository and tag or digest"
        default: return nil
        }
    }
}
