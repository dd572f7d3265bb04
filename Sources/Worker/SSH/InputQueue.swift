/// Bytes waiting to be written to a channel's stdin, filled by one async producer.
///
/// ``write(_:)`` returns once the chunk is queued and fewer than ``limit`` bytes wait, so the
/// producer prepares the next chunk while the session thread sends this one.
final class InputQueue: Sendable {
    enum Peek {
        case chunk([UInt8], offset: Int)
        case empty
        case finished
    }

    private struct State {
        var chunks: [[UInt8]] = []
        var head = 0
        var offset = 0
        var bytes = 0
        var finished = false
        var closed: (any Error)?
        var producer: CheckedContinuation<Void, any Error>?
    }

    /// The producer is told to stop with this error when the remote side no longer reads.
    struct Closed: Error, CustomStringConvertible {
        var description: String { "the remote command stopped reading its input" }
    }

    let limit: Int
    private let state = Locked(State())
    private let wake: @Sendable () -> Void

    init(limit: Int, wake: @escaping @Sendable () -> Void) {
        self.limit = limit
        self.wake = wake
    }

    /// Producer: queues `chunk`; waits while the queue is full. Throws once the command's input is
    /// closed (it exited, or was cancelled).
    func write(_ chunk: [UInt8]) async throws {
        guard !chunk.isEmpty else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome = state.withLock { state -> Result<Void, any Error>? in
                if let error = state.closed { return .failure(error) }
                state.chunks.append(chunk)
                state.bytes += chunk.count
                if state.bytes < limit { return .success(()) }
                state.producer = continuation
                return nil
            }
            wake()
            if let outcome { continuation.resume(with: outcome) }
        }
    }

    /// Producer: no more input; the command gets end-of-file after the queued bytes.
    func finish() {
        state.withLock { $0.finished = true }
        wake()
    }

    /// Session thread: the bytes to send next.
    func peek() -> Peek {
        state.withLock { state in
            if state.head < state.chunks.count { return .chunk(state.chunks[state.head], offset: state.offset) }
            return state.finished ? .finished : .empty
        }
    }

    /// Session thread: `count` bytes of the head chunk were sent.
    func advance(_ count: Int) {
        let producer = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard state.head < state.chunks.count else { return nil }  // closed meanwhile
            state.offset += count
            state.bytes -= count
            if state.offset >= state.chunks[state.head].count {
                state.chunks[state.head] = []
                state.head += 1
                state.offset = 0
                if state.head > 64, state.head * 2 > state.chunks.count {
                    state.chunks.removeFirst(state.head)
                    state.head = 0
                }
            }
            guard state.bytes < limit else { return nil }
            defer { state.producer = nil }
            return state.producer
        }
        producer?.resume()
    }

    /// Any thread: refuse further input, drop what is queued, release a waiting producer.
    func close(_ error: any Error = Closed()) {
        let producer = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if state.closed == nil { state.closed = error }
            state.chunks = []
            state.head = 0
            state.bytes = 0
            defer { state.producer = nil }
            return state.producer
        }
        producer?.resume(throwing: error)
    }
}
