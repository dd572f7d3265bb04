extension RemoteShell {
    /// The helper every rendered PowerShell script defines: it starts a native program with a command line
    /// quoted in Swift by the C runtime rules, feeds it the script's input or nothing, optionally captures
    /// its output to a file, and exits the script with the program's status when it fails.
    static let powerShellPrelude = """
        $ErrorActionPreference = 'Stop'
        $ProgressPreference = 'SilentlyContinue'
        $global:CoordinatorExit = 0
        function Invoke-Native([string]$File, [string]$Arguments, [bool]$ReadsInput, [bool]$AllowFailure,
                [hashtable]$Environment, [string]$OutputFile) {
            $info = New-Object System.Diagnostics.ProcessStartInfo
            $info.FileName = $File
            $info.Arguments = $Arguments
            $info.UseShellExecute = $false
            $info.RedirectStandardInput = $true
            $info.RedirectStandardOutput = [bool]$OutputFile
            foreach ($name in $Environment.Keys) { $info.EnvironmentVariables[$name] = $Environment[$name] }
            $process = [System.Diagnostics.Process]::Start($info)
            if ($global:CoordinatorRun) {
                try { [System.IO.File]::WriteAllText((Join-Path $global:CoordinatorRun 'builder.pid'), [string]$process.Id) } catch { }
            }
            if ($ReadsInput) {
                $source = $global:CoordinatorInput
                if (-not $source) { $source = [Console]::OpenStandardInput() }
                $source.CopyTo($process.StandardInput.BaseStream)
            }
            $process.StandardInput.Close()
            if ($OutputFile) { [System.IO.File]::WriteAllText($OutputFile, $process.StandardOutput.ReadToEnd()) }
            $process.WaitForExit()
            if ($process.ExitCode -ne 0 -and -not $AllowFailure) {
                $global:CoordinatorExit = $process.ExitCode
                throw ($File + ' exited with status ' + $process.ExitCode)
            }
        }
        """

    /// The function every rendered PowerShell script (and the prune) removes directory trees with: `Remove-Tree PATH`
    /// removes PATH and everything under it, never through a symbolic link or junction (the link itself goes, not what
    /// it points to; Windows PowerShell 5.1's `Remove-Item -Recurse` may follow one: PowerShell#621, fixed only in
    /// PowerShell 6), clearing read-only attributes, and goes on past what it cannot remove (a file a scanner holds).
    /// Returns whether everything went.
    static let powerShellRemoveTree = """
        function Remove-Tree([string]$Path) {
            $root = New-Object System.IO.DirectoryInfo $Path
            if (-not $root.Exists) {
                if ([System.IO.File]::Exists($Path)) {
                    try { [System.IO.File]::SetAttributes($Path, [System.IO.FileAttributes]::Normal); [System.IO.File]::Delete($Path) } catch { return $false }
                }
                return $true
            }
            $all = $true
            $directories = New-Object System.Collections.Generic.List[System.IO.DirectoryInfo]
            $pending = New-Object System.Collections.Generic.Stack[System.IO.DirectoryInfo]
            $pending.Push($root)
            while ($pending.Count -gt 0) {
                $directory = $pending.Pop()
                $directories.Add($directory)
                if (($directory.Attributes -band [System.IO.FileAttributes]::ReparsePoint) -ne 0) { continue }
                try {
                    foreach ($entry in $directory.EnumerateFileSystemInfos()) {
                        if (($entry.Attributes -band [System.IO.FileAttributes]::Directory) -ne 0) {
                            $pending.Push([System.IO.DirectoryInfo]$entry)
                            continue
                        }
                        try {
                            if (($entry.Attributes -band [System.IO.FileAttributes]::ReparsePoint) -eq 0) {
                                $entry.Attributes = [System.IO.FileAttributes]::Normal
                            }
                            $entry.Delete()
                        } catch { $all = $false }
                    }
                } catch { $all = $false }
            }
            for ($index = $directories.Count - 1; $index -ge 0; $index--) {
                try { $directories[$index].Delete() } catch { $all = $false }
            }
            $all
        }
        """

    /// Renders `script` as a Windows PowerShell 5.1 script, with ``RemoteScript/removeOnExit`` (and, when the
    /// steps did not all complete, ``RemoteScript/removeOnFailure``) in a `finally`.
    ///
    /// The script ends with an explicit `exit CODE`: PowerShell otherwise takes the status from `$?`, which a
    /// cleanup command that failed quietly (`-ErrorAction SilentlyContinue` on a file Defender holds) leaves false,
    /// turning a build that pushed into exit 1 (about_Automatic_Variables, `$?`; about_Language_Keywords, `exit`).
    /// A terminating error is written to standard error as one plain line, never as the `#< CLIXML` record
    /// Windows PowerShell 5.1 writes for a non-interactive host whose error stream is redirected.
    func renderPowerShell(_ script: RemoteScript) throws -> String {
        var lines = [Self.powerShellPrelude, Self.powerShellRemoveTree, "$completed = $false", "try {"]
        for step in script.steps {
            lines.append("    " + (try renderPowerShell(step)))
        }
        lines.append("    $completed = $true")
        lines.append("} catch {")
        lines.append("    if ($global:CoordinatorExit -eq 0) { $global:CoordinatorExit = 1 }")
        lines.append("    [Console]::Error.WriteLine('error: ' + $_.Exception.Message)")
        lines.append("} finally {")
        for path in script.removeOnFailure {
            lines.append("    if (-not $completed) { try { [void](Remove-Tree \(try PowerShell.quote(path))) } catch { } }")
        }
        for path in script.removeOnExit {
            lines.append("    try { [void](Remove-Tree \(try PowerShell.quote(path))) } catch { }")
        }
        lines.append("}")
        lines.append("exit $global:CoordinatorExit")
        return lines.joined(separator: "\n") + "\n"
    }

    private func renderPowerShell(_ step: RemoteScript.Step) throws -> String {
        switch step {
        case .run(let command):
            guard let program = command.arguments.first else { return "" }
            let environment = try command.environment.map { variable in
                let variable = try validated(variable)
                return "'\(variable.name)' = \(try PowerShell.quote(variable.value))"
            }
            let tail = try WindowsCommandLine.join(Array(command.arguments.dropFirst()))
            let length = program.utf16.count + 1 + tail.utf16.count
            if length > WindowsCommandBudget.createProcessLimit {
                throw ShellQuotingError(shell: kind, value: program + " " + String(tail.prefix(200)),
                    reason: .tooLong(length: length, limit: WindowsCommandBudget.createProcessLimit))
            }
            return "Invoke-Native -File \(try PowerShell.quote(program)) -Arguments \(try PowerShell.quote(tail)) "
                + "-ReadsInput $\(command.readsScriptInput) -AllowFailure $\(command.allowFailure) "
                + "-Environment @{\(environment.joined(separator: "; "))} "
                + "-OutputFile \(try PowerShell.quote(command.outputFile ?? ""))"
        case .makeDirectory(let path, _):
            return "[System.IO.Directory]::CreateDirectory(\(try PowerShell.quote(path))) | Out-Null"
        case .makeRunDirectory(let path):
            return WindowsRunDirectory.make(try PowerShell.quote(path))
        case .removeTree(let path):
            let quoted = try PowerShell.quote(path)
            return "if (-not (Remove-Tree \(quoted))) { throw ('could not remove all of ' + \(quoted)) }"
        case .writeFile(let path, let contents):
            return "[System.IO.File]::WriteAllText(\(try PowerShell.quote(path)), \(try PowerShell.quote(contents)))"
        case .setEnvironment(let variable):
            let variable = try validated(variable)
            return "$env:\(variable.name) = \(try PowerShell.quote(variable.value))"
        case .moveIfAbsent(let source, let target):
            let target = try PowerShell.quote(target)
            return "if (-not (Test-Path -LiteralPath \(target))) { "
                + "Move-Item -LiteralPath \(try PowerShell.quote(source)) -Destination \(target) }"
        case .printFile(let path, let marker):
            let path = try PowerShell.quote(path)
            return "if (Test-Path -LiteralPath \(path) -PathType Leaf) { "
                + "[Console]::Out.Write(\(try PowerShell.quote(marker)) + \"`n\"); "
                + "[Console]::Out.Write([System.IO.File]::ReadAllText(\(path))) }"
        case .enterBuildContext(let path, _):
            // BuildKit's buildx runs on POSIX hosts; a Windows host's classic docker build sends the context whole.
            return "Set-Location -LiteralPath \(try PowerShell.quote(path))"
        case .buildContextReceived:
            return ""
        case .readInput:
            // Build secrets go to buildx, buildah and podman, which run on POSIX hosts; the classic docker builder
            // of Windows hosts takes none (the plan refuses a Dockerfile that mounts one there).
            throw BuilderError(builder: nil, message: "build secrets are read on POSIX hosts only (buildx, buildah, "
                + "podman); a Windows host's classic docker builder takes none")
        }
    }
}
