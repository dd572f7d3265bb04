import Foundation
import Testing
import TestSupport
import Worker

@testable import Coordinator

@Suite("Connections opened while a release reads its sources")
struct SSHPreconnectTests {
    /// A target at `listener`, whose handshake would wait for the whole 120 s connect timeout.
    static func target(_ listener: SilentListener) -> SSHTarget {
        SSHTarget(
            name: "silent", address: "127.0.0.1", port: listener.port, user: "nobody", useAgent: false,
            knownHostsFiles: [], connectTimeout: .seconds(120))
    }

    @Test("a build cancelled while its early connection is still being made stops at once, not at the connect timeout")
    func cancelledTake() async throws {
        // A server that accepts the TCP connection and never sends its banner: the handshake waits for 120 s.
        // The bounds below are far from it and far above the 0.3 s this takes on an idle machine: on CI's 2 cores
        // the other suites can hold the cooperative pool for seconds.
        let listener = try SilentListener(address: "127.0.0.1")
        let target = Self.target(listener)
        let preconnect = SSHPreconnect()
        await preconnect.start([("silent", target)])
        let started = ContinuousClock.now
        let taking = Task { await preconnect.take("silent") }
        try await Task.sleep(for: .milliseconds(300))
        taking.cancel()
        let result = await taking.value
        #expect(ContinuousClock.now - started < .seconds(60), "the attempt was not cancelled with its build")
        let outcome = try #require(result)
        #expect(throws: (any Error).self) { try outcome.get() }
        await preconnect.closeRemaining()
    }

    @Test("closing cancels an attempt still under way instead of waiting for its connect timeout")
    func closeUnused() async throws {
        let listener = try SilentListener(address: "127.0.0.1")
        let target = Self.target(listener)
        let preconnect = SSHPreconnect()
        await preconnect.start([("silent", target), ("silent", target)])
        let started = ContinuousClock.now
        await preconnect.closeRemaining()
        #expect(ContinuousClock.now - started < .seconds(60), "an attempt under way is cancelled, not awaited")
        #expect(await preconnect.take("silent") == nil)
    }
}
