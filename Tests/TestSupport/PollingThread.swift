import Foundation

/// Runs a blocking probe (reading /proc, say) over and over on a thread of its own, never on Swift's
/// cooperative pool, where a busy loop would starve every other test of this process.
public enum PollingThread {
    /// Calls `body` every `interval` on a dedicated thread until the calling task is cancelled;
    /// returns once the thread has stopped.
    public static func run(every interval: Duration, _ body: @escaping @Sendable () -> Void) async {
        let stop = StopFlag()
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let thread = Thread {
                    while !stop.isSet {
                        body()
                        Thread.sleep(forTimeInterval: seconds)
                    }
                    continuation.resume()
                }
                thread.name = "test-poller"
                thread.start()
            }
        } onCancel: {
            stop.set()
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
