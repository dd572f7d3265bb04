import Foundation
import NIOSSL

/// What the client learned about a registry from `GET /v2/`: where to reach it and how it wants
/// authentication.
struct RegistryEndpoint: Sendable {
    /// The registry as written in references (`host[:port]`, `docker.io`).
    var registry: String
    /// `https://host[:port]` or, for an insecure registry that does not speak TLS, `http://host[:port]`.
    var baseURL: URL
    /// TLS settings for HTTPS endpoints.
    var tls: TLSConfiguration?
    /// The challenges from the ping's `WWW-Authenticate` (empty when the registry allows anonymous access).
    var challenges: [AuthChallenge]

    /// `baseURL` + `path`.
    func url(_ path: String) -> URL { URL(string: baseURL.absoluteString + path)! }
}

/// Probes each registry once (concurrent callers share the probe) and remembers the result.
actor RegistryEndpointCache {
    private var probes: [String: Task<RegistryEndpoint, any Error>] = [:]

    func endpoint(
        for registry: String, probe: @escaping @Sendable () async throws(RegistryError) -> RegistryEndpoint
    ) async throws(RegistryError) -> RegistryEndpoint {
        let task = probes[registry] ?? Task { try await probe() }
        probes[registry] = task
        do {
            return try await task.value
        } catch {
            probes[registry] = nil  // let a later call try again
            throw error as? RegistryError ?? .unreachable(request: "GET /v2/ on \(registry)", reason: "\(error)", attempts: 1)
        }
    }
}

extension RegistryTransport {
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
