import Foundation
import Shared
import Testing
import TestSupport

@testable import Coordinator

/// The registry client against a real proxy that fails on purpose: bounded retries with backoff, digest checks,
/// and no credentials across a redirect to another host.
@Suite("registry client transport guarantees", .serialized, .timeLimit(.minutes(5)))
struct ManifestTransportTests {
    struct Children {
        var registry: FleetRegistry
        var repository: String
    }

    func pushChildren(_ fleet: Fleet) async throws -> Children {
        let registry = try FleetRegistry(.plain, fleet: fleet)
        let repository = registry.freshRepository("transport")
        try await BuildahChildren.shared.push(.amd64, to: registry, repository: repository, tag: "amd64")
        try await BuildahChildren.shared.push(.windows, to: registry, repository: repository, tag: "windows")
        return Children(registry: registry, repository: repository)
    }

    func slots(_ proxy: FaultProxy, _ repository: String) -> [ManifestSlot] {
        [
            ManifestSlot(expected: .linuxAMD64, source: ImageReference(registry: proxy.host, repository: repository, tag: "amd64")),
            ManifestSlot(expected: .windowsAMD64, source: ImageReference(registry: proxy.host, repository: repository, tag: "windows")),
        ]
    }

    /// Assembles `children`'s list through `proxy` to tag `v1`.
    func assemble(through proxy: FaultProxy, _ children: Children, configuration: RegistryClient.Configuration = quickRetries)
        async throws -> ManifestAssembler.PushedList
    {
        let target = ImageReference(registry: proxy.host, repository: children.repository, tag: "v1")
        return try await RegistryClient.withClient(configuration: configuration) { client in
            try await ManifestAssembler(client: client).assemble(target: target, slots: slots(proxy, children.repository))
        }
    }

    /// Expects the registry behind the proxy to serve exactly `pushed`'s bytes at tag `v1`.
    func expectStoredUpstream(_ pushed: ManifestAssembler.PushedList, _ children: Children) async throws {
        let upstream = children.registry.reference(children.repository, tag: "v1")
        #expect(try await IndependentChecks.rawManifest(upstream, on: children.registry) == pushed.bytes)
    }

    static let quickRetries = RegistryClient.Configuration(
        credentials: nil, retry: RetryPolicy(maxAttempts: 4, initialBackoff: .milliseconds(20), maxBackoff: .seconds(2)))

    @Test("503s and dropped connections are retried, and the list is still pushed")
    func retried() async throws {
        let fleet = try Fleet.require()
        let children = try await pushChildren(fleet)
        let proxy = try await FaultProxy(upstream: children.registry.host, flags: ["--drop-first", "1", "--fail-first", "2"])
        defer { proxy.stop() }
        let pushed = try await assemble(through: proxy, children)
        let log = try proxy.log()
        let put = log.filter { $0.method == "PUT" }
        #expect(put.map(\.status) == [.dropped, .code(503), .code(503), .code(201)], "the PUT was tried until it went through")
        try await expectStoredUpstream(pushed, children)
    }

    @Test("429 with Retry-After is honoured")
    func retryAfter() async throws {
        let fleet = try Fleet.require()
        let children = try await pushChildren(fleet)
        let proxy = try await FaultProxy(
            upstream: children.registry.host, flags: ["--fail-first", "1", "--fail-status", "429", "--retry-after", "1"])
        defer { proxy.stop() }
        let started = ContinuousClock.now
        let document = try await RegistryClient.withClient(configuration: Self.quickRetries) { client in
            try await client.manifest(ImageReference(registry: proxy.host, repository: children.repository, tag: "amd64"))
        }
        #expect(ContinuousClock.now - started >= .milliseconds(950), "waited the second the registry asked for")
        #expect(document.kind == .ociManifest)
    }

