import Shared

@testable import Coordinator

/// One child for a test list: the platform its slot expects, how buildah builds it, and its tag.
struct ChildSpec: Sendable {
    var platform: String
    var build: BuildahChildren.Spec
    var tag: String
}

extension FleetRegistry {
    /// Assembles `slots` into `target` with our client, configured for this registry as a user's machine would be.
    func assemble(_ target: ImageReference, _ slots: [ManifestSlot], options: ManifestAssembler.Options = .init())
        async throws -> ManifestAssembler.PushedList
    {
        try await RegistryClient.withClient(configuration: clientConfiguration) { client in
            try await ManifestAssembler(client: client).assemble(target: target, slots: slots, options: options)
        }
    }

    /// The descriptor of `reference` as our client sees it, `nil` when absent.
    func descriptor(_ reference: ImageReference) async throws -> Descriptor? {
        try await RegistryClient.withClient(configuration: clientConfiguration) { try await $0.manifestDescriptor(reference) }
    }

    /// Builds and pushes `children` into `repository`, returning a slot for each (expecting its platform).
    func pushSlots(_ children: [ChildSpec], repository: String) async throws -> [ManifestSlot] {
        var slots: [ManifestSlot] = []
        for child in children {
            try await BuildahChildren.shared.push(child.build, to: self, repository: repository, tag: child.tag)
            slots.append(ManifestSlot(expected: try Platform(parsing: child.platform), source: reference(repository, tag: child.tag)))
        }
        return slots
    }
}
