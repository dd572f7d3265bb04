/// The PowerShell that makes, guards and stops a build's run directory on a Windows host.
///
/// - The directory is created with a protected ACL (no inherited entries) granting full control to the SSH user
///   and SYSTEM alone, then read back and checked before the script goes on: the run directory holds the
///   registry login, and `C:\ProgramData` otherwise passes `Users: Read & Execute` down to it (icacls(1) and
///   `DirectorySecurity.SetAccessRuleProtection`, Microsoft Learn). A directory whose ACL does not check out
///   stops the script before any secret is written.
/// - `owner` records the script's process id; the scan of sibling run directories skips any entry it cannot
///   read (a sibling still writing its `owner` file, a locked file) instead of stopping the build, and spares for
///   an hour a finished run whose archive waits to be fetched (its `fetch-pending` file), as on POSIX hosts.
/// - ``stopCommandScript(runDirectory:)`` kills the recorded process tree with `taskkill /T /F`: Win32-OpenSSH does
///   not end a command's processes when its channel closes.
enum WindowsRunDirectory {
    /// Statements that create `path` (a quoted PowerShell literal) with the private ACL and verify it.
    static func makePrivate(_ path: String) -> String {
        """
        $me = [System.Security.Principal.WindowsIdentity]::GetCurrent().User
                $system = New-Object System.Security.Principal.SecurityIdentifier 'S-1-5-18'
                $acl = New-Object System.Security.AccessControl.DirectorySecurity
                $acl.SetAccessRuleProtection($true, $false)
                foreach ($sid in @($me, $system)) {
                    $acl.AddAccessRule((New-Object System.Security.AccessControl.FileSystemAccessRule($sid, 'FullControl', 'ContainerInherit, ObjectInherit', 'None', 'Allow')))
                }
                [System.IO.Directory]::CreateDirectory(\(path), $acl) | Out-Null
                [System.IO.Directory]::SetAccessControl(\(path), $acl)
                $check = [System.IO.Directory]::GetAccessControl(\(path))
                $others = @($check.GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier]) | Where-Object { $_.IdentityReference.Value -ne $me.Value -and $_.IdentityReference.Value -ne $system.Value })
                if (-not $check.AreAccessRulesProtected -or $others.Count -gt 0) { throw ('the run directory ' + \(path) + ' could not be made private to ' + $me.Value + ' and SYSTEM') }
        """
    }

    /// Statements that make the run directory `path` (quoted), record the owner and remove the run directories
    /// of scripts whose process is gone.
    static func make(_ path: String) -> String {
        """
        \(makePrivate(path))
                $global:CoordinatorRun = \(path)
                [System.IO.File]::WriteAllText((Join-Path \(path) 'owner'), [string]$PID)
                foreach ($sibling in @(Get-ChildItem -LiteralPath ([System.IO.Path]::GetDirectoryName(\(path))) -Directory -ErrorAction SilentlyContinue)) {
                    try {
                        $o = Join-Path $sibling.FullName 'owner'
                        if (-not (Test-Path -LiteralPath $o -PathType Leaf)) { continue }
                        $f = Join-Path $sibling.FullName '\(RemoteScript.fetchPendingMarker)'
                        if ((Test-Path -LiteralPath $f -PathType Leaf) -and (Get-Item -LiteralPath $f).LastWriteTime -gt (Get-Date).AddMinutes(-60)) { continue }
                        $p = 0
                        if ([int]::TryParse(([System.IO.File]::ReadAllText($o)).Trim(), [ref]$p) -and -not (Get-Process -Id $p -ErrorAction SilentlyContinue)) {
                            [void](Remove-Tree $sibling.FullName)
                        }
                    } catch { }
                }
        """
    }

    /// A script that kills the process tree of the run in `path` (quoted), if its recorded process still runs:
    /// only a `powershell` process started before the `owner` file was written, so that a reused process id
    /// is never killed.
    static func stopCommandScript(runDirectory path: String) -> String {
        """
        $ErrorActionPreference = 'SilentlyContinue'
        $o = Join-Path \(path) 'owner'
        if (Test-Path -LiteralPath $o -PathType Leaf) {
            $p = 0
            if ([int]::TryParse(([System.IO.File]::ReadAllText($o)).Trim(), [ref]$p)) {
                $process = Get-Process -Id $p
                if ($process -and $process.ProcessName -eq 'powershell' -and $process.StartTime -le (Get-Item -LiteralPath $o).LastWriteTime) {
                    & taskkill.exe /T /F /PID $p | Out-Null
                }
            }
        }
        exit 0
        """
    }

    /// The exec request that runs ``stopCommandScript(runDirectory:)`` for the run directory `path`.
    static func stopInvocation(_ path: String) throws -> RemoteInvocation {
        try WindowsBootstrap.invocation(stopCommandScript(runDirectory: try PowerShell.quote(path)))
    }
}
