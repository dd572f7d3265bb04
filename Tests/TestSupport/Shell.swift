import Foundation
import Shared
import Subprocess
import SystemPackage

/// Runs local commands for tests (`ssh`, `curl`, `docker`, ...) and collects their output.
///
/// The child runs with the test process's environment plus `environment`, stdin from `input`
/// (or `/dev/null`), and no other descriptor of this process. It is started and its output read by
/// swift-subprocess (`posix_spawn`, non-blocking pipes served by one epoll thread), and a dedicated thread
/// waits for its end on its pidfd, so no cooperative-pool thread blocks while it runs, and its end is timed
/// when it happens.
public enum Shell {
    /// How a command ended and what it printed.
    public struct Result: Sendable {
        /// The exit status, or the signal number when ``terminatedBySignal`` is true.
        public var status: Int32
        /// True when the command was killed by a signal (for example after its timeout).
        public var terminatedBySignal: Bool
        /// Raw standard output.
        public var stdoutData: Data
        /// Raw standard error.
        public var stderrData: Data

        /// Standard output as UTF-8 text.
        public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
        /// Standard error as UTF-8 text.
        public var stderr: String { String(decoding: stderrData, as: UTF8.self) }
        /// True when the command exited with status 0.
        public var succeeded: Bool { status == 0 && !terminatedBySignal }
        /// Standard output without leading and trailing whitespace and newlines.
        public var trimmedStdout: String { stdout.trimmingCharacters(in: .whitespacesAndNewlines) }
        /// When `terminateWhen` first held and the command was sent SIGTERM, if it was.
        public var signalledAt: ContinuousClock.Instant?
        /// When the command was seen to end, on the thread that watches it (not when the calling task resumed,
        /// which on a loaded cooperative pool can be seconds later). That thread starts once the command has
        /// started and the pool has run swift-subprocess's body for it: a command that ends before then is seen
        /// to end when the watch starts.
        public var endedAt: ContinuousClock.Instant
    }

    /// The command could not be started at all.
    public struct LaunchError: Error, CustomStringConvertible {
        /// The command line that failed to start.
        public let arguments: [String]
        /// Why it failed.
        public let reason: String
        public var description: String {
            "could not start `\(arguments.joined(separator: " "))`: \(reason)"
        }
    }

    /// Runs `arguments` (the first is a path, or a name looked up in the command's `PATH`) to completion.
    ///
    /// The output is what the command wrote until its end was noticed (swift-subprocess then drains the pipes and
    /// stops reading): a background child of it that keeps a pipe open is not waited for, though on a busy
    /// cooperative pool what it writes soon after may still be in the output.
    ///
    /// Cancelling the calling task does not stop the command: it runs to its end or its timeout, so that a
    /// fault script run from a `during` sidecar (which is cancelled when the main command ends) is never cut
    /// off halfway.
    ///
    /// - Parameters:
    ///   - arguments: the command and its arguments; nothing goes through a shell.
    ///   - input: bytes written to the command's stdin, which is then closed (default: `/dev/null`). A
    ///     command that exits without reading them all is not an error.
    ///   - environment: variables added to (or replacing) the test process's environment.
    ///   - timeout: the command is sent SIGTERM, then SIGKILL 5 seconds later, when it runs longer.
    ///   - directory: the working directory (default: the test process's).
    ///   - inheritEnvironment: when false, the command sees only `environment` plus PATH and HOME.
    ///   - terminateWhen: polled every 100 ms while the command runs; the command is sent SIGTERM
    ///     (as Ctrl-C would send SIGINT) the first time it returns true.
    ///   - terminateWhenSeen: like `terminateWhen`, but a synchronous probe (reading /proc, say) polled every 20 ms
    ///     on a thread of its own: a busy cooperative pool (2 threads on 2 cores) cannot make it miss a short window.
    ///   - during: runs alongside the command (to inject faults while it runs); cancelled when it ends.
    /// - Returns: the status and the output; a non-zero exit is a value, not an error.
    /// - Throws: ``LaunchError`` when the command cannot be started (for example a name not on `PATH`).
    public static func run(
        _ arguments: [String], input: Data? = nil, environment: [String: String] = [:],
        timeout: Duration = .seconds(300), directory: String? = nil, inheritEnvironment: Bool = true,
        terminateWhen: (@Sendable () async -> Bool)? = nil, terminateWhenSeen: (@Sendable () -> Bool)? = nil,
        during: (@Sendable () async -> Void)? = nil
    ) async throws -> Result {
        guard let command = arguments.first else {
            throw LaunchError(arguments: arguments, reason: "no command given")
        }
        brokenPipesIgnored
        let configuration = Configuration(
            executable: command.contains("/") ? .path(FilePath(command)) : .name(command),
            arguments: Arguments(Array(arguments.dropFirst())),
            environment: childEnvironment(environment, inherit: inheritEnvironment),
            workingDirectory: directory.map { FilePath($0) })
        let watched = Command(
            arguments: arguments, timeout: timeout, terminateWhen: terminateWhen, terminateWhenSeen: terminateWhenSeen,
            during: during)
        // A task of its own, so that the caller's cancellation does not reach swift-subprocess (which would kill
        // the command).
        let run = Task {
            if let input {
                let bytes = Array(input)
                return try await watched.run(configuration, input: CustomWriteInput.inputWriter) { execution in
                    // A command that exits without reading its input makes these fail: its status tells.
                    _ = try? await execution.standardInputWriter.write(bytes)
                    try? await execution.standardInputWriter.finish()
                }
            }
            return try await watched.run(configuration, input: NoInput.none) { _ in }
        }
        return try await run.value
    }

