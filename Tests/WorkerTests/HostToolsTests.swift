import Foundation
import Shared
import Testing
import TestSupport

@testable import Worker

@Suite("Host tools: the programs the build path runs, checked by the probe of hosts check")
struct HostToolsTests {
    static let host = BuildHost(name: "amd64-1", address: "127.0.0.2", platforms: [Platform.linuxAMD64])

    /// What the probe's tools question answers when run by the local `/bin/sh` with `PATH` only `bin`.
    static func localAnswer(path bin: ToolPath, builder: BuilderKind = .buildx) async throws -> HostTools? {
        let lines = try HostProbe.posixLines(for: host, asking: .tools)
        let result = try await Shell.run(
            ["/bin/sh", "-c", lines.joined(separator: "\n")], environment: ["PATH": bin.path],
            inheritEnvironment: false)
        #expect(result.succeeded, "\(result.stderr)")
        return HostProbe.sections(result.stdout)[HostProbe.toolsSection].map { HostTools.parse($0.text, builder: builder) }
    }

    @Test("only hosts check asks: a build's probe (and a plain probe) runs no tools check")
    func askedOnlyByHostsCheck() throws {
        #expect(!(try HostProbe.command(for: Self.host).command.contains(HostTools.function)))
        #expect(!(try HostProbe.posixLines(for: Self.host)).joined().contains(HostTools.function))
        let asked = try HostProbe.command(for: Self.host, asking: [.all, .tools]).command
        #expect(asked.contains(HostTools.function))
        // One command: the tools question runs beside the builder's (in the background, answers printed together).
        #expect(asked.contains("ask \(HostProbe.toolsSection) \(HostTools.function) >"))
        let windows = BuildHost(name: "win", address: "10.0.0.1", platforms: [try Platform(parsing: "windows/amd64")],
            builder: .docker)
        #expect(!(try HostProbe.command(for: windows, asking: [.all, .tools]).command.contains(HostTools.function)))
    }

    @Test("this machine's GNU tools pass every check")
    func gnuToolsPass() async throws {
        let bin = try ToolPath()
        defer { bin.remove() }
        let tools = try #require(try await Self.localAnswer(path: bin))
        #expect(tools.findings == [], "\(tools.findings)")
        #expect(tools.problem == nil)
    }

    @Test("BusyBox tar, head and ln fail by behaviour, named with what the host has; gzip missing is a note")
    func busyboxTools() async throws {
        let bin = try ToolPath.busyBox(["tar", "head", "ln"], without: ["gzip"])
        defer { bin.remove() }
        let tools = try #require(try await Self.localAnswer(path: bin))
        #expect(tools.missing.map(\.tool) == ["tar", "head -c", "ln -t"])
        #expect(tools.notes.map(\.tool) == ["gzip"])
        let tar = try #require(tools.missing.first)
        #expect(tar.found.hasPrefix("not GNU tar: tar --version says: tar (busybox) "), "\(tar.found)")
        #expect(tar.fix == "install GNU tar (Debian/Ubuntu: apt-get install tar; Alpine: apk add tar)")
        let problem = try #require(tools.problem)
        for words in ["tar (busybox)", "apk add tar", "head -c", "ln -t", "apk add coreutils"] {
            #expect(problem.contains(words), "\(problem)")
        }
        #expect(!problem.contains("gzip"))
    }

    @Test("a host without gzip, openssl and flock stays usable: three notes saying what is lost")
    func optionalTools() async throws {
        let bin = try ToolPath(without: ["gzip", "openssl", "flock"])
        defer { bin.remove() }
        let tools = try #require(try await Self.localAnswer(path: bin))
        #expect(tools.missing == [])
        #expect(tools.problem == nil)
        #expect(tools.notes.map(\.tool) == ["gzip", "openssl", "flock"])
        #expect(tools.notes.first?.effect.contains("uncompressed") == true)
        #expect(tools.notes.dropFirst().first?.effect.contains("sha256sum") == true)
    }

    @Test("without openssl and sha256sum nothing can hash the upload: required")
    func noHash() async throws {
        let bin = try ToolPath(without: ["openssl", "sha256sum"])
        defer { bin.remove() }
        let tools = try #require(try await Self.localAnswer(path: bin))
        #expect(tools.missing.map(\.tool) == ["sha256sum"])
        #expect(tools.notes.map(\.tool) == ["openssl"])
    }

    @Test("parsing: IDs to findings in check order, found text kept, checks of other builders dropped")
    func parsing() {
        let output = "gzip\tmissing\nfind-printf\tnot GNU find\ntar\tnot GNU tar: tar --version says: bsdtar 3.6.2\n"
            + "mv-T\thas no -T\ntar\tdid not extract\n"
        let buildx = HostTools.parse(output, builder: .buildx)
        #expect(buildx.findings.map(\.tool) == ["tar", "mv -T", "gzip", "find -printf"])
        #expect(buildx.findings.map(\.required) == [true, true, false, false])
        #expect(buildx.findings.first?.found == "not GNU tar: tar --version says: bsdtar 3.6.2", "the first of an ID")
        #expect(HostTools.parse(output, builder: .podman).findings.map(\.tool) == ["tar", "mv -T", "gzip"])
        #expect(HostTools.parse("", builder: .buildx) == HostTools())
        #expect(HostTools.parse("awk\n", builder: .buildx).findings
            == [HostTools.Finding(tool: "awk", required: true, found: "missing", effect: "the build scripts run it",
                fix: "install awk (Debian/Ubuntu: apt-get install mawk; Alpine: apk add gawk)")])
    }

    @Test("the probe's answer: the tools section parsed with the rest, absent when not asked")
    func probeAnswer() throws {
        let base = "@@coordinator:uname-s 0\nLinux\n@@coordinator:uname-m 0\nx86_64\n"
            + "@@coordinator:builder-version 0\nVersion: 4.3.1\n"
        #expect(try HostProbe.parse(base, builder: .podman).tools == nil)
        let probe = try HostProbe.parse(base + "@@coordinator:tools 0\nflock\tmissing\n", builder: .podman)
        #expect(probe.tools?.notes.map(\.tool) == ["flock"])
        #expect(try HostProbe.parse(base + "@@coordinator:tools 0\n", builder: .podman).tools == HostTools())
    }
}
