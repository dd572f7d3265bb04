import Shared

/// The content store of a Windows host, `WORKDIR\store\sha256\OBJECT` (``ContextManifest/objectName(digest:entry:)``),
/// from which contexts are assembled with NTFS hard links where the volume allows, else with copies.
///
/// The protocol is the POSIX upload's (``uploadCommand(uploadID:)``): the header line, the file list, the host's
/// answer, a format byte and one tar stream, in one command. What differs is what the list and the stream carry:
/// `tar.exe` (bsdtar) neither follows the store's link as GNU tar does nor falls back to a copy when it cannot make a
/// hard link, so the Windows PowerShell 5.1 script assembles the context itself.
/// - The list has a line per regular file, `OBJECT<TAB>PATH` (``ContextSync/Listing``): the host answers the objects
///   its store lacks, then links every file whose object it has into `c\PATH` at once, taking the store's shared
///   lock first so that no prune removes an object between the answer and its link.
/// - The stream (``ContextSync/windowsItems(_:_:objectNames:missing:)``) holds the context's directories and symbolic
///   links and each file whose object is new, as a regular file; tar sets the directories' times last, after the
///   links above.
/// - The script hashes every file that arrived and compares it with its object's name (the manifest's digest, the
///   run's first read), adds each new object to the store (a link to the arrived file, made under a temporary name and
///   renamed, so an object's name appears only once it is whole), writes the context's object list to
///   `store\lists\DIGEST` (what the prune keeps objects for: ``ContextRetention``) and publishes `c` as
///   `contexts\DIGEST`. However it fails, the upload's folder goes, and no object name is added for a file that did
///   not match.
///
/// Hard links come from `CreateHardLinkW` (kernel32), bound through a dynamic P/Invoke method (no compiler run, unlike
/// `Add-Type`); where that fails (a volume without hard links, a file at NTFS's 1,023 links, a host whose language
/// mode refuses it), the file is copied, which keeps its last-write time.
extension RemoteContextStore {
    /// The upload command of a Windows host (see the type's documentation); standard input as on POSIX hosts, but the
    /// list names a path after each object, and the stream is only ever plain (`t`).
    func windowsUploadCommand(uploadID: String) throws -> RemoteInvocation {
        precondition(shell.family == .windows)
        let folder = shell.join(workDirectory, Self.uploadPath(uploadID: uploadID))
        let extract = try WindowsCommandLine.join(["-x", "-f", "-", "-C", folder])
        return try shell.command(forScriptText: RemoteShell.powerShellPrelude + "\n" + #"""
            $work = \#(try PowerShell.quote(workDirectory))
            $folder = \#(try PowerShell.quote(folder))
            $stdin = $global:CoordinatorInput
            if (-not $stdin) { $stdin = [Console]::OpenStandardInput() }
            function Read-Bytes([int]$count, [string]$what) {
                $buffer = New-Object byte[] $count
                $offset = 0
                while ($offset -lt $count) {
                    $read = $stdin.Read($buffer, $offset, $count - $offset)
                    if ($read -le 0) { throw ('the ' + $what + ' arrived cut short') }
                    $offset += $read
                }
                , $buffer
            }
            $headerBytes = New-Object System.Collections.Generic.List[byte]
            while ($true) {
                $next = $stdin.ReadByte()
                if ($next -lt 0 -and $headerBytes.Count -eq 0) { exit 0 }
                if ($next -lt 0 -or $headerBytes.Count -gt 100) {
                    [Console]::Error.WriteLine('error: the upload did not begin with its header line'); exit 2
                }
                if ($next -eq 10) { break }
                $headerBytes.Add([byte]$next)
            }
            $header = [Text.Encoding]::ASCII.GetString($headerBytes.ToArray())
            if (-not ($header -cmatch '^upload ([0-9a-f]{64}) ([0-9]{1,9})$')) {
                [Console]::Error.WriteLine('error: the upload did not begin with its header line'); exit 2
            }
            $digest = $Matches[1]
            $listBytes = [int]$Matches[2]
            function New-HardLinkType {
                $name = New-Object Reflection.AssemblyName 'CoordinatorHardLinks'
                $assembly = [AppDomain]::CurrentDomain.DefineDynamicAssembly($name, [Reflection.Emit.AssemblyBuilderAccess]::Run)
                $module = $assembly.DefineDynamicModule('CoordinatorHardLinks')
                $builder = $module.DefineType('CoordinatorHardLinks', [Reflection.TypeAttributes]'Public, Class')
                $attributes = [Reflection.MethodAttributes]'Public, Static, PinvokeImpl'
                $parameters = [Type[]]@([string], [string], [IntPtr])
                $method = $builder.DefinePInvokeMethod('CreateHardLinkW', 'kernel32.dll', $attributes, [Reflection.CallingConventions]::Standard, [bool], $parameters, [Runtime.InteropServices.CallingConvention]::Winapi, [Runtime.InteropServices.CharSet]::Unicode)
                $flags = $method.GetMethodImplementationFlags() -bor [Reflection.MethodImplAttributes]::PreserveSig
                $method.SetImplementationFlags($flags)
                $builder.CreateType()
            }
            function Add-Link([string]$link, [string]$existing) {
                if ($links) {
                    try { if ($links::CreateHardLinkW($link, $existing, [IntPtr]::Zero)) { return } } catch { }
                }
                [System.IO.File]::Copy($existing, $link)
            }
            function Get-ContextPath([string]$path) {
                [System.IO.Path]::Combine($folder, 'c', $path.Replace('/', '\'))
            }
            $store = [System.IO.Path]::Combine($work, 'store')
            $objects = [System.IO.Path]::Combine($store, 'sha256')
            $lock = $null
            $completed = $false
            try {
                [void][System.IO.Directory]::CreateDirectory([System.IO.Path]::Combine($work, 'contexts'))
                [void][System.IO.Directory]::CreateDirectory($objects)
                [void][System.IO.Directory]::CreateDirectory([System.IO.Path]::Combine($store, 'lists'))
                [void][System.IO.Directory]::CreateDirectory([System.IO.Path]::Combine($folder, 'c'))
                $list = [Text.Encoding]::UTF8.GetString((Read-Bytes $listBytes 'file list'))
                $entries = New-Object 'System.Collections.Generic.List[string[]]'
                $names = New-Object 'System.Collections.Generic.HashSet[string]' ([StringComparer]::Ordinal)
                foreach ($record in $list.Split([char]10)) {
                    if ($record.Length -eq 0) { continue }
                    $tab = $record.IndexOf([char]9)
                    $name = if ($tab -gt 0) { $record.Substring(0, $tab) } else { '' }
                    $path = $record.Substring($tab + 1)
                    if (-not ($name -cmatch '^[0-9a-f]{64}-[0-7]{4,}-n?[0-9]+$') -or $path.Length -eq 0 -or
                            $path.Contains(':') -or $path -match '^[\\/]' -or $path -match '(^|[\\/])\.\.([\\/]|$)') {
                        throw 'bad line in the file list'
                    }
                    $entries.Add([string[]]@($name, $path))
                    [void]$names.Add($name)
                }
                # The shared lock: a prune takes it exclusively before it removes objects, and skips them when it cannot.
                $lockPath = [System.IO.Path]::Combine($store, '.lock')
                for ($attempt = 0; -not $lock; $attempt++) {
                    try {
                        $lock = [System.IO.File]::Open($lockPath, [System.IO.FileMode]::OpenOrCreate,
                            [System.IO.FileAccess]::Read, [System.IO.FileShare]::Read)
                    } catch {
                        if ($attempt -ge 600) { throw 'a prune kept the store locked for two minutes' }
                        Start-Sleep -Milliseconds 200
                    }
                }
                $missing = New-Object 'System.Collections.Generic.HashSet[string]' ([StringComparer]::Ordinal)
                $answer = New-Object System.Text.StringBuilder
                foreach ($name in $names) {
                    if (-not [System.IO.File]::Exists([System.IO.Path]::Combine($objects, $name))) {
                        [void]$missing.Add($name)
                        [void]$answer.Append($name).Append("`n")
                    }
                }
                [void]$answer.Append(\#(try PowerShell.quote(Self.answerEnd))).Append("`n")
                $stdout = [Console]::OpenStandardOutput()
                $answerBytes = [Text.Encoding]::ASCII.GetBytes($answer.ToString())
                $stdout.Write($answerBytes, 0, $answerBytes.Length)
                $stdout.Flush()
                $links = $null
                try { $links = New-HardLinkType } catch { $links = $null }
                foreach ($entry in $entries) {
                    if ($missing.Contains($entry[0])) { continue }
                    $target = Get-ContextPath $entry[1]
                    [void][System.IO.Directory]::CreateDirectory([System.IO.Path]::GetDirectoryName($target))
                    Add-Link $target ([System.IO.Path]::Combine($objects, $entry[0]))
                }
                if ($stdin.ReadByte() -ne 116) { throw 'no archive followed the answer' }
                Invoke-Native -File 'tar' -Arguments \#(try PowerShell.quote(extract)) -ReadsInput $true `
                    -AllowFailure $false -Environment @{} -OutputFile ''
                $sha256 = [System.Security.Cryptography.SHA256]::Create()
                $added = 0
                foreach ($entry in $entries) {
                    if (-not $missing.Contains($entry[0])) { continue }
                    $file = Get-ContextPath $entry[1]
                    if (-not [System.IO.File]::Exists($file)) {
                        $global:CoordinatorExit = \#(Self.damagedStatus)
                        throw \#(try PowerShell.quote(Self.damagedObjects))
                    }
                    $stream = [System.IO.File]::OpenRead($file)
                    try { $hash = $sha256.ComputeHash($stream) } finally { $stream.Dispose() }
                    $hex = [BitConverter]::ToString($hash).Replace('-', '').ToLowerInvariant()
                    if (-not $entry[0].StartsWith($hex + '-', [StringComparison]::Ordinal)) {
                        $global:CoordinatorExit = \#(Self.damagedStatus)
                        throw \#(try PowerShell.quote(Self.damagedObjects))
                    }
                    $object = [System.IO.Path]::Combine($objects, $entry[0])
                    if ([System.IO.File]::Exists($object)) { continue }
                    $added++
                    $temporary = [System.IO.Path]::Combine($folder, 'object-' + $added)
                    Add-Link $temporary $file
                    try { [System.IO.File]::Move($temporary, $object) } catch {
                        if (-not [System.IO.File]::Exists($object)) { throw }
                    }
                }
                $listFile = [System.IO.Path]::Combine($store, 'lists', $digest)
                if (-not [System.IO.File]::Exists($listFile)) {
                    $newList = [System.IO.Path]::Combine($folder, 'list')
                    [System.IO.File]::WriteAllText($newList, (@($names) -join "`n") + "`n")
                    try { [System.IO.File]::Move($newList, $listFile) } catch {
                        if (-not [System.IO.File]::Exists($listFile)) { throw }
                    }
                }
                # A rename fails while a scanner holds a file inside the folder for a moment: it is tried again.
                $target = [System.IO.Path]::Combine($work, 'contexts', $digest)
                for ($attempt = 0; -not [System.IO.Directory]::Exists($target); $attempt++) {
                    try { [System.IO.Directory]::Move([System.IO.Path]::Combine($folder, 'c'), $target) } catch {
                        if ([System.IO.Directory]::Exists($target)) { break }
                        if ($attempt -ge 10) { throw }
                        Start-Sleep -Milliseconds 300
                    }
                }
                [System.IO.Directory]::SetLastWriteTime($target, (Get-Date))
                $completed = $true
            } catch {
                if ($global:CoordinatorExit -eq 0) { $global:CoordinatorExit = 1 }
                [Console]::Error.WriteLine('error: ' + $_.Exception.Message)
            } finally {
                if ($lock) { $lock.Dispose() }
                try { Remove-Item -LiteralPath $folder -Recurse -Force -ErrorAction SilentlyContinue } catch { }
            }
            if (-not $completed -and $global:CoordinatorExit -eq 0) { $global:CoordinatorExit = 1 }
            exit $global:CoordinatorExit
            """#)
    }
}
