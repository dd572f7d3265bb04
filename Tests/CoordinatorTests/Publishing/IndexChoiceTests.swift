import Shared
import Testing

@testable import Coordinator

@Suite("Choosing a slot's image from an index source")
struct IndexChoiceTests {
    static let source = try! ImageReference(parsing: "127.0.0.1:5000/t/app:buildx")

    static func entry(_ name: String, _ platform: ImagePlatform, attests: Digest? = nil) -> Descriptor {
        Descriptor(
            mediaType: MediaType.ociManifest, digest: Digest(of: Array(name.utf8)), size: 10,
            annotations: attests.map {
                [MediaType.referenceTypeAnnotation: MediaType.attestationManifestReferenceType,
                 MediaType.referenceDigestAnnotation: $0.description]
            }, platform: platform)
    }

    static let amd64 = entry("amd64", Children.amd64)
    static let arm64 = entry("arm64", Children.arm64)
    static let attestation = entry("att", ImagePlatform(architecture: "unknown", os: "unknown"), attests: arm64.digest)

    static func slot(_ platform: String?, windows: String? = nil) -> ManifestSlot {
        ManifestSlot(expected: platform.map { try! Platform(parsing: $0) }, source: source, hostWindowsVersion: windows)
    }

    @Test("the expected platform's entry; attestation entries never count")
    func expected() throws {
        let index = ImageIndex(mediaType: MediaType.ociIndex, manifests: [Self.amd64, Self.arm64, Self.attestation])
        #expect(try ChildResolver.choose(from: index, for: Self.slot("linux/arm64")) == Self.arm64)
        #expect(try ChildResolver.choose(from: index, for: Self.slot("linux/amd64")) == Self.amd64)
    }

    @Test("a single-image index (buildx with provenance) needs no expected platform")
    func single() throws {
        let index = ImageIndex(mediaType: MediaType.ociIndex, manifests: [Self.arm64, Self.attestation])
        #expect(try ChildResolver.choose(from: index, for: Self.slot(nil)) == Self.arm64)
    }

    @Test("a missing platform names what the index has; several without expectation ask to choose")
    func refusals() {
        let index = ImageIndex(mediaType: MediaType.ociIndex, manifests: [Self.amd64, Self.arm64])
        #expect {
            try ChildResolver.choose(from: index, for: Self.slot("linux/s390x"))
        } throws: { error in
            "\(error)".contains("linux/s390x") && "\(error)".contains("linux/arm64/v8") && "\(error)".contains("linux/amd64")
        }
        #expect {
            try ChildResolver.choose(from: index, for: Self.slot(nil))
        } throws: { error in
            "\(error)".contains("say which one")
        }
    }

    @Test("several Windows entries: the host's build decides")
    func windows() throws {
        let w2019 = Self.entry("w2019", ImagePlatform(architecture: "amd64", os: "windows", osVersion: "10.0.17763.100"))
        let w2022 = Self.entry("w2022", ImagePlatform(architecture: "amd64", os: "windows", osVersion: "10.0.20348.2527"))
        let index = ImageIndex(mediaType: MediaType.ociIndex, manifests: [w2019, w2022])
        #expect(try ChildResolver.choose(from: index, for: Self.slot("windows/amd64", windows: "10.0.20348")) == w2022)
        #expect(throws: AssemblyError.self) { try ChildResolver.choose(from: index, for: Self.slot("windows/amd64")) }
    }
}
