import Foundation
import Shared
import Testing

@testable import Coordinator

/// One attempt's progress on its way from the worker's threads to the sinks.
@Suite("Progress relay")
struct ProgressRelayTests {
    /// The events as text, for comparisons.
    static func text(_ events: [ProgressEvent.Kind]) -> [String] {
        events.map { event in
            switch event {
            case .phase(let phase): "phase \(phase)"
            case .log(let lines): "log \(lines.joined(separator: "|"))"
            case .attemptFailed(let message, _): "failed \(message)"
            }
        }
    }

    @Test("events waiting together come out in order, consecutive lines as one event; then nil after finish")
    func batchesInOrder() async {
        let relay = ProgressRelay()
        relay.yield(.phase(.probing))
        relay.yield(.log(["a"]))
        relay.yield(.log(["b", "c"]))
        relay.yield(.phase(.building))
        relay.yield(.log(["d"]))
        relay.finish()
        relay.yield(.log(["after finish"]))
        let batch = await relay.next() ?? []
        #expect(Self.text(batch) == ["phase probing", "log a|b|c", "phase building", "log d"])
        #expect(await relay.next() == nil)
    }

    @Test("a waiting consumer gets each event as it comes, from other threads, none lost or reordered")
    func deliversAcrossThreads() async {
        let relay = ProgressRelay()
        let consumer = Task {
            var lines: [String] = []
            while let events = await relay.next() {
                for case .log(let texts) in events { lines += texts }
            }
            return lines
        }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                for index in 0..<2000 { relay.yield(.log(["\(index)"])) }
                relay.finish()
                done.resume()
            }
            thread.start()
        }
        #expect(await consumer.value == (0..<2000).map(String.init))
    }
}
