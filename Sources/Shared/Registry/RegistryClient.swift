import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A client for the OCI distribution API (registry v2) on AsyncHTTPClient.
///
/// One client serves any number of registries and concurrent tasks: each registry is probed once (`GET /v2/`:
/// scheme and authentication), bearer tokens are cached per scope until they expire, transient failures are
/// retried with backoff, and every manifest and blob is checked against its digest. Call ``shutdown()`` when
/// done, or use ``withClient(configuration:_:)``.
public final class RegistryClient: Sendable {
    /// How the client reaches and authenticates to registries.
    public struct Configuration: Sendable {
        /// Plain HTTP and certificate rules.
        public var security: RegistrySecurity
        /// Where credentials come from; `nil` for anonymous access only.
        public var credentials: DockerCredentialStore?
        /// Retries for transient failures.
        public var retry: RetryPolicy
        /// Time limit for one HTTP request.
        public var requestTimeout: Duration
        /// The `User-Agent` header.
        public var userAgent: String
        /// Told about each retry of a request before the client waits (for progress output); `nil` for silence.
        public var onRetry: (@Sendable (RegistryRetry) -> Void)?

        /// Creates a configuration; credentials default to Docker's config (`$DOCKER_CONFIG` or `~/.docker`).
        public init(
            security: RegistrySecurity = RegistrySecurity(), credentials: DockerCredentialStore? = DockerCredentialStore(),
            retry: RetryPolicy = RetryPolicy(), requestTimeout: Duration = .seconds(120), userAgent: String = "coordinator",
            onRetry: (@Sendable (RegistryRetry) -> Void)? = nil
        ) {
            self.security = security
            self.credentials = credentials
            self.retry = retry
            self.requestTimeout = requestTimeout
            self.userAgent = userAgent
            self.onRetry = onRetry
        }
    }

    /// The configuration the client was made with.
    public let configuration: Configuration
    private let http: HTTPClient
    /// The loop that serves this client's connections.
    let eventLoop: any EventLoop
    let transport: RegistryTransport
    private let endpoints = RegistryEndpointCache()
    private let authenticator: RegistryAuthenticator

