import NIOHTTP1

extension RegistryClient {
    /// The largest manifest accepted (the distribution registry's own default limit).
    public static let manifestLimit = 4 << 20

    /// Fetches the manifest `reference` names (by digest when it has one, else by tag), asking for every
    /// manifest and index type. The bytes are checked against the requested digest and against the registry's
    /// `Docker-Content-Digest`; a mismatch throws.
    public func manifest(_ reference: ImageReference) async throws(RegistryError) -> ManifestDocument {
        var call = Call(
            .GET, reference, path: manifestPath(reference), scopes: [.pull(reference.repository)],
            responseLimit: Self.manifestLimit, expecting: [200])
        call.headers.add(name: "Accept", value: MediaType.acceptedManifests.joined(separator: ", "))
        let result = try await send(call)
        let request = "GET \(reference)"
        if let requested = reference.digest, !requested.matches(result.body) {
            throw .digestMismatch(
                request: request, expected: requested, computed: Digest(of: result.body), expectedFrom: "the reference")
        }
        try checkAnnouncedDigest(result, request: request)
        do throws(ManifestDocumentError) {
            return try ManifestDocument(bytes: result.body, contentType: result.headers.first(name: "Content-Type"))
        } catch {
            throw .invalidResponse(request: request, reason: error.description)
        }
    }

    /// The descriptor of the manifest `reference` names, from a `HEAD` request, or `nil` when it does not exist.
    public func manifestDescriptor(_ reference: ImageReference) async throws(RegistryError) -> Descriptor? {
        var call = Call(.HEAD, reference, path: manifestPath(reference), scopes: [.pull(reference.repository)], expecting: [200, 404])
        call.headers.add(name: "Accept", value: MediaType.acceptedManifests.joined(separator: ", "))
        let result = try await send(call)
        guard result.status == 200 else { return nil }
        guard let type = result.headers.first(name: "Content-Type"),
            let digest = result.headers.first(name: "Docker-Content-Digest").flatMap({ try? Digest(parsing: $0) }),
            let size = result.headers.first(name: "Content-Length").flatMap(Int64.init)
        else {
            let document = try await manifest(reference)
            return document.descriptor()
        }
        return Descriptor(mediaType: type, digest: digest, size: size)
    }

    /// Pushes manifest `bytes` of `mediaType` to `reference` (its tag, else its digest). The registry's
    /// `Docker-Content-Digest`, the digest of what it stored, must equal the digest of the bytes sent; a registry that
    /// sends none leaves ``ManifestPush/confirmedByRegistry`` false.
    @discardableResult
    public func putManifest(_ bytes: [UInt8], mediaType: String, to reference: ImageReference)
        async throws(RegistryError) -> ManifestPush
    {
        let target = reference.tag.map { reference.withTag($0) } ?? reference
        let digest = Digest(of: bytes)
        var call = Call(
            .PUT, target, path: "/v2/\(target.repository)/manifests/\(target.tag ?? digest.description)",
            scopes: [.push(target.repository)], expecting: [200, 201])
        call.headers.add(name: "Content-Type", value: mediaType)
        call.body = bytes
        let result = try await send(call)
        let announced = try checkAnnouncedDigest(result, request: "PUT \(target)", content: bytes)
        return ManifestPush(digest: digest, confirmedByRegistry: announced)
    }

    private func manifestPath(_ reference: ImageReference) -> String {
        "/v2/\(reference.repository)/manifests/\(reference.reference)"
    }

    /// Throws when the registry's `Docker-Content-Digest` is present and is not the digest of `content`
    /// (default: the response body). Returns whether the header was present (and so matched).
    @discardableResult
    func checkAnnouncedDigest(_ result: HTTPResult, request: String, content: [UInt8]? = nil) throws(RegistryError)
        -> Bool
    {
        guard let header = result.headers.first(name: "Docker-Content-Digest") else { return false }
        let bytes = content ?? result.body
        let announced: Digest
        do {
            announced = try Digest(parsing: header)
        } catch {
            throw .invalidResponse(request: request, reason: "its Docker-Content-Digest header: \(error)")
        }
        guard announced.matches(bytes) else {
            throw .digestMismatch(
                request: request, expected: announced, computed: Digest(of: bytes),
                expectedFrom: "the registry's Docker-Content-Digest header")
        }
        return true
    }
}

/// A manifest a registry accepted.
public struct ManifestPush: Sendable, Equatable {
    /// The digest of the bytes sent.
    public var digest: Digest
    /// Whether the registry answered with the digest of what it stored (`Docker-Content-Digest`), found equal to
    /// ``digest``: the registry holds exactly the bytes sent. `false` when it sent no digest.
    public var confirmedByRegistry: Bool
}
