import CSSH2
import Foundation

/// One remote command on its own channel: open a session channel, exec, feed stdin, read stdout and
/// stderr together, collect the exit status or signal, free the channel.
///
/// On POSIX hosts the command line starts with a line that prints the shell's PID to stderr behind
/// a random marker (stripped from the output). sshd starts every command in a new session
/// (`setsid`), so that PID is also the process group of the command and all its children;
/// cancelling runs `kill -TERM -- -PGID` (then `KILL` after 3 s) on a second channel and closes
/// this one. Session thread only, except ``requestCancel(_:)`` and ``abandon(_:)``.
final class ExecOperation: SessionOperation, @unchecked Sendable {
    enum CancelReason: Sendable {
        case cancelled
        case closing
        case inputFailed(any Error)
    }

    let stdout: OutputPipe
    let stderr: OutputPipe
    let input: InputQueue?
    let completion = Completion<ExitStatus>()

    private let commandLine: String
    private let hostName: String
    /// A process-group kill: a close lets it reach the host first (it is what makes the close prompt).
    private let isKiller: Bool
    /// The session asked this kill to stop before its command had started: stop once it has.
    private var closeAfterStart = false
    private let markerBytes: [UInt8]?
    private let requests = Locked<CancelReason?>(nil)
    private let wakeLoop: @Sendable () -> Void

    private enum State { case queued, opening, starting, running, cancelling, awaitingClose, freeing, done }
    private enum SendCall { case write, eof, readFlush(Int32) }

    private var state = State.queued
    private var channel: OpaquePointer?
    private(set) var holdsPartialSend = false
    private var partialCall: SendCall?
    private var inflight: [UInt8] = []
    private var inflightOffset = 0
    private var stdoutDone = false
    private var stderrDone = false
    /// Per stream (standard output, standard error): the session's read epoch when a read last found nothing.
    private var drainedAt: [SessionLoop.ReadEpoch?] = [nil, nil]
    private var inputDone = false
    private var pgid: Int32?
    private var markerPending: [UInt8] = []
    private var markerSettled: Bool
    private var cancelReason: CancelReason?
    private var killSent = false
    private var markerDeadline: ContinuousClock.Instant?
    private var stateDeadline: ContinuousClock.Instant?
    private var failure: (any Error)?
    private var status: ExitStatus?

    /// Bytes each output stream may queue before reading from the channel pauses.
    static let outputLimit = 16 * 1024 * 1024
    /// Bytes of stdin queued ahead of the channel.
    static let inputLimit = 4 * 1024 * 1024
    /// Writes of stdin (each at most one 32 KiB packet) in one step at most, so that a long upload still lets
    /// the loop see a cancellation and step the session's other channels (1 MiB, a few ms of libssh2 work).
    static let inputWritesPerStep = 32
    /// Our receive window and packet size when opening the channel (libssh2's defaults).
    private static let window: UInt32 = 2 * 1024 * 1024
    private static let packetSize: UInt32 = 32 * 1024

    init(
        command: String, processGroup: Bool, hostName: String, hasInput: Bool, isKiller: Bool = false,
        wake: @escaping @Sendable () -> Void
    ) {
        self.isKiller = isKiller
        if processGroup {
            let marker = "coordinator-pgid-" + String(UInt64.random(in: .min ... .max), radix: 16)
            commandLine = "printf '%s %s\\n' '\(marker)' \"$$\" >&2\n" + command
            markerBytes = Array((marker + " ").utf8)
        } else {
            commandLine = command
            markerBytes = nil
        }
        markerSettled = !processGroup
        self.hostName = hostName
        self.wakeLoop = wake
        stdout = OutputPipe(limit: Self.outputLimit, wake: wake)
        stderr = OutputPipe(limit: Self.outputLimit, wake: wake)
        input = hasInput ? InputQueue(limit: Self.inputLimit, wake: wake) : nil
    }

    /// Any thread: stop the command (kill its process group) and finish with an error.
    func requestCancel(_ reason: CancelReason) {
        guard !completion.isResolved else { return }
        let first = requests.withLock { request -> Bool in
            guard request == nil else { return false }
            request = reason
            return true
        }
        if first { wakeLoop() }
    }

