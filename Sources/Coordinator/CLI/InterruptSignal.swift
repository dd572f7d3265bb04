import Dispatch
import Foundation

/// Turns Ctrl-C (SIGINT) and SIGTERM into a callback, so a build can cancel its remote work and
/// clean up instead of dying mid-way. A second Ctrl-C exits at once with 130.
/// `@unchecked`: the sources are set once in `init` and Dispatch sources are thread-safe.
final class InterruptSignal: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    init(_ handler: @escaping @Sendable () -> Void) {
        let queue = DispatchQueue(label: "coordinator.signals")
        let count = Counter()
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                if count.increment() > 1 { exit(130) }
                FileHandle.standardError.write(Data("\ninterrupted: cancelling remote builds (Ctrl-C again to quit now)\n".utf8))
                handler()
            }
            source.resume()
            return source
        }
    }

    /// Restores the default handlers.
    func cancel() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func increment() -> Int { lock.withLock { value += 1; return value } }
    }
}
