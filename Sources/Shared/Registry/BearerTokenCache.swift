import Foundation

/// Bearer tokens already obtained, per token service and scope set, kept until shortly before they expire.
///
/// A token is reused for every request with the same realm, service and scopes (repository + actions) until
/// `expires_in` runs out, less a safety margin, so a release's many requests cost one token request per scope.
public struct BearerTokenCache: Sendable {
    /// What a token was issued for.
    public struct Key: Sendable, Hashable {
        /// The token endpoint.
        public var realm: String
        /// The `service` parameter.
        public var service: String?
        /// The scopes, sorted, in token-request form.
        public var scopes: [String]

        /// Creates a key; `scopes` are sorted and deduplicated.
        public init(realm: String, service: String?, scopes: [String]) {
            self.realm = realm
            self.service = service
            self.scopes = Array(Set(scopes)).sorted()
        }
    }

    /// The lifetime a token server means when it sends no `expires_in` (distribution's token spec).
    public static let defaultLifetime: TimeInterval = 60

    private var entries: [Key: (token: String, expires: Date)] = [:]

    /// An empty cache.
    public init() {}

    /// The cached token for `key` if it is still valid at `now`.
    public func token(for key: Key, at now: Date) -> String? {
        guard let entry = entries[key], now < entry.expires else { return nil }
        return entry.token
    }

    /// Stores `token`, valid for `expiresIn` seconds (default 60) from `issuedAt` (or `receivedAt` when the server's
    /// clock is ahead), less a margin of a tenth of the lifetime, at most 30 seconds.
    public mutating func store(_ token: String, for key: Key, expiresIn: Int?, issuedAt: Date?, receivedAt: Date) {
        let lifetime = expiresIn.map(TimeInterval.init).flatMap { $0 > 0 ? $0 : nil } ?? Self.defaultLifetime
        let start = min(issuedAt ?? receivedAt, receivedAt)
        entries[key] = (token, start.addingTimeInterval(lifetime - min(lifetime / 10, 30)))
    }

    /// Forgets the token for `key` (the registry refused it).
    public mutating func remove(_ key: Key) { entries[key] = nil }
}

/// A token server's answer.
struct BearerTokenResponse: Decodable {
    var token: String?
    var accessToken: String?
    var expiresIn: Int?
    var issuedAt: String?

    enum CodingKeys: String, CodingKey {
        case token
        case accessToken = "access_token"
        case expiresIn = "expires_in"
        case issuedAt = "issued_at"
    }

    /// `token`, else `access_token` (OAuth 2 servers send only the latter).
    var value: String? { [token, accessToken].compactMap { $0 }.first { !$0.isEmpty } }

    /// `issued_at` as a date (RFC 3339, with or without fractional seconds).
    var issuedDate: Date? {
        guard let issuedAt else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: issuedAt) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: issuedAt)
    }
}