    /// A command that exits before reading all of `input` makes the write to its stdin fail with EPIPE, and
    /// raise SIGPIPE, whose default action would end the whole test process: this test process ignores it
    /// (commands start with default dispositions all the same).
    private static let brokenPipesIgnored: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    private static func childEnvironment(_ variables: [String: String], inherit: Bool) -> Subprocess.Environment {
        func keyed<Value>(_ values: [String: Value]) -> [Subprocess.Environment.Key: Value] {
            Dictionary(uniqueKeysWithValues: values.map { (.init(stringLiteral: $0.key), $0.value) })
        }
        if inherit {
            return .inherit.updating(keyed(variables.mapValues { Optional($0) }))
        }
        let inherited = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME"].contains($0.key) }
        return .custom(keyed(variables.merging(inherited) { own, _ in own }))
    }
}

/// One ``Shell/run(_:input:environment:timeout:directory:inheritEnvironment:terminateWhen:during:)`` call's
/// command and what watches it.
private struct Command: Sendable {
    let arguments: [String]
    let timeout: Duration
    let terminateWhen: (@Sendable () async -> Bool)?
    let terminateWhenSeen: (@Sendable () -> Bool)?
    let during: (@Sendable () async -> Void)?

    /// Starts the command with `input`, feeds it with `feed`, and collects its output until it ends.
    func run<Input: InputProtocol>(
        _ configuration: Configuration, input: Input,
        feed: (Execution<Input, BytesOutput, BytesOutput>) async -> Void
    ) async throws -> Shell.Result {
        var started = false
        let outcome: ExecutionResult<ChildWatch.Times, BytesOutput, BytesOutput>
        do {
            outcome = try await Subprocess.run(
                configuration, input: input, output: .bytes(limit: .max), error: .bytes(limit: .max)
            ) { execution in
                started = true
                let watch = ChildWatch.start(execution.processIdentifier, timeout: timeout) { signal in
                    try? execution.send(signal: signal)
                }
                let trigger = terminateWhen.map { condition in
                    Task {
                        while !Task.isCancelled {
                            if await condition() {
                                watch.terminate()
                                return
                            }
                            try? await Task.sleep(for: .milliseconds(100))
                        }
                    }
                }
                let fired = Locked(false)
                let poller = terminateWhenSeen.map { seen in
                    PollingThread(every: .milliseconds(20)) {
                        guard !fired.withLock({ $0 }), seen() else { return }
                        fired.withLock { $0 = true }
                        watch.terminate()
                    }
                }
                let sidecar = during.map { body in Task { await body() } }
                defer {
                    trigger?.cancel()
                    sidecar?.cancel()
                }
                await feed(execution)
                let times = await watch.ended()
                await poller?.stop()
                return times
            }
        } catch where !started {
            throw Shell.LaunchError(arguments: arguments, reason: "\(error)")
        }
        let (status, signalled): (Int32, Bool) =
            switch outcome.terminationStatus {
            case .exited(let code): (code, false)
            case .signaled(let signal): (signal, true)
            }
        return Shell.Result(
            status: status, terminatedBySignal: signalled,
            stdoutData: Data(outcome.standardOutput), stderrData: Data(outcome.standardError),
            signalledAt: outcome.closureResult.signalledAt, endedAt: outcome.closureResult.endedAt)
    }
}
