/// Bytes read from one channel stream, queued for one async consumer.
///
/// The session thread stops reading the stream while ``limit`` bytes wait unconsumed, and the
/// consumer wakes it when it takes them. (libssh2 1.10 opens the channel window in 120 MB steps
/// whenever either stream is read, so while one stream is paused its data may also pile up inside
/// libssh2: read both streams.)
final class OutputPipe: Sendable {
    private struct State {
        var chunks: [[UInt8]] = []
        var head = 0
        var bytes = 0
        var finished = false
        var error: (any Error)?
        var waiter: CheckedContinuation<[UInt8]?, any Error>?
        var stalled = false
    }

    let limit: Int
    private let state = Locked(State())
    private let wake: @Sendable () -> Void

    init(limit: Int, wake: @escaping @Sendable () -> Void) {
        self.limit = limit
        self.wake = wake
    }

    /// Session thread: whether to read more from the channel now.
    var hasRoom: Bool {
        state.withLock { state in
            if state.finished { return true }  // a finished pipe discards
            let room = state.bytes < limit
            if !room { state.stalled = true }
            return room
        }
    }

    /// Session thread: queues a chunk (dropped after ``finish(throwing:)``).
    func push(_ chunk: [UInt8]) {
        guard !chunk.isEmpty else { return }
        let waiter = state.withLock { state -> CheckedContinuation<[UInt8]?, any Error>? in
            guard !state.finished else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.chunks.append(chunk)
            state.bytes += chunk.count
            return nil
        }
        waiter?.resume(returning: chunk)
    }

    /// Ends the stream: queued chunks are still delivered unless `error` is given.
    func finish(throwing error: (any Error)? = nil) {
        let waiter = state.withLock { state -> CheckedContinuation<[UInt8]?, any Error>? in
            guard !state.finished else { return nil }
            state.finished = true
            state.error = error
            if error != nil {
                state.chunks = []
                state.head = 0
                state.bytes = 0
            }
            defer { state.waiter = nil }
            return state.waiter
        }
        if let error { waiter?.resume(throwing: error) } else { waiter?.resume(returning: nil) }
    }

    /// Consumer: the next chunk, `nil` at the end.
    func next() async throws -> [UInt8]? {
        try await withCheckedThrowingContinuation { continuation in
            let (outcome, wakeLoop) = state.withLock { state -> (Result<[UInt8]?, any Error>?, Bool) in
                if state.head < state.chunks.count {
                    let chunk = state.chunks[state.head]
                    state.chunks[state.head] = []
                    state.head += 1
                    state.bytes -= chunk.count
                    if state.head > 64, state.head * 2 > state.chunks.count {
                        state.chunks.removeFirst(state.head)
                        state.head = 0
                    }
                    let wakeLoop = state.stalled && state.bytes < limit
                    if wakeLoop { state.stalled = false }
                    return (.success(chunk), wakeLoop)
                }
                if state.finished {
                    if let error = state.error { return (.failure(error), false) }
                    return (.success(nil), false)
                }
                state.waiter = continuation
                return (nil, state.stalled)
            }
            if wakeLoop { wake() }
            if let outcome { continuation.resume(with: outcome) }
        }
    }
}
