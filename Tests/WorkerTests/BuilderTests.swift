import Foundation
import Shared
import Testing

@testable import Worker

/// The argument lists a plan runs, in order.
func commands(of plan: BuildPlan) -> [RemoteCommand] {
    plan.script.steps.compactMap { step in
        if case .run(let command) = step { command } else { nil }
    }
}

func invocation(
    _ request: BuildRequest, shell: ShellKind = .sh, instance: String? = nil, driver: String? = "docker"
) -> BuildInvocation {
    let remote = RemoteShell(shell)
    let work = shell == .sh ? "/var/tmp/coordinator" : #"C:\coordinator"#
    return BuildInvocation(
        request: request, shell: remote, contextDirectory: remote.join(work, "contexts/abc"),
        runDirectory: remote.join(work, "runs/r1"), builderInstance: instance, buildxDriver: driver,
        hostDockerConfig: shell == .sh ? "/root/.docker" : #"C:\Users\builder\.docker"#)
}

let linuxARM64 = Platform(os: "linux", architecture: "arm64")
let windowsAMD64 = Platform(os: "windows", architecture: "amd64")

@Suite("Builders")
struct BuilderTests {
    @Test("buildx pushes a single manifest with metadata, build args and a named instance")
    func buildxRegistry() throws {
        let request = BuildRequest(
            tag: "127.0.0.1:5000/velero/velero:main-linux-arm64", platform: linuxARM64,
            buildArguments: [BuildArgument("GOPROXY", "https://proxy.golang.org,direct"), BuildArgument("X", "$(id) 'q'")])
        let plan = try BuildxBuilder().plan(invocation(request, instance: "velero-builder"))
        let build = try #require(commands(of: plan).last)
        #expect(build.arguments == [
            "docker", "buildx", "build", "--builder", "velero-builder", "--progress=plain", "--platform", "linux/arm64",
            "-f", "/var/tmp/coordinator/contexts/abc/Dockerfile", "--build-arg", "GOPROXY=https://proxy.golang.org,direct",
            "--build-arg", "X=$(id) 'q'", "--provenance=false", "--sbom=false", "--metadata-file",
            "/var/tmp/coordinator/runs/r1/metadata.json", "--push", "-t", "127.0.0.1:5000/velero/velero:main-linux-arm64",
            ".",
        ])
        // The context is entered through the build slot's link for the named instance (StableBuildContext), and
        // BuildKit's receipt of it is recorded after the build.
        #expect(plan.script.steps.contains(
            .enterBuildContext("/var/tmp/coordinator/contexts/abc", key: "buildx-velero-builder")))
        #expect(plan.script.steps.last == .buildContextReceived)
        #expect(plan.digestFile == "/var/tmp/coordinator/runs/r1/metadata.json")
        #expect(plan.standardInput.isEmpty)
        let rendered = try RemoteShell(.sh).render(plan.script)
        #expect(rendered.contains(#"'X=$(id) '\''q'\'''"#))
    }

    @Test("credentials reach docker login on stdin only, in a temporary config removed afterwards")
    func dockerLogin() throws {
        let login = RegistryLogin(server: "localhost:5001", username: "ci", password: "s3cr3t'$(boom)")
        let request = BuildRequest(tag: "localhost:5001/a/b:v1-linux-arm64", platform: linuxARM64, login: login)
        for builder in [BuildxBuilder() as any ImageBuilder, DockerBuilder()] {
            let plan = try builder.plan(invocation(request))
            #expect(plan.standardInput == Array("s3cr3t'$(boom)".utf8))
            let script = try RemoteShell(.sh).render(plan.script)
            #expect(!script.contains("s3cr3t"))
            #expect(!login.description.contains("s3cr3t"))
            #expect(plan.script.removeOnExit == ["/var/tmp/coordinator/runs/r1/docker-config"])
            let loginCommand = try #require(commands(of: plan).first)
            #expect(loginCommand.arguments == ["docker", "login", "--username", "ci", "--password-stdin", "localhost:5001"])
            #expect(loginCommand.readsScriptInput)
            #expect(commands(of: plan).dropFirst().allSatisfy { !$0.readsScriptInput })
            #expect(script.contains("export DOCKER_CONFIG=/var/tmp/coordinator/runs/r1/docker-config"))
            #expect(script.contains("export BUILDX_CONFIG=/root/.docker/buildx"))
            #expect(script.contains(#"{"auths":{"localhost:5001":{}},"cliPluginsExtraDirs":["/root/.docker/cli-plugins"]}"#))
        }
    }

    @Test("buildx archive output: --load and docker save with the docker driver, --output elsewhere")
    func buildxTarball() throws {
        let request = BuildRequest(tag: "t/app:v1-linux-arm64", platform: linuxARM64, output: .tarball(.docker))
        let withDockerDriver = commands(of: try BuildxBuilder().plan(invocation(request, driver: "docker")))
        #expect(withDockerDriver[0].arguments.contains("--load"))
        #expect(!withDockerDriver[0].arguments.contains("--push"))
        #expect(withDockerDriver[1].arguments == ["docker", "save", "-o", "/var/tmp/coordinator/runs/r1/image.tar", "t/app:v1-linux-arm64"])
        let oci = BuildRequest(tag: "t/app:v1", platform: linuxARM64, output: .tarball(.oci))
        let containerDriver = commands(of: try BuildxBuilder().plan(invocation(oci, driver: "docker-container")))
        #expect(containerDriver.count == 1)
        #expect(containerDriver[0].arguments.contains("type=oci,dest=/var/tmp/coordinator/runs/r1/image.tar"))
    }

    @Test("Windows builds use the Windows Dockerfile path and pass the release as OS_VERSION")
    func windowsBuildArgument() throws {
        let selection = DockerfileSelection()
        let request = BuildRequest(
            tag: "r/v:main-windows-ltsc2022-amd64", platform: windowsAMD64, windowsVersion: .ltsc2022,
            dockerfile: selection.dockerfile(for: windowsAMD64))
        let plan = try DockerBuilder().plan(invocation(request, shell: .powershell))
        let build = commands(of: plan)[0].arguments
        #expect(build.contains(#"C:\coordinator\contexts\abc\Dockerfile-Windows"#))
        #expect(build.contains("OS_VERSION=ltsc2022"))
        let explicit = BuildRequest(
            tag: "r/v:w", platform: windowsAMD64, windowsVersion: .ltsc2022, buildArguments: [BuildArgument("OS_VERSION", "1809")])
        #expect(explicit.effectiveBuildArguments == [BuildArgument("OS_VERSION", "1809")])
        #expect(BuildRequest(tag: "r/v:l", platform: linuxARM64, windowsVersion: .ltsc2022).effectiveBuildArguments.isEmpty)
    }

    @Test("docker classic pushes and records RepoDigests")
    func dockerClassic() throws {
        let request = BuildRequest(tag: "reg:5000/a/b:v1", platform: windowsAMD64, windowsVersion: .ltsc2022, network: "none")
        let all = commands(of: try DockerBuilder().plan(invocation(request)))
        #expect(all.map { Array($0.arguments.prefix(2)) } == [["docker", "build"], ["docker", "push"], ["docker", "image"]])
        #expect(all[0].arguments.contains("--network") && all[0].arguments.contains("none"))
        #expect(all[2].outputFile == "/var/tmp/coordinator/runs/r1/repodigests.json")
    }

    @Test("buildah cross-builds Windows with --os-version, pushes with --digestfile; podman the same")
    func buildah() throws {
        let request = BuildRequest(
            tag: "127.0.0.1:5000/t/app:v1-windows-ltsc2022-amd64", platform: windowsAMD64, windowsVersion: .ltsc2022,
            windowsOSVersion: "10.0.20348.2527", dockerfile: "Dockerfile-Windows", insecureRegistry: true)
        for program in ["buildah", "podman"] {
            let plan = try BuildahBuilder(program: program).plan(invocation(request))
            let all = commands(of: plan)
            #expect(all[0].arguments.starts(with: [program, "build", "--platform", "windows/amd64", "--os-version",
                "10.0.20348.2527", "--format", "docker", "-f", "/var/tmp/coordinator/contexts/abc/Dockerfile-Windows"]))
            #expect(all[0].arguments.contains("--tls-verify=false"))
            #expect(all[1].arguments == [program, "push", "--tls-verify=false", "--digestfile",
                "/var/tmp/coordinator/runs/r1/digest", "--format", "v2s2", request.tag, "docker://" + request.tag])
            #expect(all[2].allowFailure)
        }
        #expect(throws: BuilderError.self) { try BuildahBuilder(program: "buildah").plan(invocation(request, shell: .powershell)) }
    }

    @Test("buildah archives to docker-archive: or oci-archive:", arguments: TarballFormat.allCases)
    func buildahArchive(format: TarballFormat) throws {
        let request = BuildRequest(tag: "t/app:v1", platform: linuxARM64, output: .tarball(format))
        let plan = try BuildahBuilder(program: "buildah").plan(invocation(request))
        #expect(commands(of: plan)[1].arguments
            == ["buildah", "push", "t/app:v1", "\(format.rawValue)-archive:/var/tmp/coordinator/runs/r1/image.tar:t/app:v1"])
        #expect(plan.tarball == "/var/tmp/coordinator/runs/r1/image.tar")
    }

    @Test("buildah login uses a private authfile fed on stdin")
    func buildahLogin() throws {
        let login = RegistryLogin(server: "127.0.0.1:5002", username: "u", password: "pw")
        let request = BuildRequest(tag: "127.0.0.1:5002/t/a:v1", platform: linuxARM64, insecureRegistry: true, login: login)
        let plan = try BuildahBuilder(program: "buildah").plan(invocation(request))
        let all = commands(of: plan)
        #expect(all[0].arguments == ["buildah", "login", "--authfile", "/var/tmp/coordinator/runs/r1/auth/auth.json",
            "--tls-verify=false", "--username", "u", "--password-stdin", "127.0.0.1:5002"])
        #expect(all[1].arguments.contains("--authfile") && all[2].arguments.contains("--authfile"))
        #expect(plan.script.removeOnExit == ["/var/tmp/coordinator/runs/r1/auth"])
        #expect(plan.standardInput == Array("pw".utf8))
    }

    @Test("digests are read from each builder's own output")
    func digests() throws {
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let metadata = #"{"containerimage.config.digest":"sha256:00","containerimage.descriptor":"#
            + #"{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"\#(digest)","size":528},"#
            + #""containerimage.digest":"\#(digest)","image.name":"x"}"#
        let registry = invocation(BuildRequest(tag: "reg/a/b:v1", platform: linuxARM64))
        #expect(try BuildxBuilder().image(for: registry, digestFile: metadata, log: "")
            == BuiltImage(digest: digest, mediaType: "application/vnd.docker.distribution.manifest.v2+json", size: 528))
        #expect(throws: BuilderError.self) { try BuildxBuilder().image(for: registry, digestFile: "{}", log: "") }
        let push = "The push refers to repository [reg/a/b]\n5f70bf18a086: Pushed\nv1: digest: \(digest) size: 1570\n"
        #expect(try DockerBuilder().image(for: registry, digestFile: nil, log: push) == BuiltImage(digest: digest, size: 1570))
        #expect(try DockerBuilder().image(for: registry, digestFile: #"["other/x@sha256:11", "reg/a/b@\#(digest)"]"#, log: "")
            == BuiltImage(digest: digest))
        #expect(try BuildahBuilder(program: "buildah").image(for: registry, digestFile: digest, log: "")
            == BuiltImage(digest: digest, mediaType: ManifestFormat.docker.mediaType))
        #expect(throws: BuilderError.self) {
            try BuildahBuilder(program: "buildah").image(for: registry, digestFile: "Error: oops", log: "")
        }
    }

    @Test("build argument names must be usable", arguments: ["", "A=B", "A B"])
    func badArgumentName(name: String) {
        let request = BuildRequest(tag: "t", platform: linuxARM64, buildArguments: [BuildArgument(name, "v")])
        #expect(throws: BuilderError.self) { try BuildxBuilder().plan(invocation(request)) }
    }
}

