import Foundation
import Shared
import TestSupport
import Testing

@testable import Worker

@Suite("Windows findings (issue 13)")
struct WindowsFindingsTests {
    // Finding 5: Windows wording of host faults.
    @Test("Windows network and disk errors are infrastructure failures", arguments: [
        "error during connect: Post \"http://%2F%2F.%2Fpipe%2Fdocker_engine/v1.41/build\": open //./pipe/docker_engine: The system cannot find the file specified.",
        "dial tcp 10.0.0.5:5000: connectex: No connection could be made because the target machine actively refused it.",
        "read tcp 10.0.0.4:50123->10.0.0.5:443: wsarecv: An existing connection was forcibly closed by the remote host.",
        "failed to register layer: There is not enough space on the disk.",
        "dial tcp: connectex: A connection attempt failed because the connected party did not properly respond after a period of time",
    ])
    func windowsInfrastructure(line: String) {
        #expect(RemoteBuildError.kind(ofFailedBuild: ["Step 3/5 : RUN x", line], status: .exited(1)) == .infrastructure)
    }

    @Test("a failing Dockerfile step on Windows stays a build failure")
    func windowsBuildFailure() {
        let log = ["Step 3/5 : RUN cmd /c exit 1", "The command 'cmd /S /C cmd /c exit 1' returned a non-zero code: 1"]
        #expect(RemoteBuildError.kind(ofFailedBuild: log, status: .exited(1)) == .build)
    }

    // Finding 8: CLIXML.
    static let clixml = #"<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T><T>System.Object</T></TN><MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for first use.</AV><AI>0</AI><Nil /><PI>-1</PI><PC>-1</PC><T>Completed</T><SR>-1</SR><SD> </SD></PR></MS></Obj><S S="Error">Remove-Item : Cannot remove item C:\ProgramData\coordinator\runs\1f\docker-config: The process cannot access the file_x000D__x000A_</S><S S="Error">because it is being used by another process &lt;x&gt; &amp; a_x005F_x0041_b_x000D__x000A_</S></Objs>"#

