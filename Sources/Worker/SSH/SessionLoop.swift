import CSSH2
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What a waiting operation needs from the socket before it can continue.
struct Interest: OptionSet, Sendable {
    let rawValue: Int
    static let readable = Interest(rawValue: 1)
    static let writable = Interest(rawValue: 2)
}

/// The outcome of one ``SessionOperation/step(_:)``.
enum StepResult {
    case progressed
    /// Blocked: on the socket (`interest`), or, with an empty interest, on a local party (a consumer,
    /// a producer, another operation) that wakes the loop itself.
    case waiting(Interest)
    case finished
}

/// Work multiplexed on a session by its thread: a command on a channel, for instance.
protocol SessionOperation: AnyObject {
    /// Advances as far as possible without blocking. Session thread only.
    func step(_ loop: SessionLoop) -> StepResult
    /// The last libssh2 call left a partly sent packet in libssh2's single output buffer: until
    /// the same call is repeated, no other operation may call libssh2 (it would fail with
    /// `LIBSSH2_ERROR_BAD_USE` or lose data).
    var holdsPartialSend: Bool { get }
    /// When the operation must be stepped even without socket activity.
    var deadline: ContinuousClock.Instant? { get }
    /// The connection is closing: wind down (kill the remote command) soon. Session thread.
    func shutDown()
    /// The session is gone or was never reached: report `error`, touch no libssh2 handle. Any thread.
    func abandon(_ error: SSHError)
}

/// One libssh2 session and the dedicated thread that owns it.
///
/// Setup (TCP connect, handshake, host key check, authentication) runs in libssh2's blocking mode
/// with the target's timeout on each call; cancelling it shuts the socket down. Afterwards the
/// session is non-blocking and the thread runs an event loop: it steps every operation until none
/// progresses, then sleeps in `poll` on the socket and a wake pipe. The loop enforces libssh2's
/// rules for multiplexing channels: one channel open at a time (the open state is per session),
/// and after a partial send only the operation that owns it may call libssh2 until it completes.
/// Reads only happen while the socket is writable, so the window adjustment a read may send never
/// blocks halfway (libssh2 1.10 would drop the bytes it just read). Keepalives go out every
/// interval; three intervals without a byte from a server that owes us data mark the connection
/// lost. Every libssh2 handle is created, used and freed on this thread.
final class SessionLoop: @unchecked Sendable {
    let target: SSHTarget
    let wake: WakePipe

    // Shared with other threads, under the lock.
    private struct Shared {
        var incoming: [any SessionOperation] = []
        var closeRequested = false
        var ended: SSHError?
        var threadDone = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        var setupSocket: Int32 = -1
        var threadID: Int?
        var setupCancelled = false
        var algorithms = ""
        var hostKey: VerifiedHostKey?
    }

    private let shared = Locked(Shared())

