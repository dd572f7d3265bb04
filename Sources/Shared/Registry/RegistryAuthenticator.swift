import Foundation
import NIOHTTP1

/// Decides the `Authorization` header for registry requests: none, basic credentials, or a bearer token from the
/// registry's token service, cached per scope (``BearerTokenCache``) with concurrent requests for the same token
/// sharing one token request.
actor RegistryAuthenticator {
    private let transport: RegistryTransport
    private let store: DockerCredentialStore?
    private var knownCredentials: [String: RegistryCredentials?] = [:]
    private var tokens = BearerTokenCache()
    private var pending: [BearerTokenCache.Key: Task<String, any Error>] = [:]

    /// Token responses are small.
    static let tokenResponseLimit = 1 << 20

    init(transport: RegistryTransport, store: DockerCredentialStore?) {
        self.transport = transport
        self.store = store
    }

    /// The header for a request to `registry` needing `scopes`, given the registry's `challenges`; `nil` for
    /// anonymous access. `refresh` drops a cached token first (the registry refused it); `extraScopes` are scope
    /// strings a challenge asked for.
    func authorization(
        registry: String, challenges: [AuthChallenge], scopes: [RepositoryScope], extraScopes: [String] = [],
        refresh: Bool = false
    ) async throws(RegistryError) -> String? {
        if let bearer = challenges.first(where: { $0.scheme == "bearer" && $0.realm != nil }) {
            let key = BearerTokenCache.Key(
                realm: bearer.realm!, service: bearer.parameters["service"],
                scopes: scopes.map(\.description) + extraScopes)
            return "Bearer " + (try await token(for: key, registry: registry, refresh: refresh))
        }
        if challenges.contains(where: { $0.scheme == "basic" }) {
            return try await credentials(for: registry)?.basicAuthorization
        }
        return nil
    }

    /// The stored credentials for `registry`, looked up once.
    func credentials(for registry: String) async throws(RegistryError) -> RegistryCredentials? {
        if let known = knownCredentials[registry] { return known }
        guard let store else { return nil }
        do throws(CredentialError) {
            let found = try await store.credentials(for: registry)
            knownCredentials[registry] = .some(found)
            return found
        } catch {
            throw .authenticationFailed(registry: registry, reason: error.description)
        }
    }

    private func token(for key: BearerTokenCache.Key, registry: String, refresh: Bool) async throws(RegistryError)
        -> String
    {
        if refresh { tokens.remove(key) }
        if let cached = tokens.token(for: key, at: Date()) { return cached }
        if let running = pending[key] { return try await Self.value(of: running, registry: registry) }
        let login = try await credentials(for: registry)
        let task = Task { try await self.fetchToken(for: key, registry: registry, credentials: login) }
        pending[key] = task
        defer { pending[key] = nil }
        return try await Self.value(of: task, registry: registry)
    }

    private static func value(of task: Task<String, any Error>, registry: String) async throws(RegistryError) -> String {
        do {
            return try await task.value
        } catch let error as RegistryError {
            throw error
        } catch {
            throw .authenticationFailed(registry: registry, reason: "\(error)")
        }
    }

    private func fetchToken(for key: BearerTokenCache.Key, registry: String, credentials: RegistryCredentials?)
        async throws(RegistryError) -> String
    {
        guard var components = URLComponents(string: key.realm), let realmURL = components.url, realmURL.host != nil,
            ["http", "https"].contains(realmURL.scheme)
        else {
            throw .authenticationFailed(registry: registry, reason: "the token realm `\(key.realm)` is not an HTTP(S) URL")
        }
        let realmAuthority = RegistryTransport.authority(of: realmURL)
        if realmURL.scheme == "http", !transport.security.isInsecure(realmAuthority) {
            throw .authenticationFailed(
                registry: registry,
                reason: "the token service \(key.realm) uses plain HTTP, which is refused for a host not marked insecure")
        }
        var exchange = HTTPExchange(method: .GET, url: realmURL, responseLimit: Self.tokenResponseLimit)
        exchange.tls = realmURL.scheme == "https" ? try transport.security.tlsConfiguration(for: realmAuthority) : nil
        if let refreshToken = credentials?.identityToken {
            var form = URLComponents()
            form.queryItems = [
                .init(name: "grant_type", value: "refresh_token"), .init(name: "refresh_token", value: refreshToken),
                .init(name: "client_id", value: "coordinator"), .init(name: "scope", value: key.scopes.joined(separator: " ")),
            ] + (key.service.map { [URLQueryItem(name: "service", value: $0)] } ?? [])
            exchange.method = .POST
            exchange.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            exchange.body = Array((form.percentEncodedQuery ?? "").utf8)
        } else {
            var items = components.queryItems ?? []
            if let service = key.service { items.append(.init(name: "service", value: service)) }
            items += key.scopes.map { URLQueryItem(name: "scope", value: $0) }
            if let credentials, !credentials.username.isEmpty {
                items.append(.init(name: "account", value: credentials.username))
                exchange.headers.add(name: "Authorization", value: credentials.basicAuthorization)
            }
            components.queryItems = items
            exchange.url = components.url ?? realmURL
        }
        let received = Date()
        let result = try await transport.send(exchange)
        guard result.status == 200 else {
            let who = credentials.map { "as \($0.username.isEmpty ? "identity token" : $0.username)" } ?? "anonymously"
            throw .authenticationFailed(
                registry: registry,
                reason: "the token service \(key.realm) refused a token for \(key.scopes.joined(separator: " ")) "
                    + "\(who) (HTTP \(result.status): \(result.bodyText.prefix(300)))"
                    + (credentials == nil ? "; no credentials are stored for \(registry): run `docker login \(registry)`" : ""))
        }
        guard let response = try? JSONDecoder().decode(BearerTokenResponse.self, from: Data(result.body)),
            let token = response.value
        else {
            throw .authenticationFailed(registry: registry, reason: "the token service \(key.realm) sent no token")
        }
        tokens.store(token, for: key, expiresIn: response.expiresIn, issuedAt: response.issuedDate, receivedAt: received)
        return token
    }
}
