import Foundation
import Shared
import Testing
import TestSupport

@testable import Coordinator

/// A child that is itself an index (buildx with provenance): its platform's image goes into the list, with its
/// attestation manifest kept (OCI index, annotations intact) or dropped.
@Suite("manifest create with an index child", .serialized, .timeLimit(.minutes(5)))
struct ManifestIndexChildTests {
    struct Setup {
        var registry: FleetRegistry
        var repository: String
        var amd64: ImageReference
        var attested: ImageReference
        var fixture: AttestedIndexFixture.Pushed
    }

    func setUp(_ fleet: Fleet) async throws -> Setup {
        let registry = try FleetRegistry(.basicTLS, fleet: fleet)
        let repository = registry.freshRepository("attested")
        try await BuildahChildren.shared.push(.amd64.docker, to: registry, repository: repository, tag: "v1-linux-amd64")
        try await BuildahChildren.shared.push(.arm64.docker, to: registry, repository: repository, tag: "arm64-plain")
        let fixture = try AttestedIndexFixture.push(
            image: registry.reference(repository, tag: "arm64-plain"), platform: ("linux", "arm64"), to: registry,
            tag: "v1-linux-arm64")
        return Setup(
            registry: registry, repository: repository, amd64: registry.reference(repository, tag: "v1-linux-amd64"),
            attested: registry.reference(repository, tag: "v1-linux-arm64"), fixture: fixture)
    }

    @Test("attestations kept: OCI index with the attestation entry and its reference annotations")
    func kept() async throws {
        let fleet = try Fleet.require()
        let setup = try await setUp(fleet)
        let target = setup.registry.reference(setup.repository, tag: "v1")
        let pushed = try await RegistryClient.withClient(configuration: setup.registry.clientConfiguration) { client in
            try await ManifestAssembler(client: client).assemble(
                target: target,
                slots: [ManifestSlot(expected: .linuxAMD64, source: setup.amd64), ManifestSlot(expected: .linuxARM64, source: setup.attested)])
        }
        #expect(pushed.kind == .ociIndex, "Docker children, but attestations need an OCI index")
        let index = try CanonicalJSON.decode(ImageIndex.self, from: pushed.bytes)
        #expect(index.manifests.map(\.digest) == [pushed.children[0].manifest.digest, setup.fixture.image, setup.fixture.attestation])
        let attestation = index.manifests[2]
        #expect(attestation.isAttestationManifest)
        #expect(attestation.attestedDigest == setup.fixture.image)
        #expect(attestation.platform == ImagePlatform(architecture: "unknown", os: "unknown"))
        try IndependentChecks.verifyList(
            target, pushed: pushed.bytes,
            children: [("linux/amd64", pushed.children[0].manifest), ("linux/arm64", pushed.children[1].manifest)],
            windowsVersion: nil, on: setup.registry)
        let docker = try IndependentChecks.dockerManifestInspect(target, on: setup.registry)
        #expect(docker.manifests.contains { $0.platform?.isUnknown == true && $0.digest == setup.fixture.attestation })
        // The annotations as skopeo reads them, decoded without our types.
        let raw = try IndependentChecks.rawManifest(target, on: setup.registry)
        let entries = (try JSONSerialization.jsonObject(with: Data(raw)) as? [String: Any])?["manifests"] as? [[String: Any]]
        let annotations = entries?.last?["annotations"] as? [String: String]
        #expect(annotations == [
            "vnd.docker.reference.type": "attestation-manifest",
            "vnd.docker.reference.digest": setup.fixture.image.description,
        ])
    }

    @Test("attestations dropped: only the images remain")
    func dropped() async throws {
        let fleet = try Fleet.require()
        let setup = try await setUp(fleet)
        let target = setup.registry.reference(setup.repository, tag: "v1-slim")
        let pushed = try await RegistryClient.withClient(configuration: setup.registry.clientConfiguration) { client in
            try await ManifestAssembler(client: client).assemble(
                target: target,
                slots: [ManifestSlot(source: setup.amd64), ManifestSlot(source: setup.attested)],
                options: .init(keepAttestations: false))
        }
        // The image inside the index child is OCI (as buildx writes it when attestations are on), so the list is
        // an OCI index even though the amd64 child is Docker v2.
        #expect(pushed.children.map(\.manifest.kind) == [.dockerManifest, .ociManifest])
        #expect(pushed.kind == .ociIndex)
        let index = try CanonicalJSON.decode(ImageIndex.self, from: pushed.bytes)
        #expect(index.manifests.map(\.digest) == [pushed.children[0].manifest.digest, setup.fixture.image])
        try IndependentChecks.verifyList(
            target, pushed: pushed.bytes,
            children: [("linux/amd64", pushed.children[0].manifest), ("linux/arm64", pushed.children[1].manifest)],
            windowsVersion: nil, on: setup.registry)
    }

    @Test("an index child without the slot's platform is refused, listing what it has")
    func wrongPlatform() async throws {
        let fleet = try Fleet.require()
        let setup = try await setUp(fleet)
        try await RegistryClient.withClient(configuration: setup.registry.clientConfiguration) { client in
            await #expect {
                try await ManifestAssembler(client: client).assemble(
                    target: setup.registry.reference(setup.repository, tag: "bad"),
                    slots: [ManifestSlot(expected: .linuxAMD64, source: setup.attested)])
            } throws: { error in
                "\(error)".contains("without a linux/amd64 image") && "\(error)".contains("linux/arm64")
            }
        }
    }
}
