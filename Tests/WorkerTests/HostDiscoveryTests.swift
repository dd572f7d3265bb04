import Foundation
import Shared
import Testing

@testable import Worker

@Suite("HostDiscovery: what hosts add asks a new host")
struct HostDiscoveryTests {
    @Test("the shell question tells sh, PowerShell and cmd apart", arguments: [
        ("%OS%:OS\n", ShellKind.sh), ("%OS%Windows_NT\r\n", .powershell), ("\"Windows_NT$env:OS\"\r\n", .cmd),
    ] as [(String, ShellKind)])
    func shells(answer: String, shell: ShellKind) {
        #expect(HostDiscovery.parseShell(answer) == shell)
    }

    @Test("an answer no supported shell gives is refused")
    func unknownShell() {
        #expect(HostDiscovery.parseShell("") == nil)
        #expect(HostDiscovery.parseShell("env: Undefined variable.") == nil)
    }

    @Test("the Windows command is short Windows PowerShell 5.1", arguments: [ShellKind.powershell, .cmd])
    func windowsCommand(shell: ShellKind) throws {
        // The exec request is the constant bootstrap; the script follows on stdin (and is parsed by
        // WindowsScriptProofTests with the other Windows scripts).
        let invocation = try HostDiscovery.command(shell: shell)
        #expect(invocation.command.count < 2000, "\(invocation.command.count) characters")
        let script = try WindowsScriptProofTests.framedScript(invocation)
        for token in ["&&", "||", "??", "?:"] {
            #expect(!script.contains(token), "\(token) is not Windows PowerShell 5.1")
        }
        #expect(script.contains("A 'ver' {cmd.exe /c ver}"))
        #expect(!script.contains("buildah"))
    }

    static let linuxAnswer = """
        @@coordinator:uname-s 0
        Linux
        @@coordinator:uname-m 0
        aarch64
        @@coordinator:docker-version 0
        \(dockerVersionOutput)
        @@coordinator:buildx-version 0
        github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3
        @@coordinator:buildx-inspect 0
        Name:   default
        Driver: docker
        @@coordinator:buildah-version 0
        Version:         1.28.2
        Go Version:      go1.19.8
        @@coordinator:podman-version 127
        sh: 1: podman: not found
        """

    @Test("a Linux answer: platform from uname -m, every builder with its version, buildx first")
    func linuxAnswer() throws {
        let discovery = try HostDiscovery.parse(Self.linuxAnswer, shell: .sh, host: "h")
        #expect(try discovery.platform(host: "h") == .linuxARM64)
        #expect(discovery.presentBuilders.map(\.kind) == [.buildx, .buildah, .docker])
        #expect(try discovery.builder(requested: nil, host: "h").kind == .buildx)
        #expect(try discovery.builder(requested: .buildah, host: "h").version == "1.28.2")
        let error = try #require(throws: HostProbeError.self) { try discovery.builder(requested: .podman, host: "h") }
        #expect(error.description.contains("--builder podman is not usable there"))
        #expect(error.description.contains("pass --builder buildx or buildah or docker"))
    }

    @Test("a Windows answer: the release from the build, classic docker preferred")
    func windowsAnswer() throws {
        let answer = """
            @@coordinator:ver 0
            Microsoft Windows [Version 10.0.20348.2322]
            @@coordinator:arch 0
            AMD64
            @@coordinator:arch-wow64 0
            @@coordinator:docker-version 0
            \(dockerVersionOutput)
            @@coordinator:buildx-version 1
            docker: 'buildx' is not a docker command.
            @@coordinator:buildx-inspect 1
            docker: 'buildx' is not a docker command.
            """
        let discovery = try HostDiscovery.parse(answer, shell: .powershell, host: "w")
        #expect(try discovery.platform(host: "w") == .windowsAMD64)
        #expect(discovery.windowsVersion == .ltsc2022)
        #expect(try discovery.builder(requested: nil, host: "w").kind == .docker)
        #expect(throws: HostProbeError.self) { try discovery.builder(requested: .buildah, host: "w") }
    }

    @Test("no builder at all: an error listing what each said")
    func noBuilder() throws {
        let answer = "@@coordinator:uname-s 0\nLinux\n@@coordinator:uname-m 0\nx86_64\n"
        let discovery = try HostDiscovery.parse(answer, shell: .sh, host: "h")
        let error = try #require(throws: HostProbeError.self) { try discovery.builder(requested: nil, host: "h") }
        #expect(error.description.contains("no container builder works there"))
    }
}
