import Foundation
import Shared
import Testing
import TestSupport

@testable import Worker

/// The gate of a build's one command (``GatedBuildCommand``), run by real shells: the script comes in on
/// standard input after `go N`, and what follows it stays for the script's own commands.
@Suite("Gated build command")
struct GatedBuildCommandTests {
    static let ready = HostProbe.marker + "ready test"
    static let shells = ["/bin/sh", "/bin/dash", "/bin/bash", "/bin/busybox"].filter {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Runs the gate lines in `shell` with `input` on standard input.
    func gate(_ shell: String, input: [UInt8]) async throws -> Shell.Result {
        let text = GatedBuildCommand.gateLines(ready: Self.ready).joined(separator: "\n")
        let arguments = shell.hasSuffix("busybox") ? [shell, "sh", "-c", text] : [shell, "-c", text]
        return try await Shell.run(arguments, input: Data(input), timeout: .seconds(30))
    }

    @Test("go N lets in N lines of script, literal values intact; the script's input follows", arguments: shells)
    func opens(shell: String) async throws {
        let values = hostileValues + ["go 1", "exit 0", "coordinator_gate"]
        var script = RemoteScript([.run(RemoteCommand(["printf", "%s\\0"] + values))])
        script.run(RemoteCommand(["cat"], readsScriptInput: true))
        let text = try RemoteShell(.sh).render(script)
        let result = try await gate(shell, input: GatedBuildCommand.opening(script: text, input: Array("secret\nline".utf8)))
        #expect(result.succeeded, "\(result.stderr)")
        let output = result.stdout
        #expect(output.hasPrefix(Self.ready + "\n"))
        let fields = output.dropFirst(Self.ready.count + 1).split(separator: "\0", omittingEmptySubsequences: false)
        #expect(fields.dropLast().map(String.init) == values)
        #expect(fields.last == "secret\nline", "the script's command reads what follows the script")
    }

    @Test(
        "anything but a whole script behind go N ends the command before it runs anything",
        arguments: shells.flatMap { shell in
            ["", "stop\n", "go\n", "go x\n", "go 0\n", "go 3\necho ran\n", "GO 1\n", "go 1x\n", "go -1\n"]
                .map { (shell, $0) }
        })
    func refuses(shell: String, input: String) async throws {
        // Each non-empty input is followed by a line that must not run.
        let result = try await gate(shell, input: input.isEmpty ? [] : Array((input + "echo ran\n").utf8))
        #expect(result.status == 125, "\(input.debugDescription): \(result.stdout) \(result.stderr)")
        #expect(result.stdout == Self.ready + "\n", "nothing ran: \(result.stdout)")
    }
}
