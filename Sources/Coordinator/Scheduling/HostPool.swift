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

    /// Hosts ruled out for the rest of the run (changed host key, refused credentials, not what the
    /// inventory says): no slot tries them again.
    private var disqualified: Set<String> = []

    /// Rules `host` out for the rest of the run.
    func disqualify(_ host: String) { disqualified.insert(host) }

    /// `candidates` without the hosts ruled out, in the same order.
    func usable(_ candidates: [BuildHost]) -> [BuildHost] {
        candidates.filter { !disqualified.contains($0.name) }
    }

    /// Waits for a place on the candidate whose turn it is, skipping hosts ruled out for the run, also
    /// those ruled out while this slot waited, and the hosts in `full` (whose own slots were all taken just now):
    /// the next candidate in order goes first. Returns `nil` when every candidate is ruled out, or is in `full`.
    func acquireUsable(_ candidates: [BuildHost], turn: Int, skipping full: Set<String> = []) async throws
        -> BuildHost?
    {
        while true {
            let usable = usable(candidates)
            guard !usable.isEmpty else { return nil }
            let start = turn % usable.count
            guard let host = (usable[start...] + usable[..<start]).first(where: { !full.contains($0.name) }) else {
                return nil
            }
            try await acquire(host.name)
            if !disqualified.contains(host.name) { return host }
            release(host.name)
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
