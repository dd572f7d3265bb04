import Foundation
import Shared
import Testing
import TestSupport

@testable import Coordinator

/// Children read as their platforms finish (``ChildPrefetch``), against the fleet's plain registry.
@Suite("Child prefetch", .timeLimit(.minutes(5)))
struct ChildPrefetchTests {
    @Test("a prefetched child is what assembly gets; a failed prefetch is not kept but read again")
    func prefetchedOrReadAgain() async throws {
        let fleet = try Fleet.require()
        let registry = try FleetRegistry(.plain, fleet: fleet)
        let source = registry.freshRepository("prefetch-src")
        let target = registry.freshRepository("prefetch")
        let digest = try await BuildahChildren.shared.push(.amd64, to: registry, repository: source, tag: "t")
        try await RegistryClient.withClient(configuration: registry.clientConfiguration) { client in
            let prefetch = ChildPrefetch(client: client)
            // Prefetched before the image is in `target`: the read fails (manifest unknown).
            let early = ManifestSlot(expected: .linuxAMD64, source: registry.reference(target, tag: "t").withDigest(digest))
            await prefetch.prefetch(early)
            await #expect(throws: AssemblyError.self) { try await prefetch.resolve(early) }
            try await ExternalTool.check([
                "skopeo", "copy", "--preserve-digests", "--src-tls-verify=false", "--dest-tls-verify=false",
                "docker://\(registry.host)/\(source)@\(digest)", "docker://\(registry.host)/\(target):t",
            ])
            let child = try await prefetch.resolve(early)
            #expect(child.manifest.digest == digest, "the failed prefetch was not kept")
            // A prefetched child is the one the assembler lists.
            let slot = ManifestSlot(expected: .linuxAMD64, source: registry.reference(source, tag: "t").withDigest(digest))
            await prefetch.prefetch(slot)
            let list = registry.reference(registry.freshRepository("prefetch-list"), tag: "v1")
            let pushed = try await ManifestAssembler(client: client, prefetched: prefetch).assemble(target: list, slots: [slot])
            #expect(pushed.children.map(\.manifest.digest) == [digest])
        }
    }
}
