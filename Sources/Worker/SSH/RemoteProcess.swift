/// A command running on a remote host.
///
/// Read ``stdout`` and ``stderr`` concurrently (or use ``SSHConnection/run(_:stdin:)``): each stream
/// queues up to 16 MiB, after which reading from the connection pauses until you take some.
/// ``wait()`` returns once the command has exited and both streams have been read to their end.
/// Cancelling the task that waits or reads, calling ``cancel()``, or dropping every reference to
/// the process kills the remote command's process group (POSIX hosts) and closes its channel.
public struct RemoteProcess: Sendable {
    /// The command's standard output, chunk by chunk as it arrives.
    public var stdout: AsyncThrowingStream<[UInt8], any Error>
    /// The command's standard error, chunk by chunk as it arrives.
    public var stderr: AsyncThrowingStream<[UInt8], any Error>

    let handle: ProcessHandle

    init(handle: ProcessHandle) {
        self.handle = handle
        let operation = handle.operation
        stdout = AsyncThrowingStream {
            try await withTaskCancellationHandler {
                try await operation.stdout.next()
            } onCancel: {
                handle.cancel()
            }
        }
        stderr = AsyncThrowingStream {
            try await withTaskCancellationHandler {
                try await operation.stderr.next()
            } onCancel: {
                handle.cancel()
            }
        }
    }

    /// Waits for the command to end. Throws ``SSHError`` when the connection fails, and
    /// `CancellationError` once the remote command has been stopped if the task is cancelled.
    public func wait() async throws -> ExitStatus {
        try await withTaskCancellationHandler {
            try await handle.operation.completion.value()
        } onCancel: {
            handle.cancel()
        }
    }

    /// Stops the command (its whole process group on POSIX hosts) without waiting; ``wait()``
    /// then throws `CancellationError`.
    public func cancel() {
        handle.cancel()
    }
}

/// Keeps a command alive while anyone holds its process or streams; kills it when nobody does.
final class ProcessHandle: Sendable {
    let operation: ExecOperation
    private let feeder = Locked<Task<Void, Never>?>(nil)

    init(operation: ExecOperation) {
        self.operation = operation
    }

    func cancel() {
        operation.requestCancel(.cancelled)
    }

    /// Feeds `sequence` to the command's stdin on a task of its own, then end-of-file.
    func feed<Input: AsyncSequence<[UInt8], any Error> & Sendable>(_ sequence: Input) {
        guard let input = operation.input else { return }
        let operation = operation
        let task = Task {
            do {
                for try await chunk in sequence {
                    try await input.write(chunk)
                }
                input.finish()
            } catch is InputQueue.Closed {
                // The command stopped reading its input; its exit status tells the rest.
            } catch is CancellationError {
                input.close()
            } catch {
                operation.requestCancel(.inputFailed(error))
            }
        }
        feeder.withLock { $0 = task }
    }

    deinit {
        if !operation.completion.isResolved { operation.requestCancel(.cancelled) }
        feeder.withLock { $0?.cancel() }
    }
}
