import Foundation
import Shared
import Testing
import TestSupport

@testable import Worker

let dockerVersionOutput = """
    Client:
     Version:           26.1.5+dfsg1
     API version:       1.45
     Go version:        go1.22.7
     OS/Arch:           linux/amd64
     Context:           default

    Server:
     Engine:
      Version:          26.1.5+dfsg1
      API version:      1.45 (minimum version 1.24)
      OS/Arch:          linux/amd64
      Experimental:     false
     containerd:
      Version:          1.7.24
    """

let mirantisVersionOutput = """
    Client: Mirantis Container Runtime
     Version:           20.10.9
     OS/Arch:           windows/amd64

    Server: Mirantis Container Runtime
     Engine:
      Version:          20.10.9
      OS/Arch:          windows/amd64
    """

@Suite("Host probe")
struct HostProbeTests {
    @Test(
        "cmd /c ver",
        arguments: [
            ("Microsoft Windows [Version 10.0.20348.2322]", "10.0.20348.2322"),
            ("\r\nMicrosoft Windows [Version 10.0.17763.5329]\r\n", "10.0.17763.5329"),
            ("Microsoft Windows [Versión 10.0.26100.1742]", "10.0.26100.1742"),
        ])
    func windowsVersion(output: String, expected: String) {
        #expect(HostProbe.parseWindowsVersion(output) == expected)
    }

    @Test("docker version: Docker Engine and Mirantis")
    func dockerVersion() {
        let engine = HostProbe.parseDockerVersion(dockerVersionOutput)
        #expect(engine.client == "26.1.5+dfsg1" && engine.server == "26.1.5+dfsg1" && engine.serverPlatform == "linux/amd64")
        let mirantis = HostProbe.parseDockerVersion(mirantisVersionOutput)
        #expect(mirantis.server == "20.10.9" && mirantis.serverPlatform == "windows/amd64")
        #expect(HostProbe.parseDockerVersion("Client:\n Version: 26.1.5\n").server == nil)
    }

    @Test(
        "buildx, buildah and podman versions",
        arguments: [
            ("github.com/docker/buildx 0.13.1+ds1-3 0.13.1+ds1-3", "0.13.1+ds1-3"),
            ("github.com/docker/buildx v0.17.1 257815a", "0.17.1"),
        ])
    func buildxVersion(output: String, expected: String) {
        #expect(HostProbe.parseBuildxVersion(output) == expected)
    }

    @Test("buildah and podman version output")
    func buildahVersion() {
        let buildah = HostProbe.parseBuildahVersion("Version:         1.28.2\nGo Version:      go1.19.8\nOS/Arch:         linux/amd64\n")
        #expect(buildah.version == "1.28.2" && buildah.platform == "linux/amd64")
        #expect(HostProbe.parseBuildahVersion("buildah version 1.28.2 (image-spec 1.0.2-dev)").version == "1.28.2")
        let podman = HostProbe.parseBuildahVersion("Client:       Podman Engine\nVersion:      4.3.1\nOS/Arch:      linux/arm64\n")
        #expect(podman.version == "4.3.1" && podman.platform == "linux/arm64")
        #expect(HostProbe.parseBuildxDriver("Name:          default\nDriver:        docker\n\nNodes:\n") == "docker")
    }

