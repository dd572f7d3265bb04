import Foundation
import Shared
import TestSupport
import Testing

@testable import Worker

/// Every exec request the Windows path can send, rendered at worst-case inputs, checked with independent tools:
/// the command line's length, the framed script's PowerShell 5.1 syntax (tree-sitter-powershell), and the
/// C-runtime quoting of native command lines (mslex). No Windows host exists here; this is what can be proven.
@Suite("Windows scripts (independent proof)", .serialized)
struct WindowsScriptProofTests {
    /// The hostile strings a script can carry (NUL is refused by every renderer, tested elsewhere).
    static let hostile = HostileStrings.generate().filter { !$0.unicodeScalars.contains("\0") }

    /// A 250-character absolute Windows path holding `piece`.
    static func longPath(_ piece: String = "") -> String {
        let base = #"C:\ProgramData\coordinator\"# + piece
        return base + String(repeating: "p", count: max(0, 250 - base.count))
    }

    /// The largest build-argument set the Windows budget allows: values of 1 KiB until the budget is full.
    static var largestBuildArguments: [BuildArgument] {
        var arguments: [BuildArgument] = []
        while true {
            let next = arguments + [BuildArgument("ARG_\(arguments.count)", String(repeating: "v\"x\\ ", count: 200))]
            guard WindowsCommandBudget.buildArgumentLength(next) <= WindowsCommandBudget.buildArgumentBudget else { break }
            arguments = next
        }
        return arguments
    }

    /// Every exec request for a Windows host, for one shell, named.
    static func invocations(_ kind: ShellKind) throws -> [(name: String, invocation: RemoteInvocation)] {
        let shell = RemoteShell(kind)
        var result: [(String, RemoteInvocation)] = []
        func add(_ name: String, _ body: () throws -> RemoteInvocation) throws {
            do {
                result.append((name, try body()))
            } catch let error as ShellQuotingError {
                // Only an over-long native command line may be refused (a 64 KiB value): never silently.
                guard case .tooLong = error.reason else { throw error }
            }
        }
        let work = longPath()
        let store = RemoteContextStore(shell: shell, workDirectory: work)
        let digest = String(repeating: "ab", count: 32)
        try add("check") { try store.checkCommand(digest: digest) }
        try add("receive") { try store.receiveCommand(uploadID: "0123abcd") }
        try add("publish") { try store.publishCommand(digest: digest, uploadID: "0123abcd") }
        try add("discard") { try store.discardCommand(uploadID: "0123abcd") }
        try add("prune") { try store.pruneCommand(.standard, keep: [digest]) }
        try add("upload") { try store.uploadCommand(uploadID: "0123abcd") }
        try add("remove") { try shell.command(for: RemoteScript([.removeTree(longPath("runs\\"))])) }
        try add("stop") { try WindowsRunDirectory.stopInvocation(longPath("runs\\")) }
        try add("read") { try shell.readFileCommand(longPath("it's")) }
        try add("download") {
            try WindowsBootstrap.invocation(SSHConnection.windowsDownloadScript(
                try PowerShell.quote(longPath("runs\\it's ")), marker: "coordinator-transfer-1f2e"))
        }
        try add("hosts-add-discovery") { try HostDiscovery.command(shell: kind) }
        try add("build-slot") {
            try HostSlots.powerShellCommand(RemoteScript([.removeTree(longPath("runs\\"))]), shell: shell,
                directory: longPath("slots it's $(x) "), capacity: 64)
        }
        try add("build-slot-holding-context") {
            try HostSlots.powerShellCommand(RemoteScript([.removeTree(longPath("runs\\"))]), shell: shell,
                directory: longPath("slots it's $(x) "), capacity: 2, holding: longPath("contexts\\it's $(x) "))
        }
        try add("hosts-check") { try WindowsHostCheck.invocation(workDirectory: longPath("it's $(x) ")) }
        let windows = Platform(os: "windows", architecture: "amd64")
        let host = BuildHost(name: "win", address: "127.0.0.1", platforms: [windows], builder: .docker, shell: kind)
        try add("probe") { try HostProbe.command(for: host, contextDirectory: longPath("contexts\\"), asking: .all) }
        let largest = largestBuildArguments
        for (index, value) in ([""] + hostile).enumerated() {
            let request = BuildRequest(
                tag: "registry.example:5000/team/app:" + value, platform: windows, windowsVersion: .ltsc2022,
                dockerfile: "Dockerfile-Windows" + value,
                buildArguments: index == 0 ? largest : [BuildArgument("HOSTILE", value)], output: .registry,
                network: value.isEmpty ? nil : value, target: value.isEmpty ? nil : value,
                login: RegistryLogin(server: "registry.example:5000" + value, username: value, password: value),
                labels: ["org.example.label": value, "org.example.other" + value: value])
            for output in [BuildOutput.registry, .tarball(.docker)] {
                var request = request
                request.output = output
                let invocation = BuildInvocation(
                    request: request, shell: shell, contextDirectory: longPath("contexts\\" + value),
                    runDirectory: longPath("runs\\"), hostDockerConfig: longPath("Users\\" + value))
                try add("docker-\(index)-\(output)") {
                    let plan = try DockerBuilder().plan(invocation)
                    return try shell.command(for: plan.scriptHandingBackResults(
                        marker: HostProbe.marker + "result 1f2e", runDirectory: invocation.runDirectory))
                }
            }
        }
        return result
    }

