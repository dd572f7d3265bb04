/// Limits how many connections to one endpoint are being set up at once.
///
/// sshd drops new connections at random once 10 are unauthenticated (`MaxStartups 10:30:100`), so a
/// burst of 32 sessions to one host would fail now and then; queueing the surplus here avoids it.
final class HandshakeGate: Sendable {
    static let shared = HandshakeGate(limit: 8)

    private struct Slot {
        var active = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let limit: Int
    private let slots = Locked([String: Slot]())

    init(limit: Int) {
        self.limit = limit
    }

    /// Waits for a slot (not cancellable: a slot frees within one connect timeout).
    func enter(_ key: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = slots.withLock { slots -> Bool in
                var slot = slots[key, default: Slot()]
                defer { slots[key] = slot }
                if slot.active < limit {
                    slot.active += 1
                    return true
                }
                slot.waiting.append(continuation)
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    func leave(_ key: String) {
        let next = slots.withLock { slots -> CheckedContinuation<Void, Never>? in
            guard var slot = slots[key] else { return nil }
            defer { slots[key] = slot.active == 0 && slot.waiting.isEmpty ? nil : slot }
            if !slot.waiting.isEmpty { return slot.waiting.removeFirst() }  // the slot passes on
            slot.active -= 1
            return nil
        }
        next?.resume()
    }
}