    @Test("a registry that keeps failing gets a bounded number of attempts and a clear error")
    func bounded() async throws {
        let fleet = try Fleet.require()
        let children = try await pushChildren(fleet)
        let proxy = try await FaultProxy(upstream: children.registry.host, flags: ["--fail-first", "1000"])
        defer { proxy.stop() }
        let reference = ImageReference(registry: proxy.host, repository: children.repository, tag: "amd64")
        await #expect {
            try await RegistryClient.withClient(configuration: Self.quickRetries) { try await $0.manifest(reference) }
        } throws: { error in
            let text = "\(error)"
            return (error as? RegistryError)?.status == 503 && text.contains("UNAVAILABLE injected")
                && text.contains("/manifests/amd64") && !text.contains("TLS")
        }
        let attempts = try proxy.log().filter { $0.method == "GET" && $0.path.hasSuffix("/manifests/amd64") }
        #expect(attempts.count == 4)
    }

    @Test("a Docker-Content-Digest that is not the content's digest is an error, and no list is pushed")
    func wrongDigest() async throws {
        let fleet = try Fleet.require()
        let children = try await pushChildren(fleet)
        let proxy = try await FaultProxy(upstream: children.registry.host, flags: ["--wrong-digest"])
        defer { proxy.stop() }
        await #expect {
            try await assemble(through: proxy, children)
        } throws: { error in
            "\(error)".contains("Docker-Content-Digest") && "\(error)".contains("sha256:" + String(repeating: "0", count: 64))
        }
        #expect(try proxy.log().allSatisfy { $0.method != "PUT" })
    }

    @Test("a list PUT answered with a Docker-Content-Digest that is not the list's digest fails the push")
    func wrongDigestForThePut() async throws {
        let fleet = try Fleet.require()
        let children = try await pushChildren(fleet)
        let proxy = try await FaultProxy(
            upstream: children.registry.host,
            flags: ["--wrong-digest", "--fault-method", "PUT", "--fault-path", "/manifests/v1"])
        defer { proxy.stop() }
        await #expect {
            try await assemble(through: proxy, children)
        } throws: { error in
            guard case .pushFailed = error as? AssemblyError else { return false }
            return "\(error)".contains("Docker-Content-Digest") && "\(error)".contains("sha256:" + String(repeating: "0", count: 64))
        }
        #expect(try proxy.log().filter { $0.method == "PUT" }.map(\.status) == [.code(201)], "the PUT itself went through")
    }

    @Test("the list is read back after its PUT, whether the registry confirmed the PUT with its digest or not")
    func readBackWithAndWithoutDigest() async throws {
        let fleet = try Fleet.require()
        let children = try await pushChildren(fleet)
        for confirms in [true, false] {
            let proxy = try await FaultProxy(
                upstream: children.registry.host,
                flags: confirms ? [] : ["--no-digest", "--fault-method", "PUT", "--fault-path", "/manifests/v1"])
            defer { proxy.stop() }
            let pushed = try await assemble(through: proxy, children)
            let log = try proxy.log()
            let put = try #require(log.firstIndex { $0.method == "PUT" && $0.path.hasSuffix("/manifests/v1") })
            let readBack = log[(put + 1)...].filter { $0.method == "GET" && $0.path.hasSuffix("/manifests/v1") }
            #expect(readBack.count == 1, "confirms: \(confirms), log: \(log)")
            try await expectStoredUpstream(pushed, children)
        }
    }

    @Test("a registry that serves other bytes for the tag than were pushed fails verification")
    func readBackMismatch() async throws {
        let fleet = try Fleet.require()
        let children = try await pushChildren(fleet)
        let proxy = try await FaultProxy(
            upstream: children.registry.host, flags: ["--no-digest", "--corrupt-body", "--fault-path", "/manifests/v1"])
        defer { proxy.stop() }
        await #expect {
            try await assemble(through: proxy, children)
        } throws: { error in
            guard case .verificationFailed = error as? AssemblyError else { return false }
            return "\(error)".contains("did not read back as pushed")
        }
    }

    @Test("a redirect to another host gets no Authorization header")
    func redirectDropsAuthorization() async throws {
        let fleet = try Fleet.require()
        let children = try await pushChildren(fleet)
        let proxy = try await FaultProxy(
            upstream: children.registry.host, flags: ["--basic-auth", "proxy-user:proxy-pass", "--redirect-blobs"])
        defer { proxy.stop() }
        let config = NSTemporaryDirectory() + "proxy-docker-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: true)
        try #"{"auths":{"\#(proxy.host)":{"auth":"\#(Data("proxy-user:proxy-pass".utf8).base64EncodedString())"}}}"#
            .write(toFile: config + "/config.json", atomically: true, encoding: .utf8)
        var configuration = Self.quickRetries
        configuration.credentials = DockerCredentialStore(configDirectory: config)
        let pushed = try await assemble(through: proxy, children, configuration: configuration)
        #expect(pushed.children[1].platform.osVersion == "10.0.20348.2527")
        let log = try proxy.log()
        let redirected = log.filter { $0.listener == "redirect" }
        #expect(redirected.count == 2, "both config blobs were fetched from the other host")
        #expect(redirected.allSatisfy { !$0.authorization }, "no credentials went to the other host")
        #expect(log.contains { $0.listener == "main" && $0.authorization && $0.status == .code(307) })
    }
}
