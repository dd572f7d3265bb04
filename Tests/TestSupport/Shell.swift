import Foundation
import Shared

/// Runs local commands for tests (`ssh`, `curl`, `docker`, ...) and collects their output.
///
/// The child runs with the test process's environment plus `environment`, stdin from `input`
/// (or `/dev/null`), and its stdout and stderr are read together on dedicated threads, so a child
/// that fills one pipe cannot stall, and no cooperative-pool thread blocks while it runs.
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
        /// When the command was seen to end, on the thread that waited for it (not when the calling task
        /// resumed, which on a loaded cooperative pool can be seconds later).
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

    /// Runs `arguments` (the first is an absolute path, or a name looked up in `PATH`) to completion.
    ///
    /// - Parameters:
    ///   - arguments: the command and its arguments; nothing goes through a shell.
    ///   - input: bytes written to the command's stdin, which is then closed (default: `/dev/null`).
    ///   - environment: variables added to (or replacing) the test process's environment.
    ///   - timeout: the command is sent SIGTERM, then SIGKILL, when it runs longer.
    ///   - directory: the working directory (default: the test process's).
    ///   - inheritEnvironment: when false, the command sees only `environment` plus PATH and HOME.
    ///   - terminateWhen: polled every 100 ms while the command runs; the command is sent SIGTERM
    ///     (as Ctrl-C would send SIGINT) the first time it returns true.
    ///   - during: runs alongside the command (to inject faults while it runs); cancelled when it ends.
    /// - Returns: the status and the output; a non-zero exit is a value, not an error.
    public static func run(
        _ arguments: [String], input: Data? = nil, environment: [String: String] = [:],
        timeout: Duration = .seconds(300), directory: String? = nil, inheritEnvironment: Bool = true,
        terminateWhen: (@Sendable () async -> Bool)? = nil, during: (@Sendable () async -> Void)? = nil
    ) async throws -> Result {
        guard let command = arguments.first else {
            throw LaunchError(arguments: arguments, reason: "no command given")
        }
        let process = Process()
        if command.hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: command)
            process.arguments = Array(arguments.dropFirst())
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
        }
        let inherited = ProcessInfo.processInfo.environment
        process.environment =
            inheritEnvironment
            ? inherited.merging(environment) { _, new in new }
            : environment.merging(inherited.filter { ["PATH", "HOME"].contains($0.key) }) { own, _ in own }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let stdout = Pipe()
        let stderr = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        do {
            try process.run()
        } catch {
            throw LaunchError(arguments: arguments, reason: "\(error)")
        }
        let child = UncheckedBox(process)
        let pipes = UncheckedBox((stdout, stderr, stdin))
        let seconds = timeout.seconds
        let signalled = UncheckedBox<ContinuousClock.Instant?>(nil)
        let signalledLock = NSLock()
        let trigger = terminateWhen.map { condition in
            Task {
                while !Task.isCancelled {
                    if await condition() {
                        signalledLock.withLock {
                            guard child.value.isRunning else { return }
                            signalled.value = .now
                            child.value.terminate()
                        }
                        return
                    }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
        }
        let sidecar = during.map { body in Task { await body() } }
        defer {
            trigger?.cancel()
            sidecar?.cancel()
        }
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let (stdout, stderr, stdin) = pipes.value
                let errors = UncheckedBox(Data())
                let errorsRead = DispatchSemaphore(value: 0)
                Thread.detachNewThread {
                    errors.value = stderr.fileHandleForReading.readDataToEndOfFile()
                    errorsRead.signal()
                }
                if let input {
                    Thread.detachNewThread {
                        try? stdin.fileHandleForWriting.write(contentsOf: input)
                        try? stdin.fileHandleForWriting.close()
                    }
                }
                let watchdog = DispatchWorkItem {
                    guard child.value.isRunning else { return }
                    child.value.terminate()
                    Thread.sleep(forTimeInterval: 5)
                    if child.value.isRunning { kill(child.value.processIdentifier, SIGKILL) }
                }
                DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: watchdog)
                let output = stdout.fileHandleForReading.readDataToEndOfFile()
                errorsRead.wait()
                child.value.waitUntilExit()
                let ended = ContinuousClock.now
                watchdog.cancel()
                continuation.resume(
                    returning: Result(
                        status: child.value.terminationStatus,
                        terminatedBySignal: child.value.terminationReason == .uncaughtSignal,
                        stdoutData: output, stderrData: errors.value,
                        signalledAt: signalledLock.withLock { signalled.value }, endedAt: ended))
            }
        }
    }
}

/// Hands a non-Sendable value to a thread that alone uses it from then on (or after a semaphore).
private final class UncheckedBox<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