    var deadline: ContinuousClock.Instant? {
        [markerDeadline, stateDeadline].compactMap { $0 }.min()
    }

    /// The session is closing: stop. The kill of a cancelled command first reaches the host (else the command
    /// would outlive the session); once sshd has started it, its script (TERM, then KILL after 3 s) goes on by
    /// itself after its channel closes, so the close does not wait for it. Session thread.
    func shutDown() {
        if isKiller, [.queued, .opening, .starting].contains(state) {
            closeAfterStart = true
            return
        }
        requestCancel(.closing)
    }

    func abandon(_ error: SSHError) {
        channel = nil
        state = .done
        let reason = cancelReason ?? requests.withLock { $0 }
        let final: any Error = reason.map(error(for:)) ?? error
        stdout.finish(throwing: final)
        stderr.finish(throwing: final)
        input?.close(final)
        completion.resolve(.failure(final))
    }

    // MARK: - Stepping

    func step(_ loop: SessionLoop) -> StepResult {
        guard let session = loop.session else { return .finished }
        if cancelReason == nil, let reason = requests.withLock({ $0 }) {
            cancelReason = reason
            if state == .running { enterCancelling(loop) }
        }
        switch state {
        case .queued:
            if cancelReason != nil {
                complete()
                return .finished
            }
            guard loop.acquireChannelOpen(self) else { return .waiting([]) }
            state = .opening
            return .progressed
        case .opening:
            return open(session, loop)
        case .starting:
            return start(session, loop)
        case .running, .cancelling:
            return pump(session, loop)
        case .awaitingClose:
            return awaitClose(session, loop)
        case .freeing:
            return free(session, loop)
        case .done:
            return .finished
        }
    }

    private func open(_ session: OpaquePointer, _ loop: SessionLoop) -> StepResult {
        if let opened = cssh2_channel_open_session_window(session, Self.window, Self.packetSize) {
            holdsPartialSend = false
            loop.releaseChannelOpen(self)
            channel = opened
            enter(cancelReason == nil ? .starting : .freeing)
            return .progressed
        }
        let code = libssh2_session_last_errno(session)
        if code == LibSSH2.eagain {
            holdsPartialSend = LibSSH2.outboundBlocked(session)
            return .waiting(holdsPartialSend ? .writable : .readable)
        }
        holdsPartialSend = false
        loop.releaseChannelOpen(self)
        fail(code, session, loop, doing: "open a channel",
            hint: "sshd limits channels per connection with MaxSessions (default 10)")
        complete()
        return .finished
    }

    private func start(_ session: OpaquePointer, _ loop: SessionLoop) -> StepResult {
        guard let channel else { return enter(.freeing) }
        let rc = commandLine.withCString { cssh2_channel_exec_len(channel, $0, UInt32(strlen($0))) }
        if rc == 0 {
            holdsPartialSend = false
            enter(.running)
            if closeAfterStart { requestCancel(.closing) }
            if cancelReason != nil { enterCancelling(loop) }
            return .progressed
        }
        if rc == LibSSH2.eagain {
            holdsPartialSend = LibSSH2.outboundBlocked(session)
            return .waiting(holdsPartialSend ? .writable : .readable)
        }
        holdsPartialSend = false
        fail(rc, session, loop, doing: "start the command", hint: "the server refused the exec request")
        return enter(.freeing)
    }

    private func pump(_ session: OpaquePointer, _ loop: SessionLoop) -> StepResult {
        guard let channel else { return enter(.freeing) }
        var progressed = false
        var interest: Interest = []

        if holdsPartialSend, let call = partialCall {
            switch call {
            case .write: progressed = writeInflight(channel, session, loop, interest: &interest)
            case .eof: progressed = sendEOF(channel, session, loop, interest: &interest)
            case .readFlush(let stream): flushAfterLostRead(channel, session, stream: stream)
            }
            if holdsPartialSend { return .waiting(.writable) }
        }
        if state == .cancelling, let next = cancellationHousekeeping(loop) { return next }
        if !inputDone {
            progressed = feedInput(channel, session, loop, interest: &interest) || progressed
            if holdsPartialSend { return .waiting(.writable) }
        }
        for stream in [0, LibSSH2.stderrStream] {
            progressed = readStream(stream, channel, session, loop, interest: &interest) || progressed
            if holdsPartialSend || failure != nil { break }
        }
        if holdsPartialSend { return .waiting(.writable) }
        if failure != nil { return enter(.freeing) }
        if stdoutDone && stderrDone {
            if !inputDone {
                input?.close()
                inputDone = true
            }
            return enter(.awaitingClose)
        }
        return progressed ? .progressed : .waiting(interest)
    }

