import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// One HTTP request to a registry or token server, with authentication already decided.
struct HTTPExchange: Sendable {
    var method: HTTPMethod
    var url: URL
    var headers: HTTPHeaders = [:]
    var body: [UInt8]?
    /// The most bytes a successful response body may have; error bodies are cut at ``errorBodyLimit``.
    var responseLimit: Int
    var tls: TLSConfiguration?

    /// Error bodies are kept up to this size, then truncated.
    static let errorBodyLimit = 64 * 1024

    /// `METHOD URL`, for errors.
    var summary: String { "\(method.rawValue) \(url.absoluteString)" }
}

/// A registry's answer.
struct HTTPResult: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
    /// The URL that answered (after redirects).
    var url: URL

    /// The body as text, for error messages.
    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// Sends ``HTTPExchange``s: bounded retries with backoff, redirects followed by hand (the `Authorization`
/// header never goes to another origin, HTTPS never downgrades to HTTP for a secure registry), size limits.
struct RegistryTransport: Sendable {
    let http: HTTPClient
    let retry: RetryPolicy
    let security: RegistrySecurity
    let timeout: TimeAmount
    /// Told about each retry before the wait.
    var onRetry: (@Sendable (RegistryRetry) -> Void)? = nil

    static let maxRedirects = 5

    /// Sends `exchange`, retrying 429, 5xx and dropped connections as ``retry`` allows. A final error status is
    /// returned, not thrown: the caller decides what it means.
    func send(_ exchange: HTTPExchange) async throws(RegistryError) -> HTTPResult {
        var attempt = 1
        while true {
            do {
                let result = try await sendFollowingRedirects(exchange)
                guard RetryPolicy.isRetryable(status: result.status), attempt < retry.maxAttempts else { return result }
                let delay = retry.delay(afterAttempt: attempt, retryAfter: result.headers.first(name: "Retry-After"))
                report(exchange, reason: "HTTP \(result.status)", attempt: attempt, delay: delay)
                try await Task.sleep(for: delay)
            } catch let error as RegistryError {
                throw error
            } catch {
                guard Self.isTransient(error), attempt < retry.maxAttempts else {
                    throw .unreachable(request: exchange.summary, reason: Self.explain(error), attempts: attempt)
                }
                let delay = retry.delay(afterAttempt: attempt)
                report(exchange, reason: Self.explain(error), attempt: attempt, delay: delay)
                do {
                    try await Task.sleep(for: delay)
                } catch {
                    throw .unreachable(request: exchange.summary, reason: "cancelled", attempts: attempt)
                }
            }
            attempt += 1
        }
    }

    private func report(_ exchange: HTTPExchange, reason: String, attempt: Int, delay: Duration) {
        onRetry?(RegistryRetry(
            request: exchange.summary, registry: Self.authority(of: exchange.url), reason: reason, attempt: attempt,
            maxAttempts: retry.maxAttempts, delay: delay))
    }

    /// Sends once, following redirects, without retries.
    func sendFollowingRedirects(_ exchange: HTTPExchange) async throws -> HTTPResult {
        var current = exchange
        for _ in 0...Self.maxRedirects {
            let result = try await sendOnce(current)
            guard [301, 302, 303, 307, 308].contains(result.status), let location = result.headers.first(name: "Location"),
                let next = URL(string: location, relativeTo: current.url)?.absoluteURL
            else { return result }
            let nextRegistry = Self.authority(of: next)
            if next.scheme != "https", current.url.scheme == "https" || !security.isInsecure(nextRegistry) {
                throw RegistryError.invalidResponse(
                    request: current.summary, reason: "it redirects to plain HTTP (\(next.absoluteString)), which was refused")
            }
            if !Self.isSameOrigin(current.url, next) {
                current.headers.remove(name: "Authorization")
                current.tls = next.scheme == "https" ? try security.tlsConfiguration(for: nextRegistry) : nil
            }
            if result.status == 303 || (result.status == 301 || result.status == 302) && current.method == .POST {
                current.method = .GET
                current.body = nil
            }
            current.url = next
        }
        throw RegistryError.tooManyRedirects(request: exchange.summary)
    }

