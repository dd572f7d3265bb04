import Testing
import TestSupport

@testable import Coordinator
@testable import Shared

/// Work inside ``RegistryClient/withClient(configuration:_:)`` stays on the client's event loop, against the fleet's
/// plain registry: a response resumes its request on the thread that read it, with no hand-over to the cooperative
/// pool and back.
@Suite("registry client event loop", .timeLimit(.minutes(5)))
struct RegistryClientEventLoopTests {
    @Test("the body, the tasks it starts and the code after each request run on the client's event loop")
    func stays() async throws {
        let registry = try FleetRegistry(.plain, fleet: try Fleet.require())
        let repository = registry.freshRepository("event-loop")
        let children = [
            ChildSpec(platform: "linux/amd64", build: .amd64, tag: "amd64"),
            ChildSpec(platform: "linux/arm64", build: .arm64, tag: "arm64"),
        ]
        let slots = try await registry.pushSlots(children, repository: repository)
        let configuration = registry.clientConfiguration
        let (places, pushed) = try await RegistryClient.withClient(configuration: configuration) { client in
            var places = [client.eventLoop.inEventLoop]
            let pushed = try await ManifestAssembler(client: client).assemble(
                target: registry.reference(repository, tag: "v1"), slots: slots)
            places.append(client.eventLoop.inEventLoop)
            let started = await withTaskGroup(of: Bool.self) { group in
                for slot in slots {
                    group.addTask {
                        _ = try? await client.manifest(slot.source)
                        return client.eventLoop.inEventLoop
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            return (places + started, pushed)
        }
        #expect(places == [true, true, true, true], "on the client's loop: body, after the push, each child task")
        #expect(pushed.children.map(\.platform.shortDescription) == ["linux/amd64", "linux/arm64"])
    }

    @Test("from the main actor, a `@Sendable` body (as `manifest create` passes) runs on the client's event loop")
    @MainActor
    func fromMainActor() async throws {
        let registry = try FleetRegistry(.plain, fleet: try Fleet.require())
        let missing = registry.reference(registry.freshRepository("main-actor"), tag: "none")
        let places = try await RegistryClient.withClient(configuration: registry.clientConfiguration) {
            @Sendable client in
            var places = [client.eventLoop.inEventLoop]
            _ = try await client.manifestDescriptor(missing)
            places.append(client.eventLoop.inEventLoop)
            return places
        }
        #expect(places == [true, true], "on the client's loop: body, after a request")
    }
}
