import Testing

@testable import Shared

@Suite("Image references")
struct ImageReferenceTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var registry: String
        var repository: String
        var tag: String?
        var digest: String?
        var testDescription: String { text }
    }

    static let digest = "sha256:" + String(repeating: "ab", count: 32)

    static let valid: [Case] = [
        Case(text: "busybox", registry: "docker.io", repository: "library/busybox", tag: "latest"),
        Case(text: "busybox:1.36", registry: "docker.io", repository: "library/busybox", tag: "1.36"),
        Case(text: "velero/velero:v1.14", registry: "docker.io", repository: "velero/velero", tag: "v1.14"),
        Case(text: "docker.io/busybox", registry: "docker.io", repository: "library/busybox", tag: "latest"),
        Case(text: "index.docker.io/library/busybox", registry: "docker.io", repository: "library/busybox", tag: "latest"),
        Case(text: "127.0.0.1:5000/t/app:v1-linux-arm64", registry: "127.0.0.1:5000", repository: "t/app", tag: "v1-linux-arm64"),
        Case(text: "localhost/app", registry: "localhost", repository: "app", tag: "latest"),
        Case(text: "localhost:5001/a/b/c:V_1.0-rc", registry: "localhost:5001", repository: "a/b/c", tag: "V_1.0-rc"),
        Case(text: "ghcr.io/org/my-app__x.y@\(digest)", registry: "ghcr.io", repository: "org/my-app__x.y", digest: digest),
        Case(text: "reg.example.com:443/a:v1@\(digest)", registry: "reg.example.com:443", repository: "a", tag: "v1", digest: digest),
        Case(text: "Registry.Local/app", registry: "Registry.Local", repository: "app", tag: "latest"),
    ]

    @Test("parses", arguments: valid)
    func parses(_ expected: Case) throws {
        let reference = try ImageReference(parsing: expected.text)
        #expect(reference.registry == expected.registry)
        #expect(reference.repository == expected.repository)
        #expect(reference.tag == expected.tag)
        #expect(reference.digest?.description == expected.digest)
    }

    @Test("prints what parses back to itself", arguments: valid)
    func roundTrips(_ expected: Case) throws {
        let reference = try ImageReference(parsing: expected.text)
        #expect(try ImageReference(parsing: reference.description) == reference)
    }

    @Test(
        "refuses, naming the part",
        arguments: [
            ("library/UPPER", "repository"), ("127.0.0.1:5000/App:v1", "repository"), ("repo:-tag", "tag"),
            ("repo:" + String(repeating: "t", count: 129), "tag"), ("a//b", "repository"), ("a/b_-c", "repository"),
            ("repo@sha256:abc", "64"), ("repo@md5:" + String(repeating: "a", count: 32), "algorithm"), ("", "repository"),
            ("host:99999x/app", "registry"),
        ])
    func refuses(_ text: String, mentioning part: String) {
        #expect {
            try ImageReference(parsing: text)
        } throws: { error in
            (error as? ImageReferenceError)?.description.contains(part) == true
        }
    }

    @Test("the API host of Docker Hub is registry-1.docker.io")
    func apiHost() throws {
        #expect(try ImageReference(parsing: "busybox").apiHost == "registry-1.docker.io")
        #expect(try ImageReference(parsing: "127.0.0.1:5000/a").apiHost == "127.0.0.1:5000")
    }

    @Test("the API reference prefers the digest")
    func apiReference() throws {
        #expect(try ImageReference(parsing: "a/b:v1@\(Self.digest)").reference == Self.digest)
        #expect(try ImageReference(parsing: "a/b:v1").reference == "v1")
    }
}
