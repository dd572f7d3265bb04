import Foundation
import Shared
import Testing

@testable import Worker

@Suite("Remote scripts")
struct RemoteScriptTests {
    @Test("a POSIX script runs its steps, gives stdin only to the command that reads it, and cleans up on failure")
    func posixScriptBehaviour() async throws {
        let directory = NSTemporaryDirectory() + "coordinator-script-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let secretDirectory = directory + "/secret dir"
        let script = RemoteScript([
            .makeDirectory(secretDirectory, privateToUser: true),
            .writeFile(secretDirectory + "/note", contents: "it's $HOME"),
            .setEnvironment(EnvironmentVariable("GREETING", "a 'quoted' $value")),
            .run(RemoteCommand(["sh", "-c", "cat > \"$1\"", "sh", directory + "/first-reader"])),
            .run(RemoteCommand(["sh", "-c", "cat > \"$1\"", "sh", directory + "/stdin"], readsScriptInput: true)),
            .run(RemoteCommand(["sh", "-c", "printf '%s' \"$GREETING\""], outputFile: directory + "/greeting")),
            .run(RemoteCommand(["sh", "-c", "printf '%s' \"$LOCAL\""],
                environment: [EnvironmentVariable("LOCAL", "only here")], outputFile: directory + "/local")),
            .run(RemoteCommand(["false"], allowFailure: true)),
            .moveIfAbsent(from: directory + "/greeting", to: directory + "/moved"),
            .run(RemoteCommand(["false"])),
            .writeFile(directory + "/never", contents: "not reached"),
        ], removeOnExit: [secretDirectory])
        let command = try RemoteShell(.sh).command(for: script).command
        _ = try await runSh(command + "; echo \"status $?\" > '\(directory)/status'", input: "p@ss'word")
        let read = { (name: String) in try? String(contentsOfFile: directory + "/" + name, encoding: .utf8) }
        #expect(read("first-reader") == "")
        #expect(read("stdin") == "p@ss'word")
        #expect(read("moved") == "a 'quoted' $value")
        #expect(read("local") == "only here")
        #expect(read("never") == nil)
        #expect(read("status")?.trimmingCharacters(in: .whitespacesAndNewlines) == "status 1")
        #expect(!FileManager.default.fileExists(atPath: secretDirectory))
    }

    @Test("a private directory is mode 0700")
    func privateDirectory() async throws {
        let directory = NSTemporaryDirectory() + "coordinator-private-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let command = try RemoteShell(.sh).command(for: RemoteScript([.makeDirectory(directory + "/p", privateToUser: true)])).command
        _ = try await runSh(command)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/p")
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
    }

