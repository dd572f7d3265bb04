import Foundation
import Shared

/// A child started with `posix_spawn` and waited for on the calling thread, for the two places a test cannot
/// use ``Shell``, whose waiting resumes on the cooperative pool: a command run from a ``PollingThread`` (which
/// exists to be independent of the pool), and a long-lived helper whose `stop()` runs from a synchronous `defer`.
///
/// The child's stdin is `/dev/null` or a file; its stdout and stderr are `/dev/null` or this process's; it inherits no
/// other descriptor of this process (`closefrom(3)` in the child) and starts with default signal dispositions and
/// an empty signal mask. It is reaped by its pid only (`waitpid(pid)`, never `waitpid(-1)`), so no other child's
/// exit status is taken from whoever waits for it.
public final class SpawnedProcess: Sendable {
    /// Where the child's stdout or stderr goes.
    public enum Stream: Sendable {
        /// `/dev/null`.
        case discarded
        /// This process's own stream.
        case inherited
    }

    /// How the child ended.
    public enum Ending: Sendable, Equatable {
        /// It exited with this status.
        case exited(Int32)
        /// A signal with this number killed it.
        case signalled(Int32)
        /// `waitpid` failed with this errno (something else reaped the child).
        case unknown(errno: Int32)
    }

    /// The child's process id (reserved for it until it is reaped).
    public let pid: pid_t
    private let ending = Locked<Ending?>(nil)

    /// Starts `arguments` (the first is a path, or a name looked up in this process's `PATH`), reading
    /// its stdin from the file `stdin`.
    public init(
        _ arguments: [String], stdin: String = "/dev/null", stdout: Stream = .discarded, stderr: Stream = .discarded
    ) throws {
        guard let command = arguments.first else {
            throw Shell.LaunchError(arguments: arguments, reason: "no command given")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        for (descriptor, stream) in [(Int32(1), stdout), (2, stderr)] where stream == .discarded {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", O_WRONLY, 0)
        }
        guard let closeFrom = Self.closeFrom else {
            throw Shell.LaunchError(
                arguments: arguments,
                reason: "this C library cannot close inherited descriptors in a spawned child (glibc 2.34 or later)")
        }
        let closing = closeFrom(&actions, 3)
        guard closing == 0 else {
            throw Shell.LaunchError(arguments: arguments, reason: String(cString: strerror(closing)))
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        sigdelset(&allSignals, SIGKILL)  // which cannot be changed: not asked for, as swift-subprocess does
        sigdelset(&allSignals, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        // posix_spawnp takes a command with a slash as its path.
        let failure = posix_spawnp(&pid, command, &actions, &attributes, argv, environ)
        guard failure == 0 else {
            throw Shell.LaunchError(arguments: arguments, reason: String(cString: strerror(failure)))
        }
        self.pid = pid
    }

    /// Waits on the calling thread (never a cooperative-pool thread) until the child ends, and reaps it.
    public func waitForExit() -> Ending {
        ending.withLock { ending in
            if let ending { return ending }
            var status: Int32 = 0
            var waited = waitpid(pid, &status, 0)
            while waited < 0 && errno == EINTR { waited = waitpid(pid, &status, 0) }
            let ended = waited < 0 ? .unknown(errno: errno) : Self.ending(status)
            ending = ended
            return ended
        }
    }

    /// Sends SIGTERM, then SIGKILL when the child is still running after `grace`, and reaps it; waits on the
    /// calling thread.
    @discardableResult
    public func stop(grace: Duration) -> Ending {
        let deadline = ContinuousClock.now + grace
        guard signal(SIGTERM) else { return waitForExit() }
        while ContinuousClock.now < deadline {
            let ended: Ending? = ending.withLock { ending in
                if ending == nil {
                    var status: Int32 = 0
                    if waitpid(pid, &status, WNOHANG) == pid { ending = Self.ending(status) }
                }
                return ending
            }
            if let ended { return ended }
            usleep(20_000)
        }
        signal(SIGKILL)
        return waitForExit()
    }

    /// Sends `number` unless the child was reaped (its pid could belong to another process by now).
    @discardableResult
    private func signal(_ number: Int32) -> Bool {
        ending.withLock { ending in
            guard ending == nil else { return false }
            kill(pid, number)
            return true
        }
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc module hides (it is
    /// declared only under `_GNU_SOURCE`); swift-subprocess looks it up the same way. `nil` is `RTLD_DEFAULT`.
    private static let closeFrom = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: AddCloseFrom.self)
    }

    private static func ending(_ status: Int32) -> Ending {
        // WIFSIGNALED / WTERMSIG / WEXITSTATUS, which Swift does not import.
        status & 0x7f != 0 ? .signalled(status & 0x7f) : .exited((status >> 8) & 0xff)
    }
}
