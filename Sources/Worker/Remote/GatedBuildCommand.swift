import Shared

/// The one command of a build on a POSIX host: it first answers the platform questions (``HostProbe``), prints
/// a ready line and waits at a gate on its standard input. Nothing is built until the coordinator, having
/// checked the answers (and shipped the context, on another channel, if the host lacks it), sends `go N`, the
/// N lines of the build script and then the script's own standard input (the registry password, if any); the
/// command runs the script with `eval`. A host that is not what the inventory says gets end-of-file instead:
/// the command ends with nothing built, no run directory made, no script even sent.
///
/// This replaces a separate probe command before the build: one channel, one remote shell and their round
/// trips fewer on every build. The script is rendered after the answers, so it may use them (the home
/// directory, the docker configuration directory, the builder's driver) as a separate probe allowed.
struct GatedBuildCommand: Sendable {
    /// What the command printed before its ready line, or how it ended without one.
    enum Answers: Sendable {
        /// The probe's answers; the command waits at its gate.
        case ready(String)
        /// The command ended (or its output did) before the ready line; what it printed.
        case ended(String)
    }

    private let process: RemoteProcess
    private let gate: AsyncThrowingStream<[UInt8], any Error>.Continuation
    private let answerStream: AsyncStream<Answers>
    private let output: Task<Void, any Error>

    /// Starts the command on `connection`: the `probe` lines (POSIX sh), then the gate. Output after the gate goes
    /// to `log` (standard error from the start).
    static func start(
        probe lines: [String], shell: RemoteShell, connection: SSHConnection, log: BuildLog
    ) throws -> GatedBuildCommand {
        let ready = HostProbe.marker + "ready " + RemoteWorker.randomID()
        let invocation = try shell.command(forScriptText: (lines + gateLines(ready: ready)).joined(separator: "\n"))
        let (input, gate) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let process = connection.execute(invocation, stdin: input)
        let (answerStream, answered) = AsyncStream<Answers>.makeStream()
        let readyLine = Array((ready + "\n").utf8)
        let output = Task {
            defer { answered.finish() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await chunk in process.stderr { await log.append(chunk, from: .stderr) }
                }
                var before: [UInt8] = []
                var passed = false
                for try await chunk in process.stdout {
                    if passed {
                        await log.append(chunk, from: .stdout)
                        continue
                    }
                    // Only the new bytes (and a ready line split across chunks) are searched again.
                    let searchFrom = max(0, before.count - readyLine.count)
                    before += chunk
                    guard let range = Self.readyLine(readyLine, in: before, from: searchFrom) else { continue }
                    passed = true
                    answered.yield(.ready(String(decoding: before[..<range.lowerBound], as: UTF8.self)))
                    if range.upperBound < before.endIndex {
                        await log.append(Array(before[range.upperBound...]), from: .stdout)
                    }
                }
                if !passed { answered.yield(.ended(String(decoding: before, as: UTF8.self))) }
                try await group.waitForAll()
            }
        }
        return GatedBuildCommand(process: process, gate: gate, answerStream: answerStream, output: output)
    }

    /// Where `readyLine` first occurs at the start of a line of `output`, searching from `start`.
    static func readyLine(_ readyLine: [UInt8], in output: [UInt8], from start: Int) -> Range<Int>? {
        var from = start
        while let range = output.firstOccurrence(of: readyLine, from: from) {
            if range.lowerBound == 0 || output[range.lowerBound - 1] == UInt8(ascii: "\n") { return range }
            from = range.lowerBound + 1
        }
        return nil
    }

    /// The sh lines after the probe's: the ready line, then the gate. `go N` lets the next N lines in as the
    /// script, read with `read` (which takes one byte at a time from a pipe, so what follows the script stays
    /// for the script's commands); anything else ends the command.
    static func gateLines(ready: String) -> [String] {
        [
            "printf '%s\\n' '\(ready)'",
            "IFS= read -r coordinator_gate || exit 125",
            "case $coordinator_gate in 'go '[1-9]*) ;; *) exit 125 ;; esac",
            "coordinator_lines=${coordinator_gate#go }",
            "case $coordinator_lines in *[!0-9]*) exit 125 ;; esac",
            "coordinator_script=",
            "while [ \"$coordinator_lines\" -gt 0 ] && IFS= read -r coordinator_line; do",
            "    coordinator_script=\"$coordinator_script$coordinator_line",
            "\"",
            "    coordinator_lines=$((coordinator_lines - 1))",
            "done",
            "[ \"$coordinator_lines\" -eq 0 ] || exit 125",
            "unset coordinator_gate coordinator_line coordinator_lines",
            "eval \"$coordinator_script\"",
        ]
    }

    /// What the probe part answered. Cancelling the calling task stops the command.
    /// - Throws: the connection's error when the output broke off before the ready line.
    func answers() async throws -> Answers {
        try await withTaskCancellationHandler {
            for await answer in answerStream { return answer }
            try await output.value
            return .ended("")
        } onCancel: {
            process.cancel()
        }
    }

    /// Lets the build in: sends `script` (POSIX sh text) behind the gate, then `input`, then end-of-file.
    func open(script: String, input: [UInt8]) {
        gate.yield(Self.opening(script: script, input: input))
        gate.finish()
    }

    /// What goes through the gate: `go N`, the N lines of `script`, then `input`.
    static func opening(script: String, input: [UInt8]) -> [UInt8] {
        let text = script.hasSuffix("\n") ? script : script + "\n"
        let lines = text.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        return Array("go \(lines)\n".utf8) + Array(text.utf8) + input
    }

    /// Keeps the build out: the command reads end-of-file at its gate and ends by itself (at once: it is waiting
    /// there, or ended already); returns once it has. Cancelling the calling task stops it.
    func refuse() async {
        gate.finish()
        _ = try? await finish()
    }

    /// Waits until the command has ended and its output is in the log. Cancelling the calling task stops it.
    func finish() async throws -> ExitStatus {
        try await withTaskCancellationHandler {
            try await output.value
        } onCancel: {
            process.cancel()
        }
        return try await process.wait()
    }
}