    @Test("a run directory records its shell; the next run removes those whose shell is gone and whose archive was fetched or abandoned, nothing else")
    func staleRunDirectories() async throws {
        let runs = NSTemporaryDirectory() + "coordinator-runs-\(UUID().uuidString)/it's runs"
        defer { try? FileManager.default.removeItem(atPath: (runs as NSString).deletingLastPathComponent) }
        func run(_ name: String, owner: String?) throws {
            try FileManager.default.createDirectory(atPath: runs + "/" + name, withIntermediateDirectories: true)
            try "registry login".write(toFile: runs + "/\(name)/config.json", atomically: true, encoding: .utf8)
            try owner?.write(toFile: runs + "/\(name)/owner", atomically: true, encoding: .utf8)
        }
        try run("killed", owner: "2147483646\n")  // above any pid_max: its process is gone
        try run("running", owner: "\(getpid())\n")  // this test process: alive
        try run("older-version", owner: nil)  // no owner recorded: left alone
        try run("odd owner", owner: "$(touch x)")
        // Gone, but its archive waits to be fetched: spared for an hour, then swept.
        try run("awaiting fetch", owner: "2147483646\n")
        try "1".write(toFile: runs + "/awaiting fetch/\(RemoteScript.fetchPendingMarker)", atomically: true, encoding: .utf8)
        try run("fetch abandoned", owner: "2147483646\n")
        try "1".write(toFile: runs + "/fetch abandoned/\(RemoteScript.fetchPendingMarker)", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -61 * 60)],
            ofItemAtPath: runs + "/fetch abandoned/\(RemoteScript.fetchPendingMarker)")
        let command = try RemoteShell(.sh).command(for: RemoteScript([
            .makeRunDirectory(runs + "/new"), .run(RemoteCommand(["sh", "-c", "echo $PPID"], outputFile: runs + "/parent")),
        ])).command
        _ = try await runSh(command)
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: runs))
        #expect(left == ["running", "older-version", "odd owner", "awaiting fetch", "new", "parent"])
        let owner = try String(contentsOfFile: runs + "/new/owner", encoding: .utf8)
        let parent = try String(contentsOfFile: runs + "/parent", encoding: .utf8)
        #expect(owner == parent, "the owner is the script's shell")
        let attributes = try FileManager.default.attributesOfItem(atPath: runs + "/new")
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
    }

    @Test("a PowerShell script starts native programs with C-runtime quoting and cleans up in finally")
    func powerShellRendering() throws {
        let script = RemoteScript([
            .makeDirectory(#"C:\work\run"#, privateToUser: true),
            .setEnvironment(EnvironmentVariable("DOCKER_CONFIG", #"C:\work\run\cfg"#)),
            .run(RemoteCommand(["docker", "login", "--password-stdin", "it's here"], readsScriptInput: true)),
        ], removeOnExit: [#"C:\work\run\cfg"#])
        let text = try RemoteShell(.powershell).render(script)
        #expect(text.contains("[System.IO.Directory]::CreateDirectory('C:\\work\\run')"))
        #expect(text.contains("$env:DOCKER_CONFIG = 'C:\\work\\run\\cfg'"))
        #expect(text.contains("Invoke-Native -File 'docker' -Arguments 'login --password-stdin \"it''s here\"' "
            + "-ReadsInput $true"))
        #expect(text.contains("} finally {\n    try { [void](Remove-Tree 'C:\\work\\run\\cfg')"))
        let invocation = try RemoteShell(.powershell).command(for: script)
        #expect(invocation.command == WindowsBootstrap.command)
        #expect(invocation.input == Array(String(format: "%010d", text.utf8.count).utf8) + Array(text.utf8))
    }

    @Test("a Windows command line never grows: the script goes on standard input", arguments: [ShellKind.cmd, .powershell])
    func windowsCommandConstant(kind: ShellKind) throws {
        let script = RemoteScript([.run(RemoteCommand(["docker"] + Array(repeating: "argument", count: 3000)))])
        let invocation = try RemoteShell(kind).command(for: script)
        #expect(invocation.command == WindowsBootstrap.command)
        #expect(invocation.command.utf16.count <= RemoteShell.windowsCommandLimit)
    }

    @Test("POSIX commands longer than one exec request are refused")
    func tooLong() {
        let script = RemoteScript([.run(RemoteCommand(["docker"] + Array(repeating: String(repeating: "a", count: 100), count: 400)))])
        #expect {
            try RemoteShell(.sh).command(for: script)
        } throws: { error in
            guard let error = error as? ShellQuotingError, case .tooLong = error.reason else { return false }
            return true
        }
    }

    @Test("invalid environment names are refused", arguments: ["", "1A", "A-B", "A B", "A=B"])
    func invalidEnvironmentName(name: String) {
        #expect(throws: ShellQuotingError.self) {
            try RemoteShell(.sh).render(RemoteScript([.setEnvironment(EnvironmentVariable(name, "x"))]))
        }
    }

    @Test(
        "paths join and resolve per family",
        arguments: [
            (ShellKind.sh, "/var/tmp/c", "contexts/abc", "/var/tmp/c/contexts/abc"),
            (.sh, "/var/tmp/c/", "x", "/var/tmp/c/x"),
            (.powershell, #"C:\coordinator"#, "contexts/abc", #"C:\coordinator\contexts\abc"#),
            (.cmd, "C:/ProgramData/coordinator", "runs/1", #"C:/ProgramData/coordinator\runs\1"#),
        ])
    func joining(kind: ShellKind, base: String, component: String, expected: String) {
        #expect(RemoteShell(kind).join(base, component) == expected)
    }

    @Test("relative work directories are refused; ~ starts at the home directory")
    func resolving() throws {
        let sh = RemoteShell(.sh)
        #expect(try sh.resolve("~/coordinator", home: "/home/builder") == "/home/builder/coordinator")
        #expect(try sh.resolve("/var/tmp", home: "/root") == "/var/tmp")
        #expect(throws: ShellQuotingError.self) { try sh.resolve("relative/dir", home: "/root") }
        let windows = RemoteShell(.powershell)
        #expect(windows.isAbsolute(#"C:\x"#) && windows.isAbsolute("C:/x") && windows.isAbsolute(#"\\server\share"#))
        #expect(!windows.isAbsolute(#"x\y"#))
    }

    @Test("a build script hands back its digest file after the marker and removes its run directory")
    func resultsHandedBack() async throws {
        let runDirectory = NSTemporaryDirectory() + "coordinator-run-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: runDirectory) }
        let digestFile = runDirectory + "/it's metadata.json"
        let plan = BuildPlan(
            script: RemoteScript([
                .makeDirectory(runDirectory, privateToUser: true),
                .writeFile(digestFile, contents: "{\"containerimage.digest\": \"sha256:00\"}\nsecond line"),
            ]),
            digestFile: digestFile)
        let marker = "@@coordinator:result 1f2e"
        let script = plan.scriptHandingBackResults(marker: marker, runDirectory: runDirectory)
        let output = try await runSh(try RemoteShell(.sh).command(for: script).command + "; echo \"status $?\"")
        #expect(output == marker + "\n{\"containerimage.digest\": \"sha256:00\"}\nsecond line" + "status 0\n")
        #expect(!FileManager.default.fileExists(atPath: runDirectory))

        let missing = BuildPlan(script: RemoteScript([]), digestFile: runDirectory + "/never-written")
        let quiet = try await runSh(
            try RemoteShell(.sh).command(for: missing.scriptHandingBackResults(marker: marker, runDirectory: runDirectory)).command
                + "; echo \"status $?\"")
        #expect(quiet == "status 0\n", "a missing digest file prints nothing and fails nothing: the worker decides")

        let archive = BuildPlan(script: RemoteScript([]), tarball: runDirectory + "/image.tar")
        #expect(archive.scriptHandingBackResults(marker: marker, runDirectory: runDirectory).removeOnExit.isEmpty,
            "the run directory stays until its archive is fetched")
        let powerShell = try RemoteShell(.powershell).render(plan.scriptHandingBackResults(marker: marker,
            runDirectory: #"C:\work\runs\1"#))
        #expect(powerShell.contains("-PathType Leaf) { [Console]::Out.Write('@@coordinator:result 1f2e' + \"`n\")"))
        #expect(powerShell.contains("Remove-Tree 'C:\\work\\runs\\1'"))
    }
}