    // MARK: - Input

    /// Sends queued stdin; returns whether anything moved.
    private func feedInput(_ channel: OpaquePointer, _ session: OpaquePointer, _ loop: SessionLoop,
                           interest: inout Interest) -> Bool {
        guard let input else { return sendEOF(channel, session, loop, interest: &interest) }
        var progressed = false
        var writes = 0
        while !inputDone, writes < Self.inputWritesPerStep {
            switch input.peek() {
            case .empty:
                return progressed
            case .finished:
                return sendEOF(channel, session, loop, interest: &interest) || progressed
            case .chunk(let bytes, let offset):
                inflight = bytes
                inflightOffset = offset
                guard writeInflight(channel, session, loop, interest: &interest) else { return progressed }
                writes += 1
                progressed = true
            }
        }
        return progressed
    }

    /// Writes (the rest of) the in-flight chunk once: libssh2 sends at most one 32 KiB packet per call.
    private func writeInflight(_ channel: OpaquePointer, _ session: OpaquePointer, _ loop: SessionLoop,
                               interest: inout Interest) -> Bool {
        let rc = inflight.withUnsafeBytes { raw in
            libssh2_channel_write_ex(
                channel, 0, raw.baseAddress!.advanced(by: inflightOffset).assumingMemoryBound(to: CChar.self),
                raw.count - inflightOffset)
        }
        if rc > 0 {
            holdsPartialSend = false
            partialCall = nil
            input?.advance(rc)
            return true
        }
        if rc == LibSSH2.eagain || rc == LibSSH2.badUse {
            holdsPartialSend = LibSSH2.outboundBlocked(session) || rc == LibSSH2.badUse
            partialCall = holdsPartialSend ? .write : nil
            interest.insert(holdsPartialSend ? .writable : .readable)  // else: the window is full
            return false
        }
        holdsPartialSend = false
        partialCall = nil
        if SessionLoop.isSessionFatal(Int32(rc)) {
            fail(Int32(rc), session, loop, doing: "send input", hint: "")
        } else {
            // The command closed its input (exited, or closed stdin): not an error by itself.
            input?.close()
            inputDone = true
        }
        return true
    }

    private func sendEOF(_ channel: OpaquePointer, _ session: OpaquePointer, _ loop: SessionLoop,
                         interest: inout Interest) -> Bool {
        guard loop.socketWritable() else {
            interest.insert(.writable)
            return false
        }
        let rc = libssh2_channel_send_eof(channel)
        if rc == LibSSH2.eagain {
            holdsPartialSend = LibSSH2.outboundBlocked(session)
            partialCall = holdsPartialSend ? .eof : nil
            interest.insert(.writable)
            return false
        }
        holdsPartialSend = false
        partialCall = nil
        if rc != 0, SessionLoop.isSessionFatal(rc) { fail(rc, session, loop, doing: "send end-of-file", hint: "") }
        inputDone = true
        return true
    }

    // MARK: - Output

