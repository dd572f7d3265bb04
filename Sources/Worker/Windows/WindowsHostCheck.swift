import Foundation
import Shared

/// What `coordinator hosts check` asks a Windows host beyond the platform probe: the things that decide whether
/// the first build works there.
public struct WindowsHostFacts: Codable, Sendable, Hashable {
    /// Win32-OpenSSH's `HKLM:\SOFTWARE\OpenSSH` DefaultShell, or `cmd.exe` when none is set (the default).
    public var defaultShell: String?
    /// `$PSVersionTable.PSVersion` of `powershell.exe`.
    public var powerShellVersion: String?
    /// Where `tar.exe` (bsdtar, Windows Server 2019 and later) is, when it is.
    public var tar: String?
    /// The docker engine's `OSType` (`windows` for Windows containers) and default isolation (`process`, `hyperv`).
    public var engineOSType: String?
    public var isolation: String?
    /// `CurrentBuildNumber.UBR` of the host.
    public var windowsBuild: String?
    /// Free bytes on the work directory's drive.
    public var freeBytes: Int64?
    /// `$ExecutionContext.SessionState.LanguageMode`: the scripts call .NET directly and need `FullLanguage`.
    public var languageMode: String?
    /// How the content store assembles contexts on the work directory's volume: `hard links` or `copies` (a test link
    /// made and removed there); nil when the work directory does not exist yet.
    public var storeLinks: String?
    /// What stops a build here, in words a user can act on; empty when nothing does.
    public var problems: [String] = []
}

/// The PowerShell that collects ``WindowsHostFacts`` and the parsing of its answer. The command runs through
/// the host's real DefaultShell, so that it answers at all shows commands work through it.
public enum WindowsHostCheck {
    static func script(workDirectory: String) throws -> String {
        let marker = HostProbe.marker
        return """
            $ErrorActionPreference = 'Continue'
            function Say([string]$Name, [scriptblock]$Block) {
                try { $out = (& $Block 2>&1 | Out-String).Trim(); $code = 0 } catch { $out = $_.Exception.Message; $code = 1 }
                [Console]::Out.Write('\(marker)' + $Name + ' ' + $code + "`n" + $out + "`n")
            }
            Say 'default-shell' { $v = (Get-ItemProperty -LiteralPath 'HKLM:\\SOFTWARE\\OpenSSH' -Name DefaultShell -ErrorAction SilentlyContinue).DefaultShell; if ($v) { $v } else { 'cmd.exe' } }
            Say 'powershell' { $PSVersionTable.PSVersion.ToString() }
            Say 'tar' { $c = Get-Command tar.exe -ErrorAction SilentlyContinue; if ($c) { $c.Source } else { '' } }
            Say 'engine' { & docker info --format '{{.OSType}} {{.Isolation}}' }
            Say 'build' { $k = Get-ItemProperty -LiteralPath 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion'; [string]$k.CurrentBuildNumber + '.' + [string]$k.UBR }
            Say 'free' { $root = [System.IO.Path]::GetPathRoot(\(try PowerShell.quote(workDirectory))); (New-Object System.IO.DriveInfo $root).AvailableFreeSpace }
            Say 'language' { $ExecutionContext.SessionState.LanguageMode.ToString() }
            Say 'store-links' {
                $work = \(try PowerShell.quote(workDirectory))
                if ([System.IO.Directory]::Exists($work)) {
                    $probe = [System.IO.Path]::Combine($work, '.coordinator-link-check-' + [guid]::NewGuid().ToString('N'))
                    [System.IO.File]::WriteAllText($probe, '')
                    try {
                        if (New-Item -ItemType HardLink -Path ($probe + '-link') -Target $probe -ErrorAction Stop) { 'hard links' }
                    } catch { 'copies' } finally {
                        Remove-Item -LiteralPath $probe, ($probe + '-link') -Force -ErrorAction SilentlyContinue
                    }
                }
            }
            exit 0
            """
    }

    /// The exec request (the constant bootstrap) for a host whose work directory is `workDirectory`.
    public static func invocation(workDirectory: String) throws -> RemoteInvocation {
        try WindowsBootstrap.invocation(script(workDirectory: workDirectory))
    }

    /// Reads the answer and says what would stop a build.
    public static func parse(_ output: String) -> WindowsHostFacts {
        let answers = HostProbe.sections(output)
        func answer(_ name: String) -> String? {
            guard let entry = answers[name], entry.status == 0, !entry.text.isEmpty else { return nil }
            return entry.text
        }
        var facts = WindowsHostFacts()
        facts.defaultShell = answer("default-shell")
        facts.powerShellVersion = answer("powershell")
        facts.tar = answer("tar")
        facts.windowsBuild = answer("build")
        facts.freeBytes = answer("free").flatMap { Int64($0) }
        facts.languageMode = answer("language")
        facts.storeLinks = answer("store-links").flatMap { ["hard links", "copies"].contains($0) ? $0 : nil }
        let engine = answer("engine")?.split(separator: " ").map(String.init) ?? []
        let engineAnswered = engine.first.map { ["windows", "linux"].contains($0) } ?? false
        if engineAnswered {
            facts.engineOSType = engine[0]
            facts.isolation = engine.count > 1 ? engine[1] : nil
        }
        if answers.isEmpty {
            facts.problems.append("the host ran no PowerShell command through its DefaultShell: is powershell.exe on "
                + "the PATH of the SSH user?")
            return facts
        }
        if let version = facts.powerShellVersion {
            let parts = version.split(separator: ".").compactMap { Int($0) }
            if parts.count >= 2, (parts[0], parts[1]) < (5, 1) {
                facts.problems.append(
                    "Windows PowerShell \(version) is older than 5.1 (Windows Management Framework 5.1)")
            }
        }
        if let mode = facts.languageMode, mode != "FullLanguage" {
            facts.problems.append("Windows PowerShell runs in \(mode) language mode here (an AppLocker or WDAC policy): "
                + "the build's scripts call .NET directly and need FullLanguage for the SSH user")
        }
        if facts.tar == nil {
            facts.problems.append("tar.exe is not on the PATH: build contexts are unpacked with the bsdtar of Windows "
                + "Server 2019 (build 17763) and later")
        }
        if !engineAnswered {
            let said = answers["engine"]?.text.split(whereSeparator: \.isNewline).last.map(String.init) ?? "no answer"
            facts.problems.append("`docker info` failed: \(said); is the Docker (Mirantis) engine installed and running, "
                + "and may the SSH user use its pipe?")
        } else if facts.engineOSType != "windows" {
            facts.problems.append(
                "the docker engine runs \(facts.engineOSType ?? "?") containers, not Windows containers")
        }
        return facts
    }
}
