import Testing

@testable import Shared

@Suite("Canonical JSON and digests")
struct CanonicalJSONTests {
    static let digest = try! Digest(parsing: "sha256:" + String(repeating: "0a", count: 32))

    @Test("keys sorted by bytes, no whitespace, slashes and non-ASCII as-is, control characters escaped")
    func canonicalForm() throws {
        let value = JSONValue.object([
            "b": .array([.integer(1), .bool(true), .null]), "B": .string("a/b \"q\" \\ é\n\u{01}"),
            "a": .object(["z": .number(1.5), "y": .number(2)]),
        ])
        let text = String(decoding: value.canonicalBytes(), as: UTF8.self)
        #expect(text == #"{"B":"a/b \"q\" \\ é\n\u0001","a":{"y":2,"z":1.5},"b":[1,true,null]}"#)
    }

    @Test("an index encodes with os.version and os.features under their OCI names, in canonical order")
    func indexEncoding() throws {
        let index = ImageIndex(
            mediaType: MediaType.ociIndex,
            manifests: [
                Descriptor(
                    mediaType: MediaType.ociManifest, digest: Self.digest, size: 42,
                    platform: ImagePlatform(
                        architecture: "amd64", os: "windows", osVersion: "10.0.20348.2527", osFeatures: ["win32k"]))
            ])
        let text = String(decoding: try CanonicalJSON.encode(index), as: UTF8.self)
        #expect(
            text == #"{"manifests":[{"digest":"\#(Self.digest)","mediaType":"application/vnd.oci.image.manifest.v1+json","#
                + #""platform":{"architecture":"amd64","os":"windows","os.features":["win32k"],"os.version":"10.0.20348.2527"},"#
                + #""size":42}],"mediaType":"application/vnd.oci.image.index.v1+json","schemaVersion":2}"#)
    }

    @Test("encoding is stable: the same value gives the same bytes and digest")
    func stable() throws {
        let platform = ImagePlatform(architecture: "arm64", os: "linux", variant: "v8")
        let index = ImageIndex(
            mediaType: MediaType.dockerManifestList,
            manifests: [Descriptor(mediaType: MediaType.dockerManifest, digest: Self.digest, size: 7, platform: platform)])
        let first = try CanonicalJSON.encode(index)
        let decoded = try CanonicalJSON.decode(ImageIndex.self, from: first)
        #expect(decoded == index)
        #expect(try CanonicalJSON.encode(decoded) == first)
        #expect(Digest(of: first) == Digest(of: try CanonicalJSON.encode(index)))
    }

    @Test("digests are SHA-256 over the exact bytes")
    func digestOfBytes() throws {
        #expect(Digest(of: []).description == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digest(of: Array("abc".utf8)).encoded == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest(of: Array("{\"a\":1}".utf8)) != Digest(of: Array("{\"a\": 1}".utf8)))
        #expect(Digest(of: Array("abc".utf8)).matches(Array("abc".utf8)))
    }

    @Test("sha512 digests are verified too")
    func sha512() throws {
        let digest = try Digest(
            parsing: "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
                + "454d4423643ce80e2a9ac94fa54ca49f")
        #expect(digest.matches(Array("abc".utf8)))
        #expect(!digest.matches(Array("abd".utf8)))
    }

    @Test("malformed digests are refused with a reason", arguments: ["sha256", "sha256:ABC", "md5:abc", "sha256:" + String(repeating: "A", count: 64)])
    func malformedDigest(_ text: String) {
        #expect(throws: DigestError.self) { try Digest(parsing: text) }
    }
}