    @Test("#< CLIXML records on standard error become readable text")
    func clixmlDecoded() {
        let text = "#< CLIXML\n" + Self.clixml + "\nplain line"
        #expect(CLIXML.readable(text) == "Remove-Item : Cannot remove item C:\\ProgramData\\coordinator\\runs\\1f\\docker-config: "
            + "The process cannot access the file\nbecause it is being used by another process <x> & a_x0041_b\nplain line")
        #expect(CLIXML.messages(in: #"<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><Obj S="progress" RefId="0"></Obj></Objs>"#).isEmpty)
    }

    @Test("the build log shows CLIXML errors as text and masks secrets inside them")
    func clixmlInBuildLog() async throws {
        let log = try BuildLog(host: "w", platform: Platform(os: "windows", architecture: "amd64"), secrets: ["s3cr&t"],
            pushMarkers: [], file: nil, onLines: { _ in })
        let record = #"<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S S="Error">login failed for s3cr&amp;t_x000D__x000A_</S></Objs>"#
        await log.append(Array("#< CLIXML\r\n\(record)\r\n".utf8), from: .stderr)
        await log.finish()
        #expect(await log.tail(10) == ["login failed for ********"])
    }

    // Finding 11: NTFS names.
    @Test("context paths NTFS cannot hold are named", arguments: [
        ("src/aux.go", "reserved device name"), ("CON", "reserved device name"), ("a/nul.tar.gz", "reserved device name"),
        ("com1", "reserved device name"), ("LPT9.txt", "reserved device name"), ("docs/a:b", "':'"),
        ("x<y", "'<'"), ("q?", "'?'"), ("star*", "'*'"), ("pipe|", "'|'"), ("quote\"d", "'\"'"), ("back\\slash", "'\\'"),
        ("dir./f", "ends in a dot"), ("trail ", "ends in a space"), ("tab\tname", "control character U+9"),
    ])
    func ntfsRefusals(path: String, reason: String) throws {
        let problem = try #require(NTFSNames.problem(in: ["Dockerfile", path]))
        #expect(problem.path == path)
        #expect(problem.reason.contains(reason), "\(problem.reason)")
    }

    @Test("names equal but for case are refused; ordinary names pass")
    func ntfsCase() throws {
        let problem = try #require(NTFSNames.problem(in: ["src/Main.go", "src/main.go"]))
        #expect(problem.path == "src/main.go" && problem.reason.contains("only in case"))
        #expect(NTFSNames.problem(in: ["console.txt", "auxiliary/x", "com10", "nul_device", "a.b.c", ".hidden", "日本/🚀"]) == nil)
    }

    // Finding 6: the login configuration keeps the docker CLI away from credential helpers.
    @Test("the temporary docker configuration names the registry in auths and no credsStore")
    func loginConfiguration() throws {
        let request = BuildRequest(tag: "r:5000/a:w", platform: Platform(os: "windows", architecture: "amd64"),
            windowsVersion: .ltsc2022, login: RegistryLogin(server: "r:5000", username: "u", password: "p"))
        let invocation = BuildInvocation(request: request, shell: RemoteShell(.powershell),
            contextDirectory: #"C:\w\contexts\abc"#, runDirectory: #"C:\w\runs\1"#, hostDockerConfig: #"C:\Users\b\.docker"#)
        let plan = try DockerBuilder().plan(invocation)
        let written = plan.script.steps.compactMap { step -> String? in
            if case .writeFile(let path, let contents) = step, path.hasSuffix("config.json") { contents } else { nil }
        }
        #expect(written == [#"{"auths":{"r:5000":{}},"cliPluginsExtraDirs":["C:\\Users\\b\\.docker\\cli-plugins"]}"#])
        #expect(plan.script.removeOnExit.contains(#"C:\w\runs\1\docker-config"#))
        #expect(plan.standardInput == Array("p".utf8), "the password travels on standard input only")
    }

    @Test("the real docker CLI calls no credential helper with that configuration (and does with an empty one)")
    func dockerCLISkipsHelpers() async throws {
        let scratch = NSTemporaryDirectory() + "coordinator-helper-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let bin = scratch + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        // Linux's platform helpers stand in for docker-credential-wincred.exe: the CLI's detection is the same code.
        for name in ["secretservice", "pass"] {
            let helper = bin + "/docker-credential-" + name
            try "#!/bin/sh\necho \"$1\" >> '\(scratch)/called'\ncat >/dev/null\necho '{}'\n".write(
                toFile: helper, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: helper)
        }
        func helperCalls(config: String) async throws -> Bool {
            let directory = scratch + "/config-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try config.write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
            try? FileManager.default.removeItem(atPath: scratch + "/called")
            let path = bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
            let result = try await Shell.run(["docker", "logout", "r:5000"],
                environment: ["PATH": path, "DOCKER_CONFIG": directory, "HOME": scratch])
            #expect(result.status == 0, "\(result.stderr)")
            return FileManager.default.fileExists(atPath: scratch + "/called")
        }
        #expect(try await helperCalls(config: "{}"), "control: an empty configuration makes the CLI use a helper")
        #expect(try await !helperCalls(config: try DockerLogin.configurationJSON(server: "r:5000", pluginsDirectory: nil)))
    }

    // Finding 9: no --platform for a Windows engine's own images.
    @Test("classic docker build on a Windows host leaves --platform out; on a Linux host it stays")
    func platformFlag() throws {
        let windows = Platform(os: "windows", architecture: "amd64")
        let request = BuildRequest(tag: "r/a:w", platform: windows, windowsVersion: .ltsc2022)
        let onWindows = try DockerBuilder().plan(BuildInvocation(request: request, shell: RemoteShell(.cmd),
            contextDirectory: #"C:\c"#, runDirectory: #"C:\r"#))
        let build = try #require(onWindows.script.steps.compactMap { step -> [String]? in
            if case .run(let command) = step, command.arguments.prefix(2) == ["docker", "build"] { command.arguments } else { nil }
        }.first)
        #expect(!build.contains("--platform"))
        let onLinux = try DockerBuilder().plan(BuildInvocation(request: request, shell: RemoteShell(.sh),
            contextDirectory: "/c", runDirectory: "/r"))
        #expect(onLinux.script.steps.contains { step in
            if case .run(let command) = step { command.arguments.contains("--platform") } else { false }
        })
    }

    // Findings 2, 4, 7, 10, 12: what the rendered scripts say (they parse: WindowsScriptProofTests).
    @Test("a Windows build script ends with an explicit exit, keeps cleanup errors from the status, sets UTF-8 output")
    func scriptShape() throws {
        let script = RemoteScript([.makeRunDirectory(#"C:\w\runs\1"#), .run(RemoteCommand(["docker", "push", "x"]))],
            removeOnExit: [#"C:\w\runs\1"#])
        let text = try RemoteShell(.powershell).render(script)
        #expect(text.hasSuffix("exit $global:CoordinatorExit\n"))
        #expect(text.contains("try { [void](Remove-Tree 'C:\\w\\runs\\1') } catch { }"))
        #expect(text.contains("[Console]::Error.WriteLine('error: ' + $_.Exception.Message)"))
        // The run directory: private ACL set and verified before anything else; builder pid recorded.
        let acl = try #require(text.range(of: "SetAccessRuleProtection($true, $false)"))
        let verify = try #require(text.range(of: "AreAccessRulesProtected"))
        let owner = try #require(text.range(of: "'owner'"))
        #expect(acl.lowerBound < verify.lowerBound && verify.lowerBound < owner.lowerBound)
        #expect(text.contains("'S-1-5-18'") && text.contains("builder.pid"))
        #expect(text.contains("} catch { }"), "a sibling's unreadable owner file is skipped")
        // A finished run whose archive waits to be fetched is spared for an hour, before its owner is looked up.
        let spared = try #require(text.range(of:
            "(Get-Item -LiteralPath $f).LastWriteTime -gt (Get-Date).AddMinutes(-60)) { continue }"))
        #expect(text.contains("Join-Path $sibling.FullName 'fetch-pending'"))
        #expect(spared.lowerBound < (try #require(text.range(of: "Get-Process -Id $p"))).lowerBound)
        #expect(WindowsBootstrap.script.contains("[Console]::OutputEncoding=New-Object Text.UTF8Encoding $false"))
        #expect(WindowsBootstrap.script.contains("$ProgressPreference='SilentlyContinue'"))
        let stop = WindowsRunDirectory.stopCommandScript(runDirectory: "'C:\\w\\runs\\1'")
        #expect(stop.contains("taskkill.exe /T /F /PID $p") && stop.contains("$process.ProcessName -eq 'powershell'"))
    }

    @Test("ending a run on a Windows host kills its process tree before removing its directory; POSIX only removes")
    func runCleanup() throws {
        let windows = RemoteWorker.runCleanup(#"C:\w\runs\1"#, shell: RemoteShell(.cmd))
        #expect(windows.count == 2 && windows.allSatisfy { $0.command == WindowsBootstrap.command })
        let scripts = windows.map { String(decoding: $0.input.dropFirst(10), as: UTF8.self) }
        #expect(scripts[0].contains("taskkill.exe /T /F /PID $p") && scripts[0].contains("'C:\\w\\runs\\1'"))
        #expect(scripts[1].contains("if (-not (Remove-Tree 'C:\\w\\runs\\1')) { throw"))
        let posix = RemoteWorker.runCleanup("/w/runs/1", shell: RemoteShell(.sh))
        #expect(posix.count == 1 && posix[0].command.contains("rm -rf"))
    }

    @Test("the prune goes on past a file it cannot remove")
    func pruneTolerant() throws {
        let script = try ContextRetention.standard.powerShellScript(directory: #"C:\w\contexts"#, runs: #"C:\w\runs"#, keep: [])
        #expect(!script.contains("Remove-Item -Recurse -Force\n"), "every removal continues on error")
        #expect(script.contains("-ErrorAction SilentlyContinue"))
    }

    // Finding 13: hosts check on Windows.
    @Test("hosts check reads a Windows host's DefaultShell, PowerShell, tar.exe, engine, build and free disk")
    func windowsHostFacts() {
        let m = HostProbe.marker
        let good = WindowsHostCheck.parse("""
            \(m)default-shell 0\ncmd.exe\n\(m)powershell 0\n5.1.20348.2849\n\(m)tar 0\nC:\\Windows\\system32\\tar.exe
            \(m)engine 0\nwindows process\n\(m)build 0\n20348.2849\n\(m)free 0\n53687091200\n
            \(m)language 0\nFullLanguage\n\(m)store-links 0\nhard links\n
            """)
        #expect(good == WindowsHostFacts(defaultShell: "cmd.exe", powerShellVersion: "5.1.20348.2849",
            tar: #"C:\Windows\system32\tar.exe"#, engineOSType: "windows", isolation: "process", windowsBuild: "20348.2849",
            freeBytes: 53_687_091_200, languageMode: "FullLanguage", storeLinks: "hard links", problems: []))
        let constrained = WindowsHostCheck.parse("""
            \(m)powershell 0\n5.1\n\(m)tar 0\ntar.exe\n\(m)engine 0\nwindows process\n\(m)language 0\nConstrainedLanguage
            \(m)store-links 0\ncopies\n
            """)
        #expect(constrained.problems.count == 1 && constrained.problems[0].contains("ConstrainedLanguage language mode"))
        #expect(constrained.storeLinks == "copies")
        let bad = WindowsHostCheck.parse("""
            \(m)default-shell 0\nC:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\n\(m)powershell 0\n5.0.10586.117
            \(m)tar 0\n\n\(m)engine 0\nerror during connect: open //./pipe/docker_engine: Access is denied.\n
            """)
        #expect(bad.problems.count == 3)
        #expect(bad.problems.contains { $0.contains("older than 5.1") })
        #expect(bad.problems.contains { $0.contains("tar.exe is not on the PATH") })
        #expect(bad.problems.contains { $0.contains("Access is denied") })
        let linuxEngine = WindowsHostCheck.parse("\(m)powershell 0\n5.1\n\(m)tar 0\ntar.exe\n\(m)engine 0\nlinux \n")
        #expect(linuxEngine.problems == ["the docker engine runs linux containers, not Windows containers"])
        #expect(!WindowsHostCheck.parse("").problems.isEmpty)
    }
}
