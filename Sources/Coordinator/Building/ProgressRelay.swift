import Foundation

/// The progress of one build attempt, from the worker's threads to the one task that records it, in order.
/// The consumer takes everything that came since it last asked, and consecutive log lines become one event,
/// so a burst of output costs one wake-up and one record per sink instead of one per piece. (`AsyncStream`,
/// unspecialised, also spent more on generic metadata lookups per element than on the element.)
final class ProgressRelay: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [ProgressEvent.Kind] = []
    private var waiter: CheckedContinuation<[ProgressEvent.Kind]?, Never>?
    private var finished = false

    /// Adds an event; ignored once finished.
    func yield(_ event: ProgressEvent.Kind) {
        lock.lock()
        guard !finished else {
            lock.unlock()
            return
        }
        if let waiter {
            self.waiter = nil
            lock.unlock()
            waiter.resume(returning: [event])
            return
        }
        if case .log(let lines) = event, case .log(let earlier)? = pending.last {
            pending[pending.count - 1] = .log(earlier + lines)
        } else {
            pending.append(event)
        }
        lock.unlock()
    }

    /// No more events: the consumer gets what is pending, then `nil`.
    func finish() {
        lock.lock()
        finished = true
        let waiter = waiter
        self.waiter = nil
        lock.unlock()
        waiter?.resume(returning: nil)
    }

    /// The events that came since the last call, waiting for one if there are none; `nil` once finished and
    /// drained.
    func next() async -> [ProgressEvent.Kind]? {
        await withCheckedContinuation { continuation in
            lock.lock()
            if !pending.isEmpty {
                let batch = pending
                pending = []
                lock.unlock()
                continuation.resume(returning: batch)
            } else if finished {
                lock.unlock()
                continuation.resume(returning: nil)
            } else {
                waiter = continuation
                lock.unlock()
            }
        }
    }
}