    // Confined to the session thread.
    private(set) var session: OpaquePointer?
    private var socket: Int32 = -1
    private var handshakeDone = false
    private let counter = UnsafeMutablePointer<cssh2_io_counter>.allocate(capacity: 1)
    private var operations: [any SessionOperation] = []
    private var owner: ObjectIdentifier?
    private var openToken: ObjectIdentifier?
    private var fatal: SSHError?
    /// Times `poll` found the socket readable (or hung up).
    private var readableWakeups: UInt64 = 0
    /// When the next keepalive is due (libssh2 says how long until then).
    private var keepaliveDue: ContinuousClock.Instant?
    /// Scratch space for channel reads.
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)

    init(target: SSHTarget) throws(SSHError) {
        self.target = target
        self.wake = try WakePipe()
        counter.initialize(to: cssh2_io_counter(received: 0))
    }

    // MARK: - Any thread

    /// Starts the thread; `onSetup` runs on it once the session is usable or has failed (and, on
    /// failure, after everything was released).
    func start(onSetup: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        let thread = Thread { [self] in main(onSetup: onSetup) }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// The client-to-server cipher and MAC negotiated, e.g. "aes128-ctr + hmac-sha2-256".
    var algorithms: String {
        shared.withLock { $0.algorithms }
    }

    /// The host key the session was verified with (set once setup succeeded).
    var hostKey: VerifiedHostKey? {
        shared.withLock { $0.hostKey }
    }

    /// Interrupts setup (connect, handshake or authentication) as soon as possible.
    func cancelSetup() {
        shared.withLock { state in
            state.setupCancelled = true
            if state.setupSocket >= 0 { _ = shutdown(state.setupSocket, Int32(SHUT_RDWR)) }
        }
        wake.wake()
    }

    /// Hands an operation to the thread, or abandons it when the session is closing or gone.
    func submit(_ operation: any SessionOperation) {
        let refusal = shared.withLock { state -> SSHError? in
            if let ended = state.ended { return ended }
            if state.closeRequested { return closedError }
            state.incoming.append(operation)
            return nil
        }
        if let refusal { operation.abandon(refusal) } else { wake.wake() }
    }

    /// Asks the thread to close the session; returns at once.
    func requestClose() {
        shared.withLock { $0.closeRequested = true }
        wake.wake()
    }

    /// Closes the session: running commands are killed, channels and the session freed, the
    /// socket closed and the thread finished when this returns.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = shared.withLock { state -> Bool in
                if state.threadDone { return true }
                state.closeRequested = true
                state.closeWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() } else { wake.wake() }
        }
    }

    /// Why the session stopped accepting work, if it did.
    var endedError: SSHError? { shared.withLock { $0.ended } }

    /// The kernel thread id of the session thread once it started (its `/proc/self/task` entry),
    /// so diagnostics and leak checks can tell this session's thread from others.
    var threadID: Int? { shared.withLock { $0.threadID } }

    private var closedError: SSHError {
        SSHError(.closed, host: target.name, "the SSH connection to \(target.displayName) was closed")
    }

    // MARK: - Session thread: services for operations

    /// Operations call this on the session thread to queue follow-up work (a kill, for instance),
    /// even while the session is closing.
    func submitFromLoop(_ operation: any SessionOperation) {
        let refusal = shared.withLock { state -> SSHError? in
            if let ended = state.ended { return ended }
            state.incoming.append(operation)
            return nil
        }
        if let refusal { operation.abandon(refusal) } else { wake.wake() }
    }

    /// What a channel read depends on: the bytes received from the server and the times `poll` found the socket
    /// readable. A read that found nothing (would block) finds nothing again until this changes, so it is not
    /// repeated: each wake-up then costs one read per stream instead of one per stream and pass.
    struct ReadEpoch: Equatable {
        var received: UInt64
        var readableWakeups: UInt64
    }

    var readEpoch: ReadEpoch {
        ReadEpoch(received: counter.pointee.received, readableWakeups: readableWakeups)
    }

    /// Whether a small packet can be sent without blocking.
    func socketWritable() -> Bool {
        var descriptor = pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)
        return poll(&descriptor, 1, 0) == 1 && descriptor.revents & Int16(POLLOUT) != 0
    }

    /// libssh2 keeps one channel-open state per session: operations open channels one at a time.
    func acquireChannelOpen(_ operation: AnyObject) -> Bool {
        let id = ObjectIdentifier(operation)
        if openToken == nil { openToken = id }
        return openToken == id
    }

    func releaseChannelOpen(_ operation: AnyObject) {
        if openToken == ObjectIdentifier(operation) { openToken = nil }
    }

    /// An operation hit an error that ends the whole session (socket or protocol failure).
    func sessionFailed(_ error: SSHError) {
        if fatal == nil { fatal = error }
    }

    /// Whether a libssh2 error code means the connection itself is unusable.
    static func isSessionFatal(_ code: Int32) -> Bool {
        switch code {
        case LIBSSH2_ERROR_SOCKET_SEND, LIBSSH2_ERROR_SOCKET_RECV, LIBSSH2_ERROR_SOCKET_DISCONNECT,
            LIBSSH2_ERROR_SOCKET_TIMEOUT, LIBSSH2_ERROR_TIMEOUT, LIBSSH2_ERROR_DECRYPT, LIBSSH2_ERROR_INVALID_MAC,
            LIBSSH2_ERROR_PROTO, LIBSSH2_ERROR_KEX_FAILURE, LIBSSH2_ERROR_KEY_EXCHANGE_FAILURE,
            LIBSSH2_ERROR_ENCRYPT, LIBSSH2_ERROR_BAD_SOCKET, LIBSSH2_ERROR_ALLOC:
            return true
        default:
            return false
        }
    }

    func connectionLost(_ detail: String) -> SSHError {
        SSHError(.connectionLost, host: target.name, "lost the SSH connection to \(target.displayName): \(detail)")
    }

    // MARK: - Session thread: lifecycle

    private func main(onSetup: @Sendable (Result<Void, any Error>) -> Void) {
        #if os(Linux)
        cssh2_name_current_thread("ssh-session")
        let tid = Int(cssh2_current_thread_id())
        shared.withLock { $0.threadID = tid }
        #endif
        do {
            try setup()
        } catch {
            shared.withLock { $0.ended = closedError }
            teardown()
            finishThread()
            onSetup(.failure(error))
            return
        }
        onSetup(.success(()))
        run()
        teardown()
        finishThread()
    }

    private var setupCancelled: Bool { shared.withLock { $0.setupCancelled } }

    private func setup() throws {
        try LibSSH2.initialize(host: target.name)
        let fd = try TCPConnector.connect(
            target: target, deadline: .now + target.connectTimeout, wake: wake, isCancelled: { self.setupCancelled })
        socket = fd
        let cancelled = shared.withLock { state -> Bool in
            state.setupSocket = fd
            return state.setupCancelled
        }
        if cancelled { throw CancellationError() }

        guard let session = cssh2_session_init_counting(counter) else {
            throw SSHError(.internalError, host: target.name, "libssh2 could not allocate a session")
        }
        self.session = session
        libssh2_session_set_blocking(session, 1)
        libssh2_session_set_timeout(session, max(1000, target.connectTimeout.milliseconds))
        let hostKey = try SessionSetup(session: session, target: target, socket: fd, isCancelled: { self.setupCancelled })
            .handshakeVerifyAndAuthenticate(onHandshake: { self.handshakeDone = true })
        let negotiated = [LIBSSH2_METHOD_CRYPT_CS, LIBSSH2_METHOD_MAC_CS]
            .compactMap { libssh2_session_methods(session, $0).map { String(cString: $0) } }.joined(separator: " + ")
        shared.withLock {
            $0.algorithms = negotiated
            $0.hostKey = hostKey
        }
        if target.keepaliveInterval > .zero {
            libssh2_keepalive_config(session, 1, UInt32(max(2, target.keepaliveInterval.components.seconds)))
        }
        libssh2_session_set_blocking(session, 0)
        shared.withLock { $0.setupSocket = -1 }
    }

    private func teardown() {
        shared.withLock { $0.setupSocket = -1 }
        if let session {
            libssh2_session_set_blocking(session, 1)
            libssh2_session_set_timeout(session, 2000)
            if fatal != nil || !operations.isEmpty {
                // The peer is gone or channels are stuck: fail fast instead of waiting on it.
                _ = shutdown(socket, Int32(SHUT_RDWR))
            } else if handshakeDone {
                _ = cssh2_session_disconnect_reason(session, "closed by coordinator")
            }
            _ = libssh2_session_free(session)
            self.session = nil
        }
        operations = []
        if socket >= 0 {
            closeDescriptor(socket)
            socket = -1
        }
        wake.close()
        counter.deallocate()
        readBuffer.deallocate()
    }

    private func finishThread() {
        let (waiters, leftovers, error) = shared.withLock {
            state -> ([CheckedContinuation<Void, Never>], [any SessionOperation], SSHError) in
            state.threadDone = true
            let error = state.ended ?? closedError
            state.ended = error
            defer {
                state.closeWaiters = []
                state.incoming = []
            }
            return (state.closeWaiters, state.incoming, error)
        }
        for operation in leftovers { operation.abandon(error) }
        for waiter in waiters { waiter.resume() }
    }

    // MARK: - Session thread: event loop

    private func run() {
        var lastReceived = counter.pointee.received
        var silentSince = ContinuousClock.now
        var closeDeadline: ContinuousClock.Instant?
        let keepalive = target.keepaliveInterval
        while true {
            let (incoming, closeRequested) = shared.withLock { state -> ([any SessionOperation], Bool) in
                defer { state.incoming = [] }
                return (state.incoming, state.closeRequested)
            }
            if operations.isEmpty, !incoming.isEmpty { silentSince = .now }
            operations += incoming
            if closeRequested, closeDeadline == nil {
                closeDeadline = .now + .seconds(10)
                for operation in operations { operation.shutDown() }
            }
            if let fatal {
                end(with: fatal)
                return
            }
            if closeRequested, operations.isEmpty || ContinuousClock.now >= closeDeadline! {
                end(with: closedError)
                return
            }

            let (interest, busy) = drive()
            if fatal != nil || (closeRequested && operations.isEmpty) { continue }

            let received = counter.pointee.received
            if received != lastReceived || !interest.contains(.readable) {
                lastReceived = received
                silentSince = .now
            }
            var timeout: Duration? = busy ? .zero : nil
            if keepalive > .zero {
                let limit = keepalive * 3 + .seconds(2)
                let silence = ContinuousClock.now - silentSince
                if silence > limit {
                    sessionFailed(connectionLost("the server sent nothing for \(silence) although a keepalive went out every \(keepalive)"))
                    continue
                }
                timeout = Self.earliest(timeout, limit - silence)
                // libssh2 sends only when one is due; asking earlier (and polling the socket first) on every
                // pass would only cost system calls.
                let now = ContinuousClock.now
                if owner == nil, keepaliveDue.map({ now >= $0 }) ?? true, socketWritable(), let session {
                    var next: Int32 = 0
                    let rc = libssh2_keepalive_send(session, &next)
                    if rc != 0, rc != LibSSH2.eagain {
                        sessionFailed(connectionLost("cannot send a keepalive: \(LibSSH2.lastError(session).message)"))
                        continue
                    }
                    keepaliveDue = rc == 0 ? now + .seconds(max(1, Int(next))) : nil
                }
                if let keepaliveDue, keepaliveDue > now { timeout = Self.earliest(timeout, keepaliveDue - now) }
            }
            for operation in operations {
                if let deadline = operation.deadline { timeout = Self.earliest(timeout, deadline - .now) }
            }
            if let closeDeadline { timeout = Self.earliest(timeout, closeDeadline - .now) }
            sleep(interest: owner != nil ? [.writable] : interest, timeout: timeout)
        }
    }

    private func end(with error: SSHError) {
        for operation in operations { operation.abandon(error) }
        let leftovers = shared.withLock { state -> [any SessionOperation] in
            state.ended = error
            defer { state.incoming = [] }
            return state.incoming
        }
        for operation in leftovers { operation.abandon(error) }
    }

    /// Steps operations until none progresses; returns what they wait for, or `busy` when it gave up
    /// early to look at the inbox.
    private func drive() -> (Interest, busy: Bool) {
        for _ in 0..<64 {
            let receivedBefore = counter.pointee.received
            if let ownerID = owner {
                guard let operation = operations.first(where: { ObjectIdentifier($0) == ownerID }) else {
                    owner = nil
                    continue
                }
                guard socketWritable() else { return ([.writable], false) }
                _ = stepOne(operation)
                if fatal != nil { return ([], false) }
                if owner != nil { return ([.writable], false) }
                continue
            }
            var progressed = false
            var interest: Interest = []
            for operation in operations {
                if fatal != nil { return ([], false) }
                if owner != nil { break }
                switch stepOne(operation) {
                case .progressed, .finished: progressed = true
                case .waiting(let wanted): interest.formUnion(wanted)
                }
            }
            if owner != nil { continue }
            if counter.pointee.received != receivedBefore { progressed = true }
            if !progressed { return (interest, false) }
        }
        return ([], true)
    }

    private func stepOne(_ operation: any SessionOperation) -> StepResult {
        let result = operation.step(self)
        let id = ObjectIdentifier(operation)
        if operation.holdsPartialSend {
            owner = id
        } else if owner == id {
            owner = nil
        }
        if case .finished = result {
            operations.removeAll { $0 === operation }
            if owner == id { owner = nil }
            if openToken == id { openToken = nil }
        }
        return result
    }

    private func sleep(interest: Interest, timeout: Duration?) {
        var events: Int16 = 0
        if interest.contains(.readable) { events |= Int16(POLLIN) }
        if interest.contains(.writable) { events |= Int16(POLLOUT) }
        var descriptors = [
            pollfd(fd: wake.readEnd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: socket, events: events, revents: 0),
        ]
        let milliseconds: Int32 = timeout.map { $0 <= .zero ? 0 : Int32(clamping: $0.milliseconds + 1) } ?? -1
        let rc = poll(&descriptors, 2, milliseconds)
        guard rc > 0 else { return }
        if descriptors[0].revents != 0 { wake.drain() }
        let broken = Int16(POLLERR) | Int16(POLLHUP) | Int16(POLLNVAL)
        if descriptors[1].revents & (Int16(POLLIN) | broken) != 0 { readableWakeups &+= 1 }
        if descriptors[1].revents & broken != 0, !interest.contains(.readable) {
            sessionFailed(connectionLost("the server closed the connection"))
        }
    }

    private static func earliest(_ current: Duration?, _ candidate: Duration) -> Duration {
        let candidate = max(.zero, candidate)
        guard let current else { return candidate }
        return min(current, candidate)
    }
}
