import Testing

@testable import Shared

@Suite("Manifest documents")
struct ManifestDocumentTests {
    static let config = #"{"mediaType":"M","digest":"sha256:\#(String(repeating: "1", count: 64))","size":1}"#

    @Test(
        "the kind comes from mediaType, else Content-Type, else the shape",
        arguments: [
            (#"{"schemaVersion":2,"mediaType":"\#(MediaType.dockerManifest)","config":\#(config),"layers":[]}"#, nil, ManifestKind.dockerManifest),
            (#"{"schemaVersion":2,"config":\#(config),"layers":[]}"#, MediaType.ociManifest, .ociManifest),
            (#"{"schemaVersion":2,"manifests":[]}"#, nil, .ociIndex),
            (#"{"schemaVersion":2,"manifests":[]}"#, MediaType.dockerManifestList + "; charset=utf-8", .dockerManifestList),
            (#"{"schemaVersion":2,"mediaType":"\#(MediaType.ociIndex)","manifests":[]}"#, MediaType.dockerManifestList, .ociIndex),
        ] as [(String, String?, ManifestKind)])
    func kind(_ json: String, contentType: String?, expected: ManifestKind) throws {
        let bytes = Array(json.utf8)
        let document = try ManifestDocument(bytes: bytes, contentType: contentType)
        #expect(document.kind == expected)
        #expect(document.digest == Digest(of: bytes))
        #expect(document.descriptor().size == Int64(bytes.count))
    }

    @Test("schema 1, unknown types and non-JSON are refused")
    func refused() {
        for (json, type) in [
            (#"{"schemaVersion":1,"name":"a"}"#, nil), (#"{"schemaVersion":2}"#, "application/vnd.example+json"),
            ("not json", nil), (#"{"schemaVersion":2,"mediaType":"\#(MediaType.ociIndex)"}"#, nil),
        ] as [(String, String?)] {
            #expect(throws: ManifestDocumentError.self) { try ManifestDocument(bytes: Array(json.utf8), contentType: type) }
        }
    }

    @Test("attestation descriptors are recognised with the digest they attest")
    func attestation() throws {
        let attested = Digest(of: Array("image".utf8))
        let descriptor = Descriptor(
            mediaType: MediaType.ociManifest, digest: Digest(of: Array("att".utf8)), size: 3,
            annotations: [MediaType.referenceTypeAnnotation: "attestation-manifest",
                          MediaType.referenceDigestAnnotation: attested.description],
            platform: ImagePlatform(architecture: "unknown", os: "unknown"))
        #expect(descriptor.isAttestationManifest)
        #expect(descriptor.attestedDigest == attested)
        #expect(descriptor.platform?.isUnknown == true)
    }
}
