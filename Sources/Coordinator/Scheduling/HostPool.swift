import Shared

/// Capacity accounting: a host runs at most `capacity` builds at once; others wait their turn in
/// arrival order.
actor HostPool {
    private var running: [String: Int] = [:]
    private var waiters: [String: [(id: Int, continuation: CheckedContinuation<Void, any Error>)]] = [:]
    private var nextWaiter = 0
    private let capacities: [String: Int]

    init(hosts: [BuildHost]) {
        capacities = Dictionary(hosts.map { ($0.name, $0.capacity) }, uniquingKeysWith: { first, _ in first })
    }

    /// Waits for a free place on `host`. Throws `CancellationError` if the task is cancelled
    /// while waiting.
    func acquire(_ host: String) async throws {
        try Task.checkCancellation()
        if running[host, default: 0] < capacities[host, default: 1] {
            running[host, default: 0] += 1
            return
        }
        let id = nextWaiter
        nextWaiter += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiters[host, default: []].append((id, continuation))
            }
        } onCancel: {
            Task { await self.cancelWaiter(host, id) }
        }
    }

    /// Frees a place on `host`, handing it to the longest waiter.
    func release(_ host: String) {
        if var queue = waiters[host], !queue.isEmpty {
            let next = queue.removeFirst()
            waiters[host] = queue
            next.continuation.resume()  // the place passes straight to the waiter
        } else {
            running[host, default: 1] -= 1
        }
    }

    /// Builds running on `host` now.
    func load(of host: String) -> Int { running[host, default: 0] }

    private func cancelWaiter(_ host: String, _ id: Int) {
        guard let index = waiters[host]?.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters[host]!.remove(at: index)
        waiter.continuation.resume(throwing: CancellationError())
    }
}
