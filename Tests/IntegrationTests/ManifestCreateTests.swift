import Foundation
import Shared
import Testing
import TestSupport

@testable import Coordinator

/// Lists assembled from buildah-built children on each fleet registry, checked by independent clients.
@Suite("manifest create against the fleet's registries", .serialized, .timeLimit(.minutes(5)))
struct ManifestCreateTests {
    @Test("OCI children linux/amd64, linux/arm64 and windows/amd64 with os.version → OCI index", arguments: RegistryKind.allCases)
    func threePlatforms(_ kind: RegistryKind) async throws {
        let fleet = try Fleet.require()
        let registry = try FleetRegistry(kind, fleet: fleet)
        let repository = registry.freshRepository("three")
        let specs = [
            ChildSpec(platform: "linux/amd64", build: .amd64, tag: "v1-linux-amd64"),
            ChildSpec(platform: "linux/arm64", build: .arm64, tag: "v1-linux-arm64"),
            ChildSpec(platform: "windows/amd64", build: .windows, tag: "v1-windows-ltsc2022-amd64"),
        ]
        let target = registry.reference(repository, tag: "v1")
        let pushed = try await registry.assemble(target, try await registry.pushSlots(specs, repository: repository))
        #expect(pushed.kind == .ociIndex)
        #expect(pushed.children.map { $0.platform.shortDescription } == ["linux/amd64", "linux/arm64", "windows/amd64"])
        #expect(pushed.children[2].platform.osVersion == "10.0.20348.2527")
        try await IndependentChecks.verifyList(
            target, pushed: pushed.bytes, children: zip(specs, pushed.children).map { ($0.platform, $1.manifest) },
            windowsVersion: "10.0.20348.2527", on: registry)
    }

    @Test("Docker v2 children (buildah --format docker) → Docker manifest list, os.version kept")
    func dockerChildren() async throws {
        let fleet = try Fleet.require()
        let registry = try FleetRegistry(.plain, fleet: fleet)
        let repository = registry.freshRepository("docker")
        let specs = [
            ChildSpec(platform: "linux/amd64", build: BuildahChildren.Spec.amd64.docker, tag: "v2-linux-amd64"),
            ChildSpec(platform: "windows/amd64", build: BuildahChildren.Spec.windows.docker, tag: "v2-windows-amd64"),
        ]
        let target = registry.reference(repository, tag: "v2")
        let pushed = try await registry.assemble(target, try await registry.pushSlots(specs, repository: repository))
        #expect(pushed.kind == .dockerManifestList)
        #expect(pushed.children.allSatisfy { $0.manifest.kind == .dockerManifest })
        let docker = try await IndependentChecks.dockerManifestInspect(target, on: registry)
        #expect(docker.mediaType == MediaType.dockerManifestList)
        try await IndependentChecks.verifyList(
            target, pushed: pushed.bytes, children: zip(specs, pushed.children).map { ($0.platform, $1.manifest) },
            windowsVersion: "10.0.20348.2527", on: registry)
    }

    @Test("a Windows image without os.version takes the host's known build; without one it is refused")
    func windowsFallback() async throws {
        let fleet = try Fleet.require()
        let registry = try FleetRegistry(.plain, fleet: fleet)
        let repository = registry.freshRepository("winver")
        try await BuildahChildren.shared.push(.windowsWithoutVersion, to: registry, repository: repository, tag: "w")
        let source = registry.reference(repository, tag: "w")
        let refused = registry.reference(repository, tag: "refused")
        await #expect {
            try await registry.assemble(refused, [ManifestSlot(expected: .windowsAMD64, source: source)])
        } throws: { error in
            "\(error)".contains("no os.version") && "\(error)".contains(source.description)
        }
        #expect(try await registry.descriptor(refused) == nil, "nothing was pushed")
        let target = registry.reference(repository, tag: "v1")
        let pushed = try await registry.assemble(
            target, [ManifestSlot(expected: .windowsAMD64, source: source, hostWindowsVersion: "10.0.20348")])
        #expect(pushed.children[0].platform.osVersion == "10.0.20348")
        let docker = try await IndependentChecks.dockerManifestInspect(target, on: registry)
        #expect(docker.manifests.first?.platform?.osVersion == "10.0.20348")
    }
}
