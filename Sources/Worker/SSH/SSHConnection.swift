import Foundation

/// One SSH connection (a libssh2 session) to a build host, with its own dedicated thread.
///
/// Every libssh2 call for the session happens on that thread, never on Swift's cooperative pool;
/// this class only hands work to it and awaits results. Commands run concurrently on separate
/// channels of the one connection (sshd allows 10 per connection by default, `MaxSessions`).
/// ``close()`` kills commands still running, frees everything and ends the thread; dropping the
/// last reference closes the connection in the background.
public final class SSHConnection: Sendable {
    /// The target as connected: `~/.ssh/config` applied, user filled in.
    public let target: SSHTarget
    let loop: SessionLoop

    /// The client-to-server cipher and MAC this connection negotiated, e.g.
    /// "aes128-ctr + hmac-sha2-256" (see `SessionSetup.cipherPreference`).
    public var algorithms: String { loop.algorithms }

    /// The host key the connection was verified with, and whether it was just recorded.
    public var hostKey: VerifiedHostKey? { loop.hostKey }

    private init(target: SSHTarget, loop: SessionLoop) {
        self.target = target
        self.loop = loop
    }

    deinit {
        loop.requestClose()
    }

    /// Connects, verifies the host key (before offering any credential) and authenticates.
    ///
    /// Each phase (TCP connect, handshake, authentication) is bounded by
    /// ``SSHTarget/connectTimeout``. At most 8 connections to one address and port are set up at
    /// once, so bursts stay below sshd's `MaxStartups` (10 unauthenticated connections).
    /// Cancelling the task aborts the attempt.
    public static func connect(to target: SSHTarget) async throws -> SSHConnection {
        let resolved = try target.resolved()
        let gate = HandshakeGate.shared
        let key = resolved.endpoint
        await gate.enter(key)
        defer { gate.leave(key) }
        try Task.checkCancellation()

        let loop = try SessionLoop(target: resolved)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                loop.start { result in continuation.resume(with: result) }
            }
        } onCancel: {
            loop.cancelSetup()
        }
        return SSHConnection(target: resolved, loop: loop)
    }

    /// Starts `command` with no input (it reads end-of-file).
    public func execute(_ command: String) -> RemoteProcess {
        start(command, hasInput: false).process
    }

    /// Starts `command` in the remote user's shell and feeds it `stdin` (then end-of-file).
    /// A `nil` stdin means end-of-file at once. If the input sequence throws, the command is
    /// stopped and ``RemoteProcess/wait()`` rethrows that error.
    public func execute(
        _ command: String, stdin: (some AsyncSequence<[UInt8], any Error> & Sendable)?
    ) -> RemoteProcess {
        guard let stdin else { return execute(command) }
        let started = start(command, hasInput: true)
        started.process.handle.feed(stdin)
        return started.process
    }

    /// Runs `command` to completion and collects its output. A non-zero exit is a result, not an
    /// error; connection failures throw ``SSHError``; cancelling kills the remote command.
    public func run(_ command: String, stdin: [UInt8] = []) async throws -> CommandResult {
        let started = start(command, hasInput: !stdin.isEmpty)
        if let input = started.input {
            Task {
                do {
                    try await input.write(stdin)
                    input.finish()
                } catch {
                    // The command exited or was cancelled before reading everything.
                }
            }
        }
        return try await Self.collect(started.process)
    }

    /// Reads both streams to the end while waiting for the exit status.
    static func collect(_ process: RemoteProcess) async throws -> CommandResult {
        async let stdout = Self.drain(process.stdout)
        async let stderr = Self.drain(process.stderr)
        let status = try await process.wait()
        return CommandResult(status: status, stdout: try await stdout, stderr: try await stderr)
    }

    static func drain(_ stream: AsyncThrowingStream<[UInt8], any Error>) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in stream { bytes += chunk }
        return bytes
    }

    /// Closes the connection: stops commands still running (killing their process groups), frees
    /// the channels and the session, closes the socket and ends the session thread.
    public func close() async {
        await loop.close()
    }

    /// Starts an operation; `input` is the queue to feed when `hasInput`.
    func start(_ command: String, hasInput: Bool) -> (process: RemoteProcess, input: InputQueue?) {
        let wake = loop.wake
        let operation = ExecOperation(
            command: command, processGroup: target.posixShell, hostName: target.name, hasInput: hasInput,
            wake: { wake.wake() })
        let process = RemoteProcess(handle: ProcessHandle(operation: operation))
        loop.submit(operation)
        return (process, operation.input)
    }
}