    /// Creates a client. Call ``shutdown()`` before it is released.
    public init(configuration: Configuration = Configuration()) {
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.redirectConfiguration = .disallow  // followed by hand: see RegistryTransport
        httpConfiguration.connectionPool.retryConnectionEstablishment = false  // retried by RetryPolicy instead
        httpConfiguration.timeout = .init(connect: .seconds(15), read: .seconds(60))
        self.configuration = configuration
        // One event loop serves all of this client's connections, and ``withClient(configuration:_:)`` runs its body
        // on that loop too (see EventLoopTaskExecutor): a response resumes its request where it was read, with no
        // hand-over to the cooperative pool and back (a scheduler wake-up each way on a busy machine).
        self.eventLoop = HTTPClient.defaultEventLoopGroup.next()
        self.http = HTTPClient(eventLoopGroup: eventLoop, configuration: httpConfiguration)
        let (seconds, attoseconds) = configuration.requestTimeout.components
        self.transport = RegistryTransport(
            http: http, retry: configuration.retry, security: configuration.security,
            timeout: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000), onRetry: configuration.onRetry)
        self.authenticator = RegistryAuthenticator(transport: transport, store: configuration.credentials)
    }

    /// Closes connections. The client cannot be used afterwards.
    public func shutdown() async throws { try await http.shutdown() }

    /// Runs `body` with a new client and shuts it down afterwards, whether `body` succeeds or throws. `body` and the
    /// tasks it starts run on the client's event loop; the rest runs on the caller's executor. A body that is
    /// isolated to an actor (a closure formed on the main actor, unless it is `@Sendable`) runs on that actor instead.
    @discardableResult
    nonisolated(nonsending) public static func withClient<T: Sendable>(
        configuration: Configuration = Configuration(), _ body: (RegistryClient) async throws -> T
    ) async throws -> T {
        let client = RegistryClient(configuration: configuration)
        do {
            let result = try await client.onEventLoop { try await body(client) }
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// Runs `body` with this client's event loop as its task executor (where the platform has task executors).
    nonisolated(nonsending) private func onEventLoop<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        if #available(macOS 15.0, *) {
            return try await withTaskExecutorPreference(EventLoopTaskExecutor(eventLoop)) { try await body() }
        }
        return try await body()
    }

    /// One registry API call.
    struct Call: Sendable {
        var method: HTTPMethod
        var registry: String
        var apiHost: String
        /// A path under the endpoint (`/v2/...`) or an absolute URL (an upload `Location`).
        var path: String
        var headers: HTTPHeaders = [:]
        var body: [UInt8]?
        var scopes: [RepositoryScope]
        var responseLimit: Int
        /// Statuses that mean success; anything else becomes ``RegistryError/rejected(request:status:errors:body:)``.
        var expecting: Set<Int>

        init(
            _ method: HTTPMethod, _ reference: ImageReference, path: String, scopes: [RepositoryScope],
            responseLimit: Int = 64 * 1024, expecting: Set<Int>
        ) {
            self.method = method
            self.registry = reference.registry
            self.apiHost = reference.apiHost
            self.path = path
            self.scopes = scopes
            self.responseLimit = responseLimit
            self.expecting = expecting
        }
    }

    /// Sends `call` to its registry. The first request to a registry doubles as its probe: a provisional
    /// plain-HTTP endpoint that fails like a TLS server is corrected by a full probe and the call sent again.
    func send(_ call: Call) async throws(RegistryError) -> HTTPResult {
        let transport = self.transport
        let endpoint = try await endpoints.current(for: call.registry) { () throws(RegistryError) in
            try transport.initialEndpoint(registry: call.registry, apiHost: call.apiHost)
        }
        guard endpoint.provisional else { return try await send(call, to: endpoint) }
        do {
            let result = try await send(call, to: endpoint)
            await endpoints.confirm(endpoint)
            return result
        } catch where RegistryTransport.suggestsTLS(error) {
            let probed = try await endpoints.probe(call.registry) { () async throws(RegistryError) in
                try await transport.probe(registry: call.registry, apiHost: call.apiHost)
            }
            return try await send(call, to: probed)
        } catch {
            await endpoints.confirm(endpoint)  // the registry answered over plain HTTP
            throw error
        }
    }

    /// Sends `call` to `endpoint` with authentication: after a 401 the challenge is answered once (a new token for
    /// the asked scope, or credentials), remembered for later calls, and the call repeated.
    private func send(_ call: Call, to endpoint: RegistryEndpoint) async throws(RegistryError) -> HTTPResult {
        let registry = call.registry
        var exchange = HTTPExchange(
            method: call.method, url: call.path.hasPrefix("/") ? endpoint.url(call.path) : URL(string: call.path)!,
            headers: call.headers, body: call.body, responseLimit: call.responseLimit, tls: endpoint.tls)
        exchange.headers.replaceOrAdd(name: "User-Agent", value: configuration.userAgent)
        // An absolute URL from the registry (an upload Location) on another origin gets no credentials.
        let sameOrigin = RegistryTransport.isSameOrigin(exchange.url, endpoint.baseURL)
        var authorization = sameOrigin
            ? try await authenticator.authorization(registry: registry, challenges: endpoint.challenges, scopes: call.scopes)
            : nil
        var result = try await transport.send(exchange.authorized(authorization))
        if result.status == 401, sameOrigin {
            let challenges = (try? AuthChallenge.parse(result.headers["WWW-Authenticate"])) ?? []
            await endpoints.learn(challenges, for: registry)
            let asked = challenges.compactMap { $0.parameters["scope"] }.flatMap { $0.split(separator: " ").map(String.init) }
            let retried = try await authenticator.authorization(
                registry: registry, challenges: challenges.isEmpty ? endpoint.challenges : challenges, scopes: call.scopes,
                extraScopes: asked, refresh: true)
            if let retried, retried != authorization {
                authorization = retried
                result = try await transport.send(exchange.authorized(authorization))
            } else if retried == nil, try await authenticator.credentials(for: registry) == nil {
                throw .authenticationFailed(
                    registry: registry,
                    reason: "\(exchange.summary) needs credentials and none are stored for \(registry) in "
                        + "\(configuration.credentials?.configFile ?? "any Docker config"): run `docker login \(registry)`")
            }
        }
        guard call.expecting.contains(result.status) else {
            throw RegistryTransport.rejection(result, request: exchange.summary)
        }
        return result
    }
}

extension HTTPExchange {
    /// This exchange with `authorization` as its `Authorization` header (or none).
    func authorized(_ authorization: String?) -> HTTPExchange {
        var copy = self
        copy.headers.remove(name: "Authorization")
        if let authorization { copy.headers.add(name: "Authorization", value: authorization) }
        return copy
    }
}
