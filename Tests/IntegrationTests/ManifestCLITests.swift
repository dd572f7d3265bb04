import Foundation
import Shared
import Testing
import TestSupport

/// The `coordinator manifest` commands as a user runs them: the built binary, Docker-style flags, credentials from
/// `DOCKER_CONFIG`, documented exit codes.
@Suite("coordinator manifest (CLI)", .serialized, .timeLimit(.minutes(5)))
struct ManifestCLITests {
    @Test("create --json and inspect on the TLS + basic-auth registry with --ca-cert")
    func createAndInspect() async throws {
        let fleet = try Fleet.require()
        let registry = try FleetRegistry(.basicTLS, fleet: fleet)
        let repository = registry.freshRepository("cli")
        for (spec, tag) in [(BuildahChildren.Spec.amd64, "v1-linux-amd64"), (.arm64, "v1-linux-arm64"), (.windows, "v1-windows-ltsc2022-amd64")] {
            try await BuildahChildren.shared.push(spec, to: registry, repository: repository, tag: tag)
        }
        let target = "\(registry.host)/\(repository):v1"
        let tls = ["--ca-cert", registry.caFile!]
        let environment = registry.dockerEnvironment
        let created = try await CoordinatorBinary.run(
            ["manifest", "create", "--json", "--target", target, "linux/amd64=:v1-linux-amd64",
             "linux/arm64=\(registry.host)/\(repository):v1-linux-arm64", "windows/amd64=:v1-windows-ltsc2022-amd64"] + tls,
            environment: environment)
        #expect(created.status == 0, "\(created.stderr)")
        struct Output: Decodable {
            struct Row: Decodable {
                var platform: String
                var osVersion: String?
                var digest: String
            }
            var digest: String
            var mediaType: String
            var manifests: [Row]
        }
        let output = try JSONDecoder().decode(Output.self, from: Data(created.stdout.utf8))
        #expect(output.mediaType == MediaType.ociIndex)
        #expect(output.manifests.map(\.platform) == ["linux/amd64", "linux/arm64", "windows/amd64"])
        #expect(output.manifests[2].osVersion == "10.0.20348.2527")
        let raw = try await IndependentChecks.rawManifest(try ImageReference(parsing: target), on: registry)
        #expect(Digest(of: raw).description == output.digest)

        let inspectedRaw = try await CoordinatorBinary.run(["manifest", "inspect", "--raw", target] + tls, environment: environment)
        #expect(inspectedRaw.status == 0, "\(inspectedRaw.stderr)")
        #expect(Array(inspectedRaw.stdout.utf8) == raw, "--raw prints the exact bytes")
        let table = try await CoordinatorBinary.run(["manifest", "inspect", target] + tls, environment: environment)
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("PLATFORM") && $0.contains("OS.VERSION") && $0.contains("MEDIA TYPE") })
        #expect(lines.contains { $0.hasPrefix("windows/amd64") && $0.contains("10.0.20348.2527") && $0.contains(MediaType.ociManifest) })
        #expect(lines.contains { $0.hasPrefix("linux/arm64") && $0.contains(output.manifests[1].digest) })
    }

    @Test("without credentials the basic-auth registry is refused with a `docker login` hint (exit 2)")
    func noCredentials() async throws {
        let fleet = try Fleet.require()
        let registry = try FleetRegistry(.basicTLS, fleet: fleet)
        let empty = NSTemporaryDirectory() + "empty-docker-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let result = try await CoordinatorBinary.run(
            ["manifest", "inspect", "\(registry.host)/itest/none:v1", "--ca-cert", registry.caFile!],
            environment: ["DOCKER_CONFIG": empty])
        #expect(result.status == 2)
        #expect(result.stderr.contains("docker login \(registry.host)"))
    }

    @Test("a TLS registry whose CA is not configured is refused with the certs.d / --ca-cert hint (exit 2)")
    func unknownCA() async throws {
        let fleet = try Fleet.require()
        let registry = try FleetRegistry(.basicTLS, fleet: fleet)
        let emptyCerts = NSTemporaryDirectory() + "empty-certs-" + UUID().uuidString
        let result = try await CoordinatorBinary.run(
            ["manifest", "inspect", "\(registry.host)/itest/none:v1", "--certs-dir", emptyCerts],
            environment: registry.dockerEnvironment)
        #expect(result.status == 2)
        #expect(result.stderr.contains("it speaks TLS, but the TLS connection failed"))
        #expect(result.stderr.contains("\(emptyCerts)/\(registry.host)/ca.crt or pass --ca-cert"))
    }

    @Test("exit codes: 1 for an image that is not its platform, 2 for a missing one or bad arguments, 3 for no registry")
    func exitCodes() async throws {
        let fleet = try Fleet.require()
        let registry = try FleetRegistry(.plain, fleet: fleet)
        let repository = registry.freshRepository("cli-exit")
        try await BuildahChildren.shared.push(.amd64, to: registry, repository: repository, tag: "amd64")
        let target = "\(registry.host)/\(repository):v1"
        let mismatch = try await CoordinatorBinary.run(["manifest", "create", "--target", target, "linux/arm64=:amd64"])
        #expect(mismatch.status == 1)
        #expect(mismatch.stderr.contains("was given as linux/arm64 but its image config says linux/amd64"))
        let missing = try await CoordinatorBinary.run(["manifest", "create", "--target", target, "linux/amd64=:absent"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains(":absent does not exist"))
        let badSource = try await CoordinatorBinary.run(["manifest", "create", "--target", target, "linux/sparc=:amd64"])
        #expect(badSource.status == 2)
        #expect(badSource.stderr.contains("linux/sparc"))
        let nowhere = try await CoordinatorBinary.run(["manifest", "inspect", "127.0.0.1:9/itest/x:v1"])
        #expect(nowhere.status == 3)
        #expect(nowhere.stderr.contains("127.0.0.1:9"))
        let inspect = try await CoordinatorBinary.run(["manifest", "inspect", "\(registry.host)/\(repository):v1"])
        #expect(inspect.status == 2, "nothing was pushed by the failed creates")
    }
}