    @Test("probe output of a Linux host parses into a platform and builder")
    func parseLinux() throws {
        let output = """
            @@coordinator:uname-s 0
            Linux
            @@coordinator:uname-m 0
            aarch64
            @@coordinator:home 0
            /root
            @@coordinator:docker-config 0
            /root/.docker
            @@coordinator:docker-version 0
            \(dockerVersionOutput)
            @@coordinator:buildx-version 0
            github.com/docker/buildx 0.13.1 abc
            @@coordinator:buildx-inspect 0
            Name: default
            Driver: docker
            """
        let probe = try HostProbe.parse(output, builder: .buildx)
        #expect(probe.platform == linuxARM64)
        #expect(probe.home == "/root" && probe.dockerConfig == "/root/.docker")
        #expect(probe.builder == BuilderProbe(kind: .buildx, version: "26.1.5+dfsg1", buildxVersion: "0.13.1",
            buildxDriver: "docker", enginePlatform: "linux/amd64"))
    }

    @Test("probe output of a Windows host")
    func parseWindows() throws {
        let output = "@@coordinator:ver 0\r\n\r\nMicrosoft Windows [Version 10.0.20348.2322]\r\n@@coordinator:arch 0\r\nAMD64\r\n"
            + "@@coordinator:arch-wow64 0\r\n\r\n@@coordinator:home 0\r\nC:\\Users\\builder\r\n"
            + "@@coordinator:docker-version 0\r\n\(mirantisVersionOutput)\r\n"
        let probe = try HostProbe.parse(output, builder: .docker)
        #expect(probe.platform == windowsAMD64)
        #expect(probe.windowsBuild == "10.0.20348.2322")
        #expect(probe.builder.version == "20.10.9" && probe.builder.problem == nil)
    }

    @Test("a missing builder is reported with the failing command")
    func missingBuilder() throws {
        let output = "@@coordinator:uname-s 0\nLinux\n@@coordinator:uname-m 0\nx86_64\n"
            + "@@coordinator:builder-version 127\nsh: 1: buildah: not found\n"
        let probe = try HostProbe.parse(output, builder: .buildah)
        #expect(probe.builder.problem == "`buildah version` failed (status 127): sh: 1: buildah: not found")
    }

    @Test("a host whose architecture lies is refused with both sides named")
    func lyingArchitecture() throws {
        let host = BuildHost(name: "amd64-2", address: "127.0.0.5", platforms: [linuxARM64])
        let probe = HostProbe(operatingSystem: "linux", reportedArchitecture: "x86_64",
            platform: Platform(os: "linux", architecture: "amd64"), builder: BuilderProbe(kind: .buildx, version: "26"))
        #expect {
            try probe.verify(against: host)
        } throws: { error in
            let text = String(describing: error)
            return text.contains("amd64-2") && text.contains("linux/arm64") && text.contains("x86_64")
                && text.contains("linux/amd64")
        }
    }

    @Test("cross platforms are exempt from the architecture check")
    func crossPlatformsExempt() throws {
        let host = BuildHost(name: "wincross-1", address: "127.0.0.4", platforms: [Platform.linuxAMD64],
            crossPlatforms: [windowsAMD64], builder: .buildah, windowsVersion: .ltsc2022)
        let probe = HostProbe(operatingSystem: "linux", reportedArchitecture: "x86_64", platform: Platform.linuxAMD64,
            builder: BuilderProbe(kind: .buildah, version: "1.28.2"))
        try probe.verify(against: host)
    }

    @Test("a Windows host of another release is refused with both builds named")
    func wrongWindowsBuild() {
        let host = BuildHost(name: "win2022", address: "10.0.0.1", platforms: [windowsAMD64], builder: .docker,
            windowsVersion: .ltsc2022)
        let probe = HostProbe(operatingSystem: "windows", reportedArchitecture: "AMD64", platform: windowsAMD64,
            windowsBuild: "10.0.26100.1742", builder: BuilderProbe(kind: .docker, version: "20.10.9"))
        #expect {
            try probe.verify(against: host)
        } throws: { error in
            let text = String(describing: error)
            return text.contains("ltsc2022") && text.contains("10.0.20348") && text.contains("10.0.26100.1742")
                && text.contains("ltsc2025")
        }
    }

    @Test("the probe command runs locally and describes this machine")
    func localProbe() async throws {
        let host = BuildHost(name: "local", address: "127.0.0.1", platforms: [Platform.linuxAMD64], builder: .buildah)
        let output = try await runSh(HostProbe.command(for: host))
        let probe = try HostProbe.parse(output, builder: .buildah)
        #expect(probe.operatingSystem == "linux")
        #expect(probe.reportedArchitecture == (try await runSh("uname -m")).trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(probe.home == NSHomeDirectory())
        #expect(probe.contextPresent == nil)
        let present = try await HostProbe.parse(runSh(HostProbe.command(for: host, contextDirectory: NSTemporaryDirectory())),
            builder: .buildah)
        #expect(present.contextPresent == true)
        let absent = try await HostProbe.parse(runSh(HostProbe.command(for: host, contextDirectory: "/nonexistent/it's")),
            builder: .buildah)
        #expect(absent.contextPresent == false)
    }

    @Test("the builder questions run at once, and one after another when no temporary directory can be made")
    func concurrentBuilderQuestions() async throws {
        let fleet = try Fleet.require()
        let host = BuildHost(name: "local", address: "127.0.0.1", platforms: [Platform.linuxAMD64], builder: .buildx)
        let command = try HostProbe.command(for: host).command
        #expect(command.contains("mktemp -d"))
        let scratch = NSTemporaryDirectory() + "coordinator-probe-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var probes: [HostProbe] = []
        for temporary in [scratch, scratch + "/missing"] {
            let output = try await Shell.run(["/bin/sh", "-c", command], environment: [
                "DOCKER_HOST": try fleet.value("TESTBED_DOCKER_HOST"), "TMPDIR": temporary,
            ]).stdout
            probes.append(try HostProbe.parse(output, builder: .buildx))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty, "the answers were removed")
        for probe in probes {
            #expect(probe.builder.problem == nil)
            #expect(probe.builder.version != nil && probe.builder.buildxVersion != nil)
            #expect(probe.builder.buildxDriver == "docker")
        }
        #expect(probes[0] == probes[1])
        let builderOnly = try await Shell.run(["/bin/sh", "-c", try HostProbe.command(for: host, asking: .builder).command],
            environment: ["DOCKER_HOST": try fleet.value("TESTBED_DOCKER_HOST")]).stdout
        #expect(!builderOnly.contains("uname"))
        #expect(HostProbe.parseBuilder(builderOnly, kind: .buildx) == probes[0].builder)
    }

    @Test("the platform questions alone ask no builder, and the builder is then the only thing left to verify")
    func platformQuestionsOnly() async throws {
        let host = BuildHost(name: "local", address: "127.0.0.1", platforms: [Platform.linuxAMD64], builder: .buildx)
        let command = try HostProbe.command(for: host, contextDirectory: "/nonexistent", asking: .platform).command
        #expect(!command.contains("docker version") && !command.contains("buildx"))
        let probe = try HostProbe.parse(try await runSh(command), builder: .buildx)
        #expect(probe.contextPresent == false)
        #expect(probe.builder.problem != nil, "the builder was not asked")
        try probe.verifyPlatform(against: host)
        #expect(throws: HostProbeError.self) { try probe.verifyBuilder(against: host) }
        var liar = host
        liar.platforms = [.linuxARM64]
        #expect(throws: HostProbeError.self) { try probe.verifyPlatform(against: liar) }
    }
}
