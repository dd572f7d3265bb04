import Foundation
import Shared
import Testing
import TestSupport

@testable import Coordinator

/// Lists assembled from buildah-built children on each fleet registry, checked by independent clients.
@Suite("manifest create against the fleet's registries", .serialized, .timeLimit(.minutes(5)))
struct ManifestCreateTests {
    static func slot(_ platform: String, _ reference: ImageReference, windows: String? = nil) throws -> ManifestSlot {
        ManifestSlot(expected: try Platform(parsing: platform), source: reference, hostWindowsVersion: windows)
    }

    @Test("OCI children linux/amd64, linux/arm64 and windows/amd64 with os.version → OCI index", arguments: RegistryKind.allCases)
    func threePlatforms(_ kind: RegistryKind) async throws {
        let fleet = try Fleet.require()
        let registry = try FleetRegistry(kind, fleet: fleet)
        let repository = registry.freshRepository("three")
        let children = BuildahChildren.shared
        let specs: [(String, BuildahChildren.Spec, String)] = [
            ("linux/amd64", .amd64, "v1-linux-amd64"), ("linux/arm64", .arm64, "v1-linux-arm64"),
            ("windows/amd64", .windows, "v1-windows-ltsc2022-amd64"),
        ]
        var slots: [ManifestSlot] = []
        for (platform, spec, tag) in specs {
            try await children.push(spec, to: registry, repository: repository, tag: tag)
            slots.append(try Self.slot(platform, registry.reference(repository, tag: tag)))
        }
        let target = registry.reference(repository, tag: "v1")
        let pushed = try await RegistryClient.withClient(configuration: registry.clientConfiguration) { client in
            try await ManifestAssembler(client: client).assemble(target: target, slots: slots)
        }
        #expect(pushed.kind == .ociIndex)
        #expect(pushed.children.map { $0.platform.shortDescription } == ["linux/amd64", "linux/arm64", "windows/amd64"])
        #expect(pushed.children[2].platform.osVersion == "10.0.20348.2527")
        try IndependentChecks.verifyList(
            target, pushed: pushed.bytes,
            children: zip(specs, pushed.children).map { ($0.0.0, $0.1.manifest) },
            windowsVersion: "10.0.20348.2527", on: registry)
    }

    @Test("Docker v2 children (buildah --format docker) → Docker manifest list, os.version kept")
    func dockerChildren() async throws {
        let fleet = try Fleet.require()
        let registry = try FleetRegistry(.plain, fleet: fleet)
        let repository = registry.freshRepository("docker")
        let specs: [(String, BuildahChildren.Spec)] = [
            ("linux/amd64", BuildahChildren.Spec.amd64.docker), ("windows/amd64", BuildahChildren.Spec.windows.docker),
        ]
        var slots: [ManifestSlot] = []
        for (platform, spec) in specs {
            let tag = "v2-" + platform.replacingOccurrences(of: "/", with: "-")
            try await BuildahChildren.shared.push(spec, to: registry, repository: repository, tag: tag)
            slots.append(try Self.slot(platform, registry.reference(repository, tag: tag)))
        }
        let target = registry.reference(repository, tag: "v2")
        let pushed = try await RegistryClient.withClient(configuration: registry.clientConfiguration) { client in
            try await ManifestAssembler(client: client).assemble(target: target, slots: slots)
        }
        #expect(pushed.kind == .dockerManifestList)
        #expect(pushed.children.allSatisfy { $0.manifest.kind == .dockerManifest })
        let docker = try IndependentChecks.dockerManifestInspect(target, on: registry)
        #expect(docker.mediaType == MediaType.dockerManifestList)
        try IndependentChecks.verifyList(
            target, pushed: pushed.bytes, children: zip(specs, pushed.children).map { ($0.0.0, $0.1.manifest) },
            windowsVersion: "10.0.20348.2527", on: registry)
    }

    @Test("a Windows image without os.version takes the host's known build; without one it is refused")
    func windowsFallback() async throws {
        let fleet = try Fleet.require()
        let registry = try FleetRegistry(.plain, fleet: fleet)
        let repository = registry.freshRepository("winver")
        try await BuildahChildren.shared.push(.windowsWithoutVersion, to: registry, repository: repository, tag: "w")
        let source = registry.reference(repository, tag: "w")
        try await RegistryClient.withClient(configuration: registry.clientConfiguration) { client in
            let assembler = ManifestAssembler(client: client)
            let refused = registry.reference(repository, tag: "refused")
            await #expect {
                try await assembler.assemble(target: refused, slots: [try Self.slot("windows/amd64", source)])
            } throws: { error in
                "\(error)".contains("no os.version") && "\(error)".contains(source.description)
            }
            let found1 = try await client.manifestDescriptor(refused)
            #expect(found1 == nil, "nothing was pushed")
            let target = registry.reference(repository, tag: "v1")
            let pushed = try await assembler.assemble(
                target: target, slots: [try Self.slot("windows/amd64", source, windows: "10.0.20348")])
            #expect(pushed.children[0].platform.osVersion == "10.0.20348")
            let docker = try IndependentChecks.dockerManifestInspect(target, on: registry)
            #expect(docker.manifests.first?.platform?.osVersion == "10.0.20348")
        }
    }
}