@Suite("Build sources")
struct BuildSourceTests {
    @Test("git URLs go to the builder as they are, the Dockerfile stays relative to the repository")
    func gitContext() throws {
        let url = "https://github.com/vmware-tanzu/velero.git#main"
        #expect(GitContext.isURL(url) && GitContext.isURL("git@github.com:org/repo.git"))
        #expect(!GitContext.isURL("/var/tmp/coordinator/contexts/abc") && !GitContext.isURL("https://example.com/x.tar.gz"))
        var git = invocation(BuildRequest(tag: "r/a:v1", platform: linuxARM64))
        git.contextDirectory = url
        let build = try #require(commands(of: try BuildxBuilder().plan(git)).last).arguments
        #expect(build.last == url)
        #expect(build[build.firstIndex(of: "-f")! + 1] == "Dockerfile")
    }

    @Test("a tag or context that starts with - is refused", arguments: ["--output=type=local,dest=/", "-", ""])
    func optionLikePositionals(value: String) {
        #expect(throws: BuilderError.self) {
            try DockerBuilder().plan(invocation(BuildRequest(tag: value, platform: linuxARM64)))
        }
        var bad = invocation(BuildRequest(tag: "r/a:v1", platform: linuxARM64))
        bad.contextDirectory = value
        #expect(throws: BuilderError.self) { try BuildahBuilder(program: "buildah").plan(bad) }
    }
}