    /// The script a bootstrap frame carries, after checking the frame's header.
    static func framedScript(_ invocation: RemoteInvocation) throws -> String {
        let header = invocation.input.prefix(WindowsBootstrap.headerDigits)
        let length = try #require(Int(String(decoding: header, as: UTF8.self)))
        #expect(header.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        #expect(length == invocation.input.count - WindowsBootstrap.headerDigits)
        return String(decoding: invocation.input.dropFirst(WindowsBootstrap.headerDigits), as: UTF8.self)
    }

    @Test("every exec request to a Windows host is the constant bootstrap, at most 2,000 characters",
        arguments: [ShellKind.cmd, .powershell])
    func constantCommandLines(kind: ShellKind) throws {
        let all = try Self.invocations(kind)
        #expect(all.count > 2 * Self.hostile.count)
        let longest = all.map { $0.invocation.command.utf16.count }.max() ?? 0
        for (name, invocation) in all {
            #expect(invocation.command == WindowsBootstrap.command, "\(name)")
            #expect(invocation.command.utf16.count <= 2_000, "\(name)")
            #expect(invocation.command.unicodeScalars.allSatisfy {
                ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) || " +/=-.".unicodeScalars.contains($0)
            }, "only characters cmd.exe and PowerShell pass unchanged")
        }
        #expect(longest == WindowsBootstrap.command.utf16.count)
        print("longest Windows exec request: \(longest) characters (\(all.count) requests rendered for \(kind))")
        // What today's renderer sent instead: the script itself as -EncodedCommand, far over cmd.exe's 8,191.
        let framedLengths = try all.map { try PowerShell.encodedInvocation(Self.framedScript($0.invocation)).utf16.count }
        #expect((framedLengths.max() ?? 0) > CmdShell.maximumCommandLength)
        print("the same scripts as -EncodedCommand (today's renderer): up to \(framedLengths.max() ?? 0) characters, "
            + "\(framedLengths.filter { $0 > CmdShell.maximumCommandLength }.count) of \(all.count) over cmd.exe's 8,191")
    }

    @Test("every framed script parses as Windows PowerShell 5.1 under tree-sitter-powershell",
        arguments: [ShellKind.cmd, .powershell])
    func scriptsParse(kind: ShellKind) async throws {
        var scripts = [(name: "bootstrap", text: WindowsBootstrap.script)]
        scripts += try Self.invocations(kind).map { ($0.name, try Self.framedScript($0.invocation)) }
        let (status, report) = try await WindowsProofTools.check(scripts)
        #expect(status == 0, "\(report.prefix(4000))")
    }

    @Test("the checker refuses a broken script, PowerShell 7 syntax and a variable read but never assigned")
    func checkerRefuses() async throws {
        let broken = try await WindowsProofTools.check([("broken", "if ($true) { 'unclosed'\n")])
        #expect(broken.status == 1 && broken.report.contains("missing"))
        let chain = try await WindowsProofTools.check([("chain", "docker build . && docker push x\n")])
        #expect(chain.status == 1 && chain.report.contains("PowerShell 7"))
        for text in ["$a = $b ?? 'x'\n", "$a = $b ? 1 : 2\n", "${b}?.Length\n", "$a ??= 1\n", "a || b\n"] {
            #expect(try await WindowsProofTools.check([("ps7", text)]).status == 1, "\(text)")
        }
        let fine = try await WindowsProofTools.check([("fine", "$a = 'x && y ?? z' # a || b\nWrite-Output $a\n")])
        #expect(fine.status == 0, "\(fine.report)")
        let typo = try await WindowsProofTools.check([("typo", "$objects = @(1, 2)\nforeach ($o in $objcts) { $o }\n")])
        #expect(typo.status == 1 && typo.report.contains("$objcts is read but never assigned"), "\(typo.report)")
        let quoted = try await WindowsProofTools.check([("quoted", "$name = 'x'\nWrite-Output \"$($nmae).txt\"\n")])
        #expect(quoted.status == 1 && quoted.report.contains("never assigned"), "\(quoted.report)")
        let assigned = """
            param([string]$Root)
            function Join([int]$Count) { $Count + 1 }
            $global:Total = 0
            $first, [int]$second = 1, 2
            foreach ($item in @($first, $second)) { $global:TOTAL += Join $item }
            Write-Output "$Root $($global:total) ${second} $env:TEMP" '$notAVariable' # $notAVariable
            Write-Output '$neither' $_ $null $LASTEXITCODE
            try { Get-Item $Root } catch { Write-Output $_.Exception.Message }

            """
        let clean = try await WindowsProofTools.check([("assigned", assigned)])
        #expect(clean.status == 0, "\(clean.report)")
    }

    @Test("C-runtime quoting round-trips the hostile set through mslex (msvcrt and UCRT agreeing)")
    func quotingRoundTrips() async throws {
        let values = Self.hostile + ["", "\\", "a\\", "\"", "\\\"", "a b\\\\", "tab\there", "\\\\server\\share\\"]
        let lines = try values.map(WindowsCommandLine.quote) + [try WindowsCommandLine.join(Array(values.prefix(40)))]
        let split = try await WindowsProofTools.split(lines)
        for (value, answer) in zip(values, split) {
            #expect(answer == [value], "\(value.debugDescription)")
        }
        #expect(split.last == Array(values.prefix(40)))
        // The Swift splitter agrees with mslex.
        for (line, answer) in zip(lines, split) {
            #expect(WindowsCommandLine.split(line) == answer)
        }
    }

    @Test("a build argument set over the Windows budget is refused before rendering; the largest allowed renders")
    func budget() throws {
        let largest = Self.largestBuildArguments
        #expect(WindowsCommandBudget.buildArgumentLength(largest) <= WindowsCommandBudget.buildArgumentBudget)
        let over = largest + [BuildArgument("MORE", String(repeating: "x", count: 2048))]
        #expect(WindowsCommandBudget.buildArgumentLength(over) > WindowsCommandBudget.buildArgumentBudget)
        let shell = RemoteShell(.powershell)
        let tooLong = RemoteScript([.run(RemoteCommand(["docker", String(repeating: "x", count: 40_000)]))])
        #expect(throws: ShellQuotingError.self) { try shell.render(tooLong) }
    }
}
