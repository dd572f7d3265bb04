import Foundation
import Shared
import Testing
import TestSupport

@testable import Coordinator

/// Children from `docker buildx build --push` on the fleet's Docker engine (Docker v2 manifests), referred to by
/// the digests buildx reports, as the coordinator's workers report them.
@Suite("manifest create with buildx children", .serialized, .timeLimit(.minutes(5)))
struct ManifestBuildxTests {
    /// Builds `FROM scratch` for `platform` with buildx and pushes it; returns the digest from `--metadata-file`.
    static func buildxPush(_ platform: String, to reference: ImageReference, dockerHost: String) async throws -> Digest {
        let context = NSTemporaryDirectory() + "buildx-child-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: context) }
        try "\(platform) \(UUID().uuidString)\n".write(toFile: context + "/platform.txt", atomically: true, encoding: .utf8)
        try "FROM scratch\nCOPY platform.txt /platform.txt\n".write(toFile: context + "/Dockerfile", atomically: true, encoding: .utf8)
        try await ExternalTool.check(
            ["docker", "buildx", "build", "--platform", platform, "--provenance=false", "--sbom=false", "--push",
             "--metadata-file", context + "/metadata.json", "-t", reference.description, context],
            environment: ["DOCKER_HOST": dockerHost])
        struct Metadata: Decodable {
            var digest: String
            enum CodingKeys: String, CodingKey { case digest = "containerimage.digest" }
        }
        let metadata = try JSONDecoder().decode(Metadata.self, from: Data(contentsOf: URL(fileURLWithPath: context + "/metadata.json")))
        return try Digest(parsing: metadata.digest)
    }

    @Test("buildx linux/amd64 + linux/arm64 by reported digest, buildah windows/amd64 → Docker manifest list with os.version")
    func buildxChildren() async throws {
        let fleet = try Fleet.require()
        let dockerHost = try fleet.value("TESTBED_DOCKER_HOST")
        let registry = try FleetRegistry(.plain, fleet: fleet)
        let repository = registry.freshRepository("buildx")
        var slots: [ManifestSlot] = []
        for platform in ["linux/amd64", "linux/arm64"] {
            let tag = "v1-" + platform.replacingOccurrences(of: "/", with: "-")
            let digest = try await Self.buildxPush(platform, to: registry.reference(repository, tag: tag), dockerHost: dockerHost)
            slots.append(ManifestSlot(expected: try Platform(parsing: platform), source: ImageReference(
                registry: registry.host, repository: repository, digest: digest)))
        }
        slots += try await registry.pushSlots(
            [ChildSpec(platform: "windows/amd64", build: BuildahChildren.Spec.windows.docker, tag: "v1-windows-ltsc2022-amd64")],
            repository: repository)
        let target = registry.reference(repository, tag: "v1")
        let pushed = try await registry.assemble(target, slots)
        #expect(pushed.children.map(\.manifest.kind) == [.dockerManifest, .dockerManifest, .dockerManifest])
        #expect(pushed.kind == .dockerManifestList)
        #expect(Array(pushed.children.map(\.manifest.digest).prefix(2)) == slots.prefix(2).map { $0.source.digest! })
        try await IndependentChecks.verifyList(
            target, pushed: pushed.bytes,
            children: zip(["linux/amd64", "linux/arm64", "windows/amd64"], pushed.children).map { ($0, $1.manifest) },
            windowsVersion: "10.0.20348.2527", on: registry)
    }

    @Test("a buildx child pushed under the wrong platform's tag is refused")
    func buildxLiar() async throws {
        let fleet = try Fleet.require()
        let registry = try FleetRegistry(.plain, fleet: fleet)
        let repository = registry.freshRepository("buildx-liar")
        let liar = registry.reference(repository, tag: "v1-linux-arm64")
        _ = try await Self.buildxPush("linux/amd64", to: liar, dockerHost: try fleet.value("TESTBED_DOCKER_HOST"))
        await #expect {
            try await registry.assemble(registry.reference(repository, tag: "v1"), [ManifestSlot(expected: .linuxARM64, source: liar)])
        } throws: { error in
            "\(error)".contains("\(liar) was given as linux/arm64 but its image config says linux/amd64")
        }
    }
}
