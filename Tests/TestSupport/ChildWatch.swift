import Foundation
import Shared
import Subprocess

/// Watches one running ``Shell`` command from a thread of its own (never the cooperative pool): notes the
/// instant it ends, enforces its timeout, and sends it the SIGTERM that `terminateWhen` asks for.
///
/// The thread waits on the child's pidfd with `poll`, which does not reap it: swift-subprocess reaps it, by its
/// pid (`waitid(P_PID)`), once the body that awaits ``ended()`` has returned. Until then the pid cannot be
/// reused, so a signal sent before the end was seen cannot reach another process.
final class ChildWatch: Sendable {
    /// When the command was sent `terminateWhen`'s SIGTERM, if it was, and when it ended.
    struct Times: Sendable {
        var signalledAt: ContinuousClock.Instant?
        var endedAt: ContinuousClock.Instant
    }

    private struct State: Sendable {
        var signalledAt: ContinuousClock.Instant?
        var endedAt: ContinuousClock.Instant?
        var waiter: CheckedContinuation<Times, Never>?
    }

    private let child: ProcessIdentifier
    private let send: @Sendable (Subprocess.Signal) -> Void
    private let state = Locked(State())

    private init(child: ProcessIdentifier, send: @escaping @Sendable (Subprocess.Signal) -> Void) {
        self.child = child
        self.send = send
    }

    /// Starts watching `child`, which `send` signals: SIGTERM after `timeout`, SIGKILL 5 seconds later.
    static func start(
        _ child: ProcessIdentifier, timeout: Duration, send: @escaping @Sendable (Subprocess.Signal) -> Void
    ) -> ChildWatch {
        let watch = ChildWatch(child: child, send: send)
        let thread = Thread { watch.watch(timeout: timeout) }
        thread.name = "shell-child-watch"
        thread.start()
        return watch
    }

    /// Sends SIGTERM and notes when, unless the command was already seen to end.
    func terminate() {
        state.withLock { state in
            guard state.endedAt == nil else { return }
            state.signalledAt = .now
            send(.terminate)
        }
    }

    /// Waits for the command to end (called once).
    func ended() async -> Times {
        await withCheckedContinuation { continuation in
            let times: Times? = state.withLock { state in
                guard let endedAt = state.endedAt else {
                    state.waiter = continuation
                    return nil
                }
                return Times(signalledAt: state.signalledAt, endedAt: endedAt)
            }
            if let times { continuation.resume(returning: times) }
        }
    }

    private func watch(timeout: Duration) {
        if !waitForEnd(within: timeout) {
            send(.terminate)
            if !waitForEnd(within: .seconds(5)) {
                send(.kill)
                _ = waitForEnd(within: nil)
            }
        }
        let endedAt = ContinuousClock.now
        let (waiter, times) = state.withLock { state in
            state.endedAt = endedAt
            defer { state.waiter = nil }
            return (state.waiter, Times(signalledAt: state.signalledAt, endedAt: endedAt))
        }
        waiter?.resume(returning: times)
    }

    /// Whether the child ended within `limit` (`nil`: however long it takes), without reaping it.
    private func waitForEnd(within limit: Duration?) -> Bool {
        let deadline = limit.map { ContinuousClock.now + $0 }
        while true {
            let milliseconds = deadline.map { Int32(clamping: (($0 - .now) as Duration).milliseconds) } ?? -1
            if child.processDescriptor >= 0 {
                var entry = pollfd(fd: child.processDescriptor, events: Int16(POLLIN), revents: 0)
                switch poll(&entry, 1, milliseconds) {
                case 0: return false
                case 1...: return true
                default: continue  // EINTR
                }
            }
            // No pidfd (Linux before 5.3): look every 10 ms.
            var info = siginfo_t()
            if waitid(P_PID, id_t(child.value), &info, WEXITED | WNOHANG | WNOWAIT) == 0,
                info._sifields._sigchld.si_pid != 0
            {
                return true
            }
            if milliseconds == 0 { return false }
            usleep(10_000)
        }
    }
}
