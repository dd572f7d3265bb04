import Foundation

/// A manifest as read from a registry: its exact bytes, digest, kind and decoded content.
public struct ManifestDocument: Sendable, Hashable {
    /// The decoded content.
    public enum Content: Sendable, Hashable {
        case image(ImageManifest)
        case index(ImageIndex)
    }

    /// The exact bytes, as received or as sent.
    public let bytes: [UInt8]
    /// The digest of ``bytes``.
    public let digest: Digest
    /// What kind of manifest this is.
    public let kind: ManifestKind
    /// The decoded content.
    public let content: Content

    /// Decodes `bytes`, taking the kind from the document's `mediaType`, else from `contentType` (the
    /// registry's `Content-Type`), else from its shape (`manifests` for an index, `config` for a manifest).
    public init(bytes: [UInt8], contentType: String? = nil) throws(ManifestDocumentError) {
        /// Any JSON value, not built: the probe only needs to know which fields are there.
        struct Present: Decodable {
            init(from decoder: any Decoder) throws {}
        }
        struct Probe: Decodable {
            var schemaVersion: Int?
            var mediaType: String?
            var manifests: [Present]?
            var config: Present?
        }
        let probe: Probe
        do {
            probe = try CanonicalJSON.decode(Probe.self, from: bytes)
        } catch {
            throw ManifestDocumentError(reason: "it is not a JSON manifest (\(error))")
        }
        let declared = probe.mediaType ?? contentType.map(Self.stripParameters)
        if probe.schemaVersion == 1 || declared.map(MediaType.dockerSchema1.contains) == true {
            throw ManifestDocumentError(
                reason: "it is a Docker schema 1 manifest, which is not supported: rebuild and push it with a current builder")
        }
        let kind: ManifestKind
        if let declared, let known = ManifestKind(mediaType: declared) {
            kind = known
        } else if declared == nil || declared == "application/json" || declared == "application/octet-stream" {
            kind = probe.manifests != nil ? .ociIndex : .ociManifest
        } else {
            throw ManifestDocumentError(reason: "its media type `\(declared!)` is not an image manifest or index")
        }
        do {
            self.content = kind.isIndex
                ? .index(try CanonicalJSON.decode(ImageIndex.self, from: bytes))
                : .image(try CanonicalJSON.decode(ImageManifest.self, from: bytes))
        } catch {
            throw ManifestDocumentError(reason: "it is not a valid \(kind.mediaType) (\(error))")
        }
        self.bytes = bytes
        self.digest = Digest(of: bytes)
        self.kind = kind
    }

    /// A descriptor pointing at this document.
    public func descriptor(platform: ImagePlatform? = nil, annotations: [String: String]? = nil) -> Descriptor {
        Descriptor(
            mediaType: kind.mediaType, digest: digest, size: Int64(bytes.count), annotations: annotations,
            platform: platform)
    }

    private static func stripParameters(_ contentType: String) -> String {
        String(contentType.split(separator: ";", maxSplits: 1).first ?? "").trimmingCharacters(in: .whitespaces)
    }
}

/// A registry document that is not a usable manifest.
public struct ManifestDocumentError: Error, CustomStringConvertible, Sendable {
    /// Why the document was refused.
    public let reason: String

    public var description: String { "unusable manifest: \(reason)" }
}
