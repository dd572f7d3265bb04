import Foundation
import NIOHTTP1

extension RegistryClient {
    /// The default limit for blobs read into memory (image configurations, attestation documents).
    public static let blobLimit = 16 << 20

    /// Fetches blob `digest` from `repository`'s repository; its bytes must hash to `digest`.
    public func blob(_ digest: Digest, in repository: ImageReference, limit: Int = blobLimit)
        async throws(RegistryError) -> [UInt8]
    {
        let call = Call(
            .GET, repository, path: "/v2/\(repository.repository)/blobs/\(digest)", scopes: [.pull(repository.repository)],
            responseLimit: limit, expecting: [200])
        let result = try await send(call)
        guard digest.matches(result.body) else {
            throw .digestMismatch(
                request: "GET blob \(digest) from \(repository.registry)/\(repository.repository)", expected: digest,
                computed: Digest(of: result.body), expectedFrom: "the blob's name")
        }
        return result.body
    }

    /// Whether blob `digest` exists in `repository`'s repository.
    public func blobExists(_ digest: Digest, in repository: ImageReference) async throws(RegistryError) -> Bool {
        let call = Call(
            .HEAD, repository, path: "/v2/\(repository.repository)/blobs/\(digest)", scopes: [.pull(repository.repository)],
            expecting: [200, 404])
        return try await send(call).status == 200
    }

    /// Asks the registry to mount blob `digest` from `source`'s repository into `target`'s (same registry) without
    /// copying it. Returns `false` when the registry declined (the upload it opened instead is cancelled).
    public func mountBlob(_ digest: Digest, from source: ImageReference, into target: ImageReference)
        async throws(RegistryError) -> Bool
    {
        let call = Call(
            .POST, target,
            path: "/v2/\(target.repository)/blobs/uploads/?mount=\(Self.queryEscaped(digest.description))"
                + "&from=\(Self.queryEscaped(source.repository))",
            scopes: [.push(target.repository), .pull(source.repository)], expecting: [201, 202])
        let result = try await send(call)
        if result.status == 201 { return true }
        if let location = result.headers.first(name: "Location") {
            _ = try? await send(Call(.DELETE, target, path: location, scopes: [.push(target.repository)], expecting: [204, 404]))
        }
        return false
    }

    /// Uploads `bytes` as a blob into `target`'s repository (one monolithic `PUT`) and returns its digest.
    @discardableResult
    public func uploadBlob(_ bytes: [UInt8], into target: ImageReference) async throws(RegistryError) -> Digest {
        let digest = Digest(of: bytes)
        let start = try await send(
            Call(.POST, target, path: "/v2/\(target.repository)/blobs/uploads/", scopes: [.push(target.repository)], expecting: [202]))
        guard let location = start.headers.first(name: "Location") else {
            throw .invalidResponse(request: "POST upload to \(target)", reason: "no Location header for the upload")
        }
        var put = Call(
            .PUT, target, path: location + (location.contains("?") ? "&" : "?") + "digest=\(Self.queryEscaped(digest.description))",
            scopes: [.push(target.repository)], expecting: [201])
        put.headers.add(name: "Content-Type", value: "application/octet-stream")
        put.body = bytes
        let result = try await send(put)
        try checkAnnouncedDigest(result, request: "PUT blob \(digest) to \(target)", content: bytes)
        return digest
    }

    static func queryEscaped(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~/"))) ?? text
    }
}
