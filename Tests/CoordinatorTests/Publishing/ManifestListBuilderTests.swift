import Shared
import Testing

@testable import Coordinator

/// Builds children from real manifest bytes (no registry needed: the builder is pure).
enum Children {
    static func manifest(_ kind: ManifestKind, seed: String) -> ManifestDocument {
        let config = Descriptor(
            mediaType: kind == .dockerManifest ? MediaType.dockerConfig : MediaType.ociConfig,
            digest: Digest(of: Array(seed.utf8)), size: Int64(seed.utf8.count))
        let bytes = try! CanonicalJSON.encode(ImageManifest(mediaType: kind.mediaType, config: config, layers: []))
        return try! ManifestDocument(bytes: bytes)
    }

    static func child(
        _ kind: ManifestKind, _ platform: ImagePlatform, source: String = "127.0.0.1:5000/t/app:x",
        attestations: Int = 0
    ) -> ResolvedChild {
        let manifest = manifest(kind, seed: source + platform.shortDescription)
        let attestationEntries = (0..<attestations).map { number in
            Descriptor(
                mediaType: MediaType.ociManifest, digest: Digest(of: Array("att\(number)\(source)".utf8)), size: 100,
                annotations: [MediaType.referenceTypeAnnotation: MediaType.attestationManifestReferenceType,
                              MediaType.referenceDigestAnnotation: manifest.digest.description],
                platform: ImagePlatform(architecture: "unknown", os: "unknown"))
        }
        return ResolvedChild(
            slot: ManifestSlot(source: try! ImageReference(parsing: source)), manifest: manifest, platform: platform,
            attestations: attestationEntries)
    }

    static let amd64 = ImagePlatform(architecture: "amd64", os: "linux")
    static let arm64 = ImagePlatform(architecture: "arm64", os: "linux", variant: "v8")
    static let windows = ImagePlatform(architecture: "amd64", os: "windows", osVersion: "10.0.20348.2527")
}

@Suite("List type and content")
struct ManifestListBuilderTests {
    @Test("every child Docker v2 → Docker manifest list")
    func dockerList() {
        let children = [Children.child(.dockerManifest, Children.amd64), Children.child(.dockerManifest, Children.arm64)]
        #expect(ManifestListBuilder.kind(for: children) == .dockerManifestList)
        #expect(ManifestListBuilder.build(children).mediaType == MediaType.dockerManifestList)
    }

    @Test(
        "any OCI child, or any kept attestation → OCI index",
        arguments: [
            [Children.child(.dockerManifest, Children.amd64), Children.child(.ociManifest, Children.windows)],
            [Children.child(.ociManifest, Children.amd64)],
            [Children.child(.dockerManifest, Children.amd64, attestations: 1)],
        ])
    func ociIndex(_ children: [ResolvedChild]) {
        #expect(ManifestListBuilder.kind(for: children) == .ociIndex)
    }

    @Test("entries follow slot order, each image followed by its attestations; Windows keeps os.version")
    func entries() {
        let children = [
            Children.child(.ociManifest, Children.windows, source: "127.0.0.1:5000/t/app:w"),
            Children.child(.ociManifest, Children.arm64, source: "127.0.0.1:5000/t/app:a", attestations: 1),
        ]
        let index = ManifestListBuilder.build(children)
        #expect(index.manifests.map { $0.platform?.shortDescription } == ["windows/amd64", "linux/arm64/v8", "unknown/unknown"])
        #expect(index.manifests[0].platform?.osVersion == "10.0.20348.2527")
        #expect(index.manifests[0].digest == children[0].manifest.digest)
        #expect(index.manifests[0].size == Int64(children[0].manifest.bytes.count))
        #expect(index.manifests[2].attestedDigest == children[1].manifest.digest)
    }

    @Test("two children for one platform are refused, naming both")
    func duplicates() {
        let children = [
            Children.child(.dockerManifest, Children.amd64, source: "127.0.0.1:5000/t/app:one"),
            Children.child(.dockerManifest, ImagePlatform(architecture: "x86_64", os: "linux", variant: "v1"), source: "127.0.0.1:5000/t/app:two"),
        ]
        #expect {
            try ManifestListBuilder.checkDistinct(children)
        } throws: { error in
            "\(error)".contains("t/app:one") && "\(error)".contains("t/app:two") && "\(error)".contains("linux/amd64")
        }
    }

    @Test("Windows entries for different builds may share windows/amd64")
    func windowsBuilds() throws {
        let children = [
            Children.child(.ociManifest, Children.windows, source: "127.0.0.1:5000/t/app:w2022"),
            Children.child(.ociManifest, ImagePlatform(architecture: "amd64", os: "windows", osVersion: "10.0.17763.1"), source: "127.0.0.1:5000/t/app:w2019"),
        ]
        try ManifestListBuilder.checkDistinct(children)
    }
}