    /// Reads one stream until it would block, its pipe is full or it ends; returns whether anything moved.
    private func readStream(_ stream: Int32, _ channel: OpaquePointer, _ session: OpaquePointer, _ loop: SessionLoop,
                            interest: inout Interest) -> Bool {
        let pipe = stream == 0 ? stdout : stderr
        let slot = stream == 0 ? 0 : 1
        var progressed = false
        while !(stream == 0 ? stdoutDone : stderrDone) {
            guard pipe.hasRoom else { return progressed }  // the consumer wakes the loop
            if let drained = drainedAt[slot], drained == loop.readEpoch {
                interest.insert(.readable)
                return progressed
            }
            // A read may send a window adjustment; if that blocked halfway, libssh2 1.10 would
            // discard the bytes it just copied. Only read while a small packet surely fits.
            guard loop.socketWritable() else {
                interest.insert(.writable)
                return progressed
            }
            let buffer = loop.readBuffer
            let rc = cssh2_channel_read_stream(
                channel, stream, buffer.baseAddress!.assumingMemoryBound(to: CChar.self), buffer.count)
            if rc > 0 {
                deliver(stream, Array(UnsafeRawBufferPointer(rebasing: buffer[0..<rc])))
                progressed = true
            } else if rc == 0 {
                if stream == 0 { stdoutDone = true } else { stderrDone = true }
                if stream == LibSSH2.stderrStream { settleMarker() }
                return true
            } else if rc == LibSSH2.eagain {
                if LibSSH2.outboundBlocked(session) {
                    failure = SSHError(.internalError, host: hostName,
                        "output from \(hostName) was lost: libssh2 could not send a window adjustment (socket send buffer full)")
                    holdsPartialSend = true
                    partialCall = .readFlush(stream)
                    return progressed
                }
                drainedAt[slot] = loop.readEpoch
                interest.insert(.readable)
                return progressed
            } else {
                fail(Int32(rc), session, loop, doing: "read the command's output", hint: "")
                return true
            }
        }
        return progressed
    }

    /// Completes the window adjustment a failed read left half sent (its data is already lost).
    private func flushAfterLostRead(_ channel: OpaquePointer, _ session: OpaquePointer, stream: Int32) {
        var scratch = [CChar](repeating: 0, count: 1)
        let rc = cssh2_channel_read_stream(channel, stream, &scratch, 0)
        if rc == LibSSH2.eagain, LibSSH2.outboundBlocked(session) { return }
        holdsPartialSend = false
        partialCall = nil
    }

    private func deliver(_ stream: Int32, _ bytes: [UInt8]) {
        if stream == 0 {
            stdout.push(bytes)
            return
        }
        guard !markerSettled, let marker = markerBytes else {
            stderr.push(bytes)
            return
        }
        markerPending += bytes
        if let start = markerPending.firstOccurrence(of: marker) {
            guard let newline = markerPending[start.upperBound...].firstIndex(of: UInt8(ascii: "\n")) else { return }
            pgid = Int32(String(decoding: markerPending[start.upperBound..<newline], as: UTF8.self))
            let rest = Array(markerPending[..<start.lowerBound]) + Array(markerPending[(newline + 1)...])
            markerPending = []
            markerSettled = true
            markerDeadline = nil
            stderr.push(rest)
        } else if markerPending.count > 64 * 1024 {
            settleMarker()
        }
    }

    /// Gives up on the process-group marker and passes what was held back through.
    private func settleMarker() {
        guard !markerSettled else { return }
        markerSettled = true
        markerDeadline = nil
        stderr.push(markerPending)
        markerPending = []
    }

    // MARK: - Cancellation

    private func enterCancelling(_ loop: SessionLoop) {
        let reasonError = error(for: cancelReason ?? .cancelled)
        stdout.finish(throwing: reasonError)  // consumers stop now; later output is discarded
        stderr.finish(throwing: reasonError)
        input?.close(reasonError)
        inputDone = true  // a half-sent packet is still finished first (see `pump`)
        guard markerBytes != nil else {
            enter(.freeing)  // no process group to kill: just close the channel
            return
        }
        state = .cancelling
        stateDeadline = .now + .seconds(15)
        if pgid == nil { markerDeadline = .now + .seconds(3) }
    }

    /// Sends the kill once the process group is known; gives up waiting when deadlines pass.
    private func cancellationHousekeeping(_ loop: SessionLoop) -> StepResult? {
        if let pgid, !killSent, pgid > 1 {
            killSent = true
            loop.submitFromLoop(Self.killer(pgid: pgid, hostName: hostName, wake: wakeLoop))
        }
        let now = ContinuousClock.now
        if let markerDeadline, pgid == nil, now >= markerDeadline { return enter(.freeing) }
        if let stateDeadline, now >= stateDeadline { return enter(.freeing) }
        return nil
    }

