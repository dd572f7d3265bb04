import Foundation
import NIOSSL

/// Where a registry is reached and how it wants authentication, as the client learned it: from its first
/// answers, or from `GET /v2/` when the first guess was wrong.
struct RegistryEndpoint: Sendable {
    /// The registry as written in references (`host[:port]`, `docker.io`).
    var registry: String
    /// `https://host[:port]` or, for an insecure registry that does not speak TLS, `http://host[:port]`.
    var baseURL: URL
    /// TLS settings for HTTPS endpoints.
    var tls: TLSConfiguration?
    /// The challenges from the registry's `WWW-Authenticate` (empty until it asks, or when it allows anonymous
    /// access).
    var challenges: [AuthChallenge]
    /// A plain-HTTP guess for a registry that may use it, not yet confirmed by an answer from the registry.
    var provisional = false

    /// `baseURL` + `path`.
    func url(_ path: String) -> URL { URL(string: baseURL.absoluteString + path)! }
}

/// The client's knowledge of each registry: its endpoint, confirmed or corrected by answers, and the challenges it
/// sent. A full probe runs only when a first guess was wrong, once for all concurrent callers.
actor RegistryEndpointCache {
    private var known: [String: RegistryEndpoint] = [:]
    private var probes: [String: Task<RegistryEndpoint, any Error>] = [:]

    /// The endpoint to use for `registry` now: what was learned, else `initial()` (remembered from then on).
    func current(for registry: String, initial: () throws(RegistryError) -> RegistryEndpoint)
        throws(RegistryError) -> RegistryEndpoint
    {
        if let endpoint = known[registry] { return endpoint }
        let endpoint = try initial()
        known[registry] = endpoint
        return endpoint
    }

    /// `endpoint` answered as a registry: its scheme is right.
    func confirm(_ endpoint: RegistryEndpoint) {
        guard var current = known[endpoint.registry], current.baseURL == endpoint.baseURL else { return }
        current.provisional = false
        known[endpoint.registry] = current
    }

    /// `registry` asked for authentication with `challenges`: later requests answer them up front.
    func learn(_ challenges: [AuthChallenge], for registry: String) {
        guard !challenges.isEmpty else { return }
        known[registry]?.challenges = challenges
    }

    /// Probes `registry` (once for concurrent callers) and remembers the result.
    func probe(
        _ registry: String, with probe: @escaping @Sendable () async throws(RegistryError) -> RegistryEndpoint
    ) async throws(RegistryError) -> RegistryEndpoint {
        let task = probes[registry] ?? Task { try await probe() }
        probes[registry] = task
        do {
            let endpoint = try await task.value
            known[registry] = endpoint
            return endpoint
        } catch {
            probes[registry] = nil  // let a later call try again
            throw error as? RegistryError ?? .unreachable(request: "GET /v2/ on \(registry)", reason: "\(error)", attempts: 1)
        }
    }
}

extension RegistryTransport {
    /// The first guess for `registry`, before any request: HTTPS with its TLS settings, or for a registry that may
    /// use plain HTTP, a provisional plain-HTTP endpoint (corrected by ``probe(registry:apiHost:)`` when the
    /// registry turns out to speak TLS).
    func initialEndpoint(registry: String, apiHost: String) throws(RegistryError) -> RegistryEndpoint {
        if security.isInsecure(registry) {
            return RegistryEndpoint(
                registry: registry, baseURL: URL(string: "http://\(apiHost)")!, tls: nil, challenges: [], provisional: true)
        }
        return RegistryEndpoint(
            registry: registry, baseURL: URL(string: "https://\(apiHost)")!, tls: try security.tlsConfiguration(for: registry),
            challenges: [])
    }

    /// Whether a provisional plain-HTTP request failed the way a TLS-only server makes it fail: no answer, or a 400
    /// that is not a registry error. A refused connection is not one: nothing listens there, TLS or not.
    static func suggestsTLS(_ error: RegistryError) -> Bool {
        switch error {
        case .unreachable(_, let reason, _): reason != refused
        case .rejected(_, 400, let errors, _): errors.isEmpty
        default: false
        }
    }

    /// Finds how to talk to `registry`: HTTPS (verified, with its TLS settings). A registry that may use plain
    /// HTTP (see ``RegistrySecurity/isInsecure(_:)``) is asked over plain HTTP first, and over HTTPS when it answers
    /// like a TLS server (HTTP 400, or a dropped connection). That order is no weaker than Docker's HTTPS-then-HTTP
    /// fallback (whoever can answer plain HTTP can also break the TLS attempt) and spares a plain registry the TLS
    /// setup, which costs more than the whole exchange on loopback.
    func probe(registry: String, apiHost: String) async throws(RegistryError) -> RegistryEndpoint {
        let tls = try security.tlsConfiguration(for: registry)
        let secure = RegistryEndpoint(registry: registry, baseURL: URL(string: "https://\(apiHost)")!, tls: tls, challenges: [])
        guard security.isInsecure(registry) else { return try await ping(secure, retrying: true) }
        let plain = RegistryEndpoint(registry: registry, baseURL: URL(string: "http://\(apiHost)")!, tls: nil, challenges: [])
        let plainFailure: RegistryError
        do throws(RegistryError) {
            return try await ping(plain, retrying: true)
        } catch {
            // A plain-HTTP registry that answered with an error: what it said is the story.
            guard error.status == nil || error.status == 400 else { throw error }
            plainFailure = error
        }
        do throws(RegistryError) {
            return try await ping(secure, retrying: false)
        } catch {
            guard case .unreachable(_, let tlsFailure, _) = error else { throw error }
            if plainFailure.status == 400 {
                // A TLS server answering a plain request: TLS is the way, and it failed.
                throw .configuration(
                    registry: registry,
                    reason: "it speaks TLS, but the TLS connection failed (\(tlsFailure)). If it uses its own CA, put "
                        + "the CA in \(security.certsDirectory)/\(registry)/ca.crt or pass --ca-cert")
            }
            throw .unreachable(
                request: "GET /v2/ on \(registry)", reason: "over plain HTTP: \(plainFailure); over HTTPS: \(tlsFailure)",
                attempts: retry.maxAttempts)
        }
    }

    private func ping(_ endpoint: RegistryEndpoint, retrying: Bool) async throws(RegistryError) -> RegistryEndpoint {
        let exchange = HTTPExchange(method: .GET, url: endpoint.url("/v2/"), responseLimit: 64 * 1024, tls: endpoint.tls)
        let result: HTTPResult
        if retrying {
            result = try await send(exchange)
        } else {
            do {
                result = try await sendFollowingRedirects(exchange)
            } catch let error as RegistryError {
                throw error
            } catch {
                throw .unreachable(request: exchange.summary, reason: Self.explain(error), attempts: 1)
            }
        }
        switch result.status {
        case 200:
            return endpoint
        case 401:
            var found = endpoint
            do throws(AuthChallengeError) {
                found.challenges = try AuthChallenge.parse(result.headers["WWW-Authenticate"])
            } catch {
                throw .invalidResponse(request: exchange.summary, reason: error.description)
            }
            return found
        default:
            throw Self.rejection(result, request: exchange.summary)
        }
    }
}