    private func sendOnce(_ exchange: HTTPExchange) async throws -> HTTPResult {
        var request = HTTPClientRequest(url: exchange.url.absoluteString)
        request.method = exchange.method
        request.headers = exchange.headers
        if let body = exchange.body { request.body = .bytes(ByteBuffer(bytes: body)) }
        request.tlsConfiguration = exchange.tls
        let response = try await http.execute(request, timeout: timeout)
        let status = Int(response.status.code)
        let isError = status >= 400
        let limit = isError ? HTTPExchange.errorBodyLimit : exchange.responseLimit
        if !isError, exchange.method != .HEAD, let length = response.headers.first(name: "Content-Length").flatMap(Int.init),
            length > limit
        {
            throw RegistryError.responseTooLarge(request: exchange.summary, limit: limit)
        }
        var body: [UInt8] = []
        if exchange.method != .HEAD {
            for try await chunk in response.body {
                if body.count + chunk.readableBytes > limit {
                    guard isError else { throw RegistryError.responseTooLarge(request: exchange.summary, limit: limit) }
                    body += chunk.readableBytesView.prefix(limit - body.count)
                    break
                }
                body += chunk.readableBytesView
            }
        }
        return HTTPResult(status: status, headers: response.headers, body: body, url: exchange.url)
    }

    /// Whether an error is a dropped or refused connection or a timeout, worth another attempt. TLS failures,
    /// cancellation and size limits are not.
    static func isTransient(_ error: any Error) -> Bool {
        switch error {
        case is CancellationError, is NIOSSLError, is BoringSSLError, is NIOTooManyBytesError, is RegistryError:
            return false
        case let error as HTTPClientError:
            return [.remoteConnectionClosed, .readTimeout, .writeTimeout, .connectTimeout, .getConnectionFromPoolTimeout,
                    .deadlineExceeded].contains(error)
        default:
            return true  // IOError (reset, refused), ChannelError (EOF), connection errors
        }
    }

    /// A readable reason for a transport error.
    static func explain(_ error: any Error) -> String {
        switch error {
        case let error as NIOSSLError: "TLS failed: \(error)"
        case let error as BoringSSLError: "TLS failed: \(error)"
        case let error as IOError where error.errnoCode == ECONNREFUSED: refused
        case let error as IOError where error.errnoCode == ECONNRESET: "the connection was reset (errno \(ECONNRESET))"
        case let error as IOError where error.errnoCode == ETIMEDOUT: "the connection timed out (errno \(ETIMEDOUT))"
        default: "\(error)"
        }
    }

    /// The reason given for a refused connection: nothing listens at the registry's address, so neither plain HTTP
    /// nor TLS can work there.
    static let refused = "connection refused: nothing listens there (is the registry running?)"

    /// `host[:port]` of `url`.
    static func authority(of url: URL) -> String {
        guard let host = url.host else { return url.absoluteString }
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return url.port.map { "\(bracketed):\($0)" } ?? bracketed
    }

    /// The error for an unexpected answer: the registry's error body decoded when it is one, else kept as text.
    static func rejection(_ result: HTTPResult, request: String) -> RegistryError {
        struct ErrorBody: Decodable {
            var errors: [DistributionError]
        }
        let errors = (try? JSONDecoder().decode(ErrorBody.self, from: Data(result.body)))?.errors ?? []
        return .rejected(request: request, status: result.status, errors: errors, body: errors.isEmpty ? result.bodyText : nil)
    }

    static func isSameOrigin(_ lhs: URL, _ rhs: URL) -> Bool {
        lhs.scheme == rhs.scheme && lhs.host == rhs.host && lhs.port == rhs.port
    }
}
