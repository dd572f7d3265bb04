import Foundation
import Shared
import Testing
import TestSupport

@testable import Coordinator

/// Children that must not go into a list: nothing is pushed, and the tag keeps what it had.
@Suite("manifest create refusals", .serialized, .timeLimit(.minutes(5)))
struct ManifestRefusalTests {
    @Test("a child whose config disagrees with its slot is refused, naming tag, expected and actual; the tag keeps its list")
    func platformMismatch() async throws {
        let fleet = try Fleet.require()
        let registry = try FleetRegistry(.plain, fleet: fleet)
        let repository = registry.freshRepository("mismatch")
        let amd64 = registry.reference(repository, tag: "v1-linux-amd64")
        let liar = registry.reference(repository, tag: "v1-linux-arm64")  // really an amd64 image
        try await BuildahChildren.shared.push(.amd64, to: registry, repository: repository, tag: "v1-linux-amd64")
        try await BuildahChildren.shared.push(.amd64, to: registry, repository: repository, tag: "v1-linux-arm64")
        let target = registry.reference(repository, tag: "v1")
        let previousDigest = try await RegistryClient.withClient(configuration: registry.clientConfiguration) { client in
            let assembler = ManifestAssembler(client: client)
            let previous = try await assembler.assemble(
                target: target, slots: [ManifestSlot(expected: .linuxAMD64, source: amd64)])
            await #expect {
                try await assembler.assemble(
                    target: target,
                    slots: [ManifestSlot(expected: .linuxAMD64, source: amd64), ManifestSlot(expected: .linuxARM64, source: liar)])
            } throws: { error in
                guard case .platformMismatch(let source, let expected, let actual)? = error as? AssemblyError else {
                    return false
                }
                return source == liar && expected == "linux/arm64" && actual == "linux/amd64"
                    && "\(error)".contains("\(liar) was given as linux/arm64 but its image config says linux/amd64")
            }
            let found1 = try await client.manifestDescriptor(target)
            #expect(found1?.digest == previous.digest, "the tag still serves the earlier list")
            return previous.digest
        }
        #expect(
            Digest(of: try IndependentChecks.rawManifest(target, on: registry)) == previousDigest,
            "skopeo reads the earlier list too")
    }

    @Test("a missing child is refused before any PUT: neither the list nor another repository's child is written")
    func missingChild() async throws {
        let fleet = try Fleet.require()
        let registry = try FleetRegistry(.token, fleet: fleet)
        let repository = registry.freshRepository("missing")
        let elsewhere = registry.freshRepository("elsewhere")
        let arm64 = try await BuildahChildren.shared.push(.arm64, to: registry, repository: elsewhere, tag: "v1-linux-arm64")
        let missing = registry.reference(repository, tag: "v1-linux-amd64")
        let target = registry.reference(repository, tag: "v1")
        try await RegistryClient.withClient(configuration: registry.clientConfiguration) { client in
            await #expect {
                try await ManifestAssembler(client: client).assemble(
                    target: target,
                    slots: [
                        ManifestSlot(expected: .linuxAMD64, source: missing),
                        ManifestSlot(expected: .linuxARM64, source: registry.reference(elsewhere, tag: "v1-linux-arm64")),
                    ])
            } throws: { error in
                "\(error)".contains(missing.description) && "\(error)".contains("does not exist")
            }
            let found2 = try await client.manifestDescriptor(target)
            #expect(found2 == nil, "no list was pushed")
            let copied = try await client.manifestDescriptor(target.withDigest(arm64))
            #expect(copied == nil, "the valid child from another repository was not copied either")
        }
    }

    @Test("two children for the same platform are refused")
    func duplicatePlatform() async throws {
        let fleet = try Fleet.require()
        let registry = try FleetRegistry(.plain, fleet: fleet)
        let repository = registry.freshRepository("duplicate")
        try await BuildahChildren.shared.push(.amd64, to: registry, repository: repository, tag: "a")
        try await BuildahChildren.shared.push(.amd64.docker, to: registry, repository: repository, tag: "b")
        let target = registry.reference(repository, tag: "v1")
        try await RegistryClient.withClient(configuration: registry.clientConfiguration) { client in
            await #expect {
                try await ManifestAssembler(client: client).assemble(
                    target: target,
                    slots: [
                        ManifestSlot(source: registry.reference(repository, tag: "a")),
                        ManifestSlot(source: registry.reference(repository, tag: "b")),
                    ])
            } throws: { error in
                "\(error)".contains("are both linux/amd64")
            }
            let found3 = try await client.manifestDescriptor(target)
            #expect(found3 == nil)
        }
    }
}
