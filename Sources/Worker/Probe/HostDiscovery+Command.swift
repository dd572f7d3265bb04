import Foundation
import Shared

/// The discovery commands and the parsing of their answers.
extension HostDiscovery {
    /// A command every shell OpenSSH may start runs, and answers differently: POSIX sh prints `%OS%:OS`
    /// (`$env` is an unset variable), Windows PowerShell `%OS%Windows_NT`, cmd.exe `"Windows_NT$env:OS"`.
    public static let shellQuestion = #"echo "%OS%$env:OS""#

    /// The shell that answered ``shellQuestion`` so, or nil for an answer none of them gives.
    public static func parseShell(_ output: String) -> ShellKind? {
        let answer = output.trimmingCharacters(in: .whitespacesAndNewlines)
        if answer == "%OS%:OS" { return .sh }
        if answer.hasPrefix("%OS%") { return .powershell }
        if answer.hasPrefix("\"") && answer.contains("$env:OS") { return .cmd }
        return nil
    }

    /// The builder kinds a host with `shell` is asked about (buildah and podman do not run on Windows).
    static func builderKinds(for shell: ShellKind) -> [BuilderKind] {
        shell.isWindows ? [.docker, .buildx] : [.buildx, .podman, .buildah, .docker]
    }

    /// The command that asks a host with `shell` for its OS, architecture, Windows build and builders (and, on a POSIX
    /// host, checks the tools the build path runs: ``HostTools``).
    /// Nothing in it comes from the user. On Windows it is a short Windows PowerShell 5.1 script (sent
    /// encoded, well under 2,000 characters); on POSIX hosts the builder CLIs answer concurrently.
    public static func command(shell: ShellKind) throws -> RemoteInvocation {
        let remote = RemoteShell(shell)
        let questions: [(String, [String])] = [
            ("docker-version", ["docker", "version"]), ("buildx-version", ["docker", "buildx", "version"]),
            ("buildx-inspect", ["docker", "buildx", "inspect"]),
        ] + (shell.isWindows ? [] : [("buildah-version", ["buildah", "version"]), ("podman-version", ["podman", "version"])])
        switch remote.family {
        case .posix:
            var lines = [
                "ask() { name=$1; shift; out=$(\"$@\" 2>&1 </dev/null); printf '%s%s %s\\n%s\\n' '\(HostProbe.marker)' \"$name\" \"$?\" \"$out\"; }",
                "ask uname-s uname -s",
                "ask uname-m uname -m",
            ]
            // The programs the build path runs there, checked beside the builders as `hosts check` does.
            lines += HostTools.posixLines
            lines += try HostProbe.concurrentQuestions(questions + [(HostProbe.toolsSection, [HostTools.function])])
            return try remote.command(forScriptText: lines.joined(separator: "\n"))
        case .windows:
            var lines = [
                "$ProgressPreference='SilentlyContinue'",
                "function A($n,$b){$global:LASTEXITCODE=0;try{$o=& $b 2>&1|Out-String;$c=$LASTEXITCODE}"
                    + "catch{$o=$_.ToString();$c=1};'\(HostProbe.marker)'+$n+' '+$c;$o.TrimEnd()}",
                "A 'ver' {cmd.exe /c ver}",
                "A 'arch' {$env:PROCESSOR_ARCHITECTURE}",
                "A 'arch-wow64' {$env:PROCESSOR_ARCHITEW6432}",
            ]
            for (name, arguments) in questions {
                lines.append("A '\(name)' {& \(try arguments.map(PowerShell.quote).joined(separator: " "))}")
            }
            return try remote.command(forScriptText: lines.joined(separator: "\n"))
        }
    }

    /// Parses the answer to ``command(shell:)``.
    /// - Throws: ``HostProbeError`` when the host did not say what it is.
    public static func parse(_ output: String, shell: ShellKind, host: String) throws(HostProbeError) -> HostDiscovery {
        let answers = HostProbe.sections(output)
        func answer(_ name: String) -> String? {
            guard let entry = answers[name], entry.status == 0, !entry.text.isEmpty else { return nil }
            return entry.text
        }
        var discovery: HostDiscovery
        if shell.isWindows {
            guard let ver = answers["ver"], let build = HostProbe.parseWindowsVersion(ver.text) else {
                throw HostProbeError(host: host, message: "the host did not answer `cmd /c ver` with a Windows version")
            }
            let architecture = HostProbe.parseProcessorArchitecture(answer("arch") ?? "", wow64: answer("arch-wow64"))
            discovery = HostDiscovery(
                shell: shell, operatingSystem: "windows", reportedArchitecture: architecture, windowsBuild: build,
                builders: [])
        } else {
            guard let system = answer("uname-s"), let machine = answer("uname-m") else {
                throw HostProbeError(host: host, message: "the host did not answer `uname -s` / `uname -m`")
            }
            discovery = HostDiscovery(
                shell: shell, operatingSystem: HostProbe.parseUnameSystem(system),
                reportedArchitecture: machine.trimmingCharacters(in: .whitespacesAndNewlines), builders: [])
            discovery.toolsAnswer = answers[HostProbe.toolsSection]?.text
        }
        discovery.builders = builderKinds(for: shell).map { kind in
            switch kind {
            case .buildx, .docker:
                return HostProbe.parseBuilder(kind, answers: answers)
            case .buildah, .podman:
                var renamed = answers
                renamed["builder-version"] = answers["\(kind.rawValue)-version"]
                return HostProbe.parseBuilder(kind, answers: renamed)
            }
        }
        return discovery
    }

    /// Asks the host on `connection` which shell it runs, then everything else.
    /// - Throws: ``HostProbeError`` for a shell it cannot tell, or a host that does not answer; SSH errors.
    public static func run(on connection: SSHConnection, host: String) async throws -> HostDiscovery {
        let shellAnswer = try await connection.run(shellQuestion)
        guard let shell = parseShell(shellAnswer.stdoutText) else {
            throw HostProbeError(
                host: host, message: "cannot tell its login shell: `\(shellQuestion)` printed "
                    + "\(MessageText.quoted(shellAnswer.stdoutText)) (POSIX sh, Windows PowerShell and cmd.exe are supported)")
        }
        let answer = try await connection.run(try command(shell: shell))
        return try parse(answer.stdoutText, shell: shell, host: host)
    }
}