    /// The command that kills a process group: TERM, then KILL if anything is left after 3 s.
    static func killer(pgid: Int32, hostName: String, wake: @escaping @Sendable () -> Void) -> ExecOperation {
        let script = """
            kill -s TERM -- -\(pgid) 2>/dev/null || exit 0
            i=0
            while kill -s 0 -- -\(pgid) 2>/dev/null; do
              i=$((i+1))
              if [ "$i" -ge 30 ]; then kill -s KILL -- -\(pgid) 2>/dev/null; exit 0; fi
              sleep 0.1
            done
            """
        let killer = ExecOperation(
            command: script, processGroup: false, hostName: hostName, hasInput: false, isKiller: true, wake: wake)
        killer.stdout.finish()
        killer.stderr.finish()
        return killer
    }

    // MARK: - Closing

    private func awaitClose(_ session: OpaquePointer, _ loop: SessionLoop) -> StepResult {
        guard let channel else { return enter(.freeing) }
        guard loop.socketWritable() else { return .waiting(.writable) }
        let rc = libssh2_channel_wait_closed(channel)
        if rc == LibSSH2.eagain {
            if let stateDeadline, ContinuousClock.now >= stateDeadline { return enter(.freeing) }
            return .waiting(.readable)
        }
        if rc == 0 {
            var signal: UnsafeMutablePointer<CChar>?
            var length = 0
            _ = libssh2_channel_get_exit_signal(channel, &signal, &length, nil, nil, nil, nil)
            if let signal {
                status = .signaled(String(cString: signal))
                libssh2_free(session, signal)
            } else {
                status = .exited(libssh2_channel_get_exit_status(channel))
            }
        } else {
            fail(rc, session, loop, doing: "wait for the command to finish", hint: "")
        }
        return enter(.freeing)
    }

    private func free(_ session: OpaquePointer, _ loop: SessionLoop) -> StepResult {
        guard let channel else {
            complete()
            return .finished
        }
        guard holdsPartialSend || loop.socketWritable() else { return .waiting(.writable) }
        let rc = libssh2_channel_free(channel)
        if rc == LibSSH2.eagain {
            holdsPartialSend = LibSSH2.outboundBlocked(session)
            if !holdsPartialSend, let stateDeadline, ContinuousClock.now >= stateDeadline {
                // The server never confirmed the close; the session frees the channel later.
                self.channel = nil
                complete()
                return .finished
            }
            return .waiting(holdsPartialSend ? .writable : .readable)
        }
        holdsPartialSend = false
        self.channel = nil
        complete()
        return .finished
    }

    // MARK: - Helpers

    @discardableResult
    private func enter(_ next: State) -> StepResult {
        state = next
        markerDeadline = nil
        switch next {
        case .awaitingClose, .freeing: stateDeadline = .now + .seconds(10)
        default: break
        }
        return .progressed
    }

    private func fail(_ code: Int32, _ session: OpaquePointer, _ loop: SessionLoop, doing action: String, hint: String) {
        let message = LibSSH2.lastError(session).message
        if SessionLoop.isSessionFatal(code) {
            let error = loop.connectionLost("cannot \(action): \(message)")
            loop.sessionFailed(error)
            failure = failure ?? error
        } else {
            let suffix = hint.isEmpty ? "" : "; \(hint)"
            failure = failure ?? SSHError(.channelFailed, host: hostName, "cannot \(action) on \(hostName): \(message)\(suffix)")
        }
    }

    private func complete() {
        state = .done
        settleMarker()
        let result: Result<ExitStatus, any Error>
        if let cancelReason {
            result = .failure(error(for: cancelReason))
        } else if let failure {
            result = .failure(failure)
        } else if let status {
            result = .success(status)
        } else {
            result = .failure(SSHError(.connectionLost, host: hostName, "the command on \(hostName) ended without an exit status"))
        }
        if case .failure(let error) = result {
            stdout.finish(throwing: error)
            stderr.finish(throwing: error)
            input?.close(error)
        } else {
            stdout.finish()
            stderr.finish()
            input?.close()
        }
        completion.resolve(result)
    }

    private func error(for reason: CancelReason) -> any Error {
        switch reason {
        case .cancelled:
            return CancellationError()
        case .closing:
            return SSHError(.closed, host: hostName, "the SSH connection to \(hostName) was closed while the command ran; the command was stopped")
        case .inputFailed(let error):
            return error
        }
    }
}
