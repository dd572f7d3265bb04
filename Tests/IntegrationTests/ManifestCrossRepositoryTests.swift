import Foundation
import Shared
import Testing
import TestSupport

@testable import Coordinator

/// Children from another repository of the same registry are mounted into the target's, or refused on request;
/// children on another registry are refused.
@Suite("manifest create across repositories", .serialized, .timeLimit(.minutes(5)))
struct ManifestCrossRepositoryTests {
    @Test("children in other repositories are mounted and copied, then listed", arguments: [RegistryKind.plain, .token])
    func mounted(_ kind: RegistryKind) async throws {
        let fleet = try Fleet.require()
        let registry = try FleetRegistry(kind, fleet: fleet)
        let amd64Repository = registry.freshRepository("src-amd64")
        let windowsRepository = registry.freshRepository("src-windows")
        let target = registry.reference(registry.freshRepository("dest"), tag: "v1")
        try await BuildahChildren.shared.push(.amd64, to: registry, repository: amd64Repository, tag: "t")
        try await BuildahChildren.shared.push(.windows, to: registry, repository: windowsRepository, tag: "t")
        let pushed = try await RegistryClient.withClient(configuration: registry.clientConfiguration) { client in
            let pushed = try await ManifestAssembler(client: client).assemble(
                target: target,
                slots: [
                    ManifestSlot(expected: .linuxAMD64, source: registry.reference(amd64Repository, tag: "t")),
                    ManifestSlot(expected: .windowsAMD64, source: registry.reference(windowsRepository, tag: "t")),
                ])
            for child in pushed.children {
                let found1 = try await client.manifestDescriptor(target.withDigest(child.manifest.digest))
                #expect(found1 != nil)
                guard case .image(let image) = child.manifest.content else { continue }
                for blob in image.blobs {
                    let exists = try await client.blobExists(blob.digest, in: target)
                    #expect(exists)
                }
            }
            return pushed
        }
        try IndependentChecks.verifyList(
            target, pushed: pushed.bytes,
            children: [("linux/amd64", pushed.children[0].manifest), ("windows/amd64", pushed.children[1].manifest)],
            windowsVersion: "10.0.20348.2527", on: registry)
    }

    @Test("with cross-repository copying off, or from another registry, the child is refused before any PUT")
    func refused() async throws {
        let fleet = try Fleet.require()
        let registry = try FleetRegistry(.plain, fleet: fleet)
        let other = try FleetRegistry(.token, fleet: fleet)
        let sourceRepository = registry.freshRepository("src")
        try await BuildahChildren.shared.push(.arm64, to: registry, repository: sourceRepository, tag: "t")
        let target = registry.reference(registry.freshRepository("dest"), tag: "v1")
        try await RegistryClient.withClient(configuration: registry.clientConfiguration) { client in
            let assembler = ManifestAssembler(client: client)
            await #expect {
                try await assembler.assemble(
                    target: target, slots: [ManifestSlot(source: registry.reference(sourceRepository, tag: "t"))],
                    options: .init(allowCrossRepository: false))
            } throws: { error in
                "\(error)".contains("may only point to manifests in its own repository")
            }
            let found2 = try await client.manifestDescriptor(target)
            #expect(found2 == nil)
        }
        try await BuildahChildren.shared.push(.arm64, to: other, repository: sourceRepository, tag: "t")
        var configuration = registry.clientConfiguration
        configuration.credentials = DockerCredentialStore(configDirectory: other.dockerConfig)
        try await RegistryClient.withClient(configuration: configuration) { client in
            await #expect {
                try await ManifestAssembler(client: client).assemble(
                    target: target, slots: [ManifestSlot(source: other.reference(sourceRepository, tag: "t"))])
            } throws: { error in
                "\(error)".contains("on another registry") && "\(error)".contains("skopeo copy")
            }
            let found3 = try await client.manifestDescriptor(target)
            #expect(found3 == nil)
        }
    }
}
