import Foundation
import Shared

/// Runs a blocking probe (reading /proc, say) over and over on a thread of its own, never on Swift's
/// cooperative pool, where a busy loop would starve every other test of this process.
public final class PollingThread: @unchecked Sendable {
    private let stopFlag = StopFlag()
    private let finished = DispatchSemaphore(value: 0)

    /// Starts calling `body` every `interval` on a new thread, at once (not when a pool thread is free).
    public init(every interval: Duration, _ body: @escaping @Sendable () -> Void) {
        let seconds = interval.seconds
        let stop = stopFlag, finished = finished
        let thread = Thread {
            while !stop.isSet {
                body()
                Thread.sleep(forTimeInterval: seconds)
            }
            finished.signal()
        }
        thread.name = "test-poller"
        thread.start()
    }

    /// Stops the thread after its current call and waits for it, off the pool.
    public func stop() async {
        stopFlag.set()
        let finished = finished
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread { finished.wait(); continuation.resume() }.start()
        }
    }
}

/// A flag set once, read from any thread.
private final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

/// Runs CPU-bound test work (fuzzing, huge inputs) on a thread of its own. Swift Testing runs every test
/// as a task on the cooperative pool, which has one thread per core: a long synchronous loop there
/// would stall every other test of the process, and those that measure time would fail.
public enum OffPool {
    /// Runs `body` on a dedicated thread and returns (or throws) what it did.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.name = "test-cpu-work"
            thread.start()
        }
    }
}
