import Crypto
import Foundation
import Shared
import TestSupport
import Testing

@testable import Worker

/// The Windows bootstrap's frame, carried by the real SSH transport to a fleet host where a POSIX stand-in reads
/// it exactly as the bootstrap does (10 header digits, then that many bytes, one read at a time, never past the
/// frame) and hashes what follows: the frame arrives first and whole, and the caller's input after it, unchanged.
@Suite("Windows bootstrap frame over SSH", .serialized)
struct WindowsFramingTests {
    /// Reads the frame the way the bootstrap does, byte-exact (`dd bs=1` never reads ahead), then reports the
    /// script's length and hash and the rest's hash.
    static let standIn = """
        n=$(dd bs=1 count=10 2>/dev/null); case $n in *[!0-9]*|'') exit 125 ;; esac; n=$((10#$n)); \
        s=$(dd bs=1 count="$n" 2>/dev/null | sha256sum); r=$(sha256sum); echo "$n ${s%% *} ${r%% *}"
        """

    static func hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    @Test("a rendered Windows build script, then a password, arrive framed and in order (run)")
    func framedThenPassword() async throws {
        let fleet = try SSHFleet.load()
        let connection = try await fleet.connect()
        defer { Task { await connection.close() } }
        let request = BuildRequest(
            tag: "r:5000/a:w", platform: Platform(os: "windows", architecture: "amd64"), windowsVersion: .ltsc2022,
            buildArguments: [BuildArgument("HOSTILE", "日本 🚀 'q' \"d\" `b` $(x) %PATH% ^& \r\n")],
            login: RegistryLogin(server: "r:5000", username: "u", password: "p@ss 🚀\n"))
        let invocation = BuildInvocation(request: request, shell: RemoteShell(.cmd),
            contextDirectory: #"C:\w\contexts\abc"#, runDirectory: #"C:\w\runs\1"#)
        let plan = try DockerBuilder().plan(invocation)
        let windows = try RemoteShell(.cmd).command(for: plan.script)
        let script = Array(try RemoteShell(.cmd).render(plan.script).utf8)
        let result = try await connection.run(
            RemoteInvocation(command: Self.standIn, input: windows.input), stdin: plan.standardInput)
        #expect(result.status == .exited(0), "\(result.stderrText)")
        #expect(result.stdoutText == "\(script.count) \(Self.hex(script)) \(Self.hex(plan.standardInput))\n")
    }

    @Test("a framed script, then an 8 MiB stream, arrive framed and in order (execute)")
    func framedThenStream() async throws {
        let fleet = try SSHFleet.load()
        let connection = try await fleet.connect()
        defer { Task { await connection.close() } }
        let store = RemoteContextStore(shell: RemoteShell(.powershell), workDirectory: #"C:\ProgramData\coordinator"#)
        let windows = try store.receiveCommand(uploadID: "1f2e")
        let script = Array(windows.input.dropFirst(10))
        var expected = SHA256()
        for try await chunk in PseudoRandomChunks(chunks: 8, seed: 7) { expected.update(data: chunk) }
        let process = connection.execute(
            RemoteInvocation(command: Self.standIn, input: windows.input), stdin: PseudoRandomChunks(chunks: 8, seed: 7))
        let output = try await SSHConnection.collectOutput(process)
        #expect(output.status == .exited(0), "\(output.stderrText)")
        let rest = expected.finalize().map { String(format: "%02x", $0) }.joined()
        #expect(output.stdoutText == "\(script.count) \(Self.hex(script)) \(rest)\n")
    }

    @Test("a short frame runs nothing (status 125 from the stand-in, as from the bootstrap)")
    func shortFrame() async throws {
        let fleet = try SSHFleet.load()
        let connection = try await fleet.connect()
        defer { Task { await connection.close() } }
        let result = try await connection.run(RemoteInvocation(command: Self.standIn, input: Array("12x".utf8)))
        #expect(result.status == .exited(125))
    }
}
