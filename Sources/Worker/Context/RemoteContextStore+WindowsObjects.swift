import Shared

/// The content store of a Windows host, `WORKDIR\store\sha256\OBJECT` (``ContextManifest/objectName(digest:entry:)``),
/// from which contexts are assembled with NTFS hard links where the volume allows, else with copies.
///
/// The protocol is the POSIX upload's (``uploadCommand(uploadID:)``): the header line, the file list, the host's
/// answer, a format byte and one tar stream, in one command. What differs is what the list and the stream carry:
/// `tar.exe` (bsdtar) neither follows the store's link as GNU tar does nor falls back to a copy when it cannot make a
/// hard link, so the Windows PowerShell 5.1 script assembles the context itself.
/// - The list has a line per regular file, `OBJECT<TAB>PATH` (``ContextSync/Listing``): the host writes the object
///   names into the upload's folder (the prune keeps every object an upload's folder names) and answers the objects its
///   store lacks under the store's lock (`store\.lock`) opened shared, which the prune holds exclusively while it reads
///   those names and removes objects. Should a prune hold the lock for half a minute, the upload does without the
///   store: it asks for every content and adds none.
/// - The stream (``ContextSync/windowsItems(_:objectNames:missing:)``) holds the context's directories and symbolic
///   links and each file whose object is new, as a regular file. tar reads names as UTF-8 (``windowsTarOptions``).
/// - After tar, the script links every other file into `c\PATH` from the store (`New-Item -ItemType HardLink`, else a
///   copy, which keeps the file's time), puts back the time of each directory it linked into, and gives each object
///   the read-only attribute its mode says (what tar gives a file whose mode lacks the owner's write bit).
/// - It hashes every file that arrived and compares it with its object's name (the manifest's digest, the run's first
///   read), adds each new object to the store (a link to the arrived file, made under a temporary name and renamed, so
///   an object's name appears only once it is whole), writes the context's object list to `store\lists\DIGEST` (what
///   the prune keeps objects for: ``ContextRetention``) and publishes `c` as `contexts\DIGEST`. However it fails, the
///   upload's folder goes, and no object name is added for a file that did not match.
///
/// Links are made with the built-in cmdlet, not through a P/Invoke of `CreateHardLinkW`: a script that defines one
/// (`Add-Type`, `DefinePInvokeMethod`) is logged as suspicious by Windows PowerShell's script block logging and is the
/// kind antimalware scanning (AMSI) blocks, which would fail every upload.
extension RemoteContextStore {
    /// The options `tar.exe` extracts with: names as UTF-8, as ``TarHeader`` writes them. bsdtar on Windows otherwise
    /// reads a ustar name in the OEM code page (libarchive's default conversion for reading), and `ü` arrives as `├╝`.
    static let windowsTarOptions = ["--options", "hdrcharset=UTF-8"]

    /// The longest path Windows PowerShell 5.1's .NET Framework file calls take (MAX_PATH, 260 with its NUL): it opts in
    /// to neither long paths nor `\\?\` names.
    static let windowsMaximumPath = 259

    /// Whether every path of `context` fits ``windowsMaximumPath`` in the context's directory on this (Windows) host.
    /// One that does not is sent as a whole archive instead (`tar.exe` handles long paths itself), as before the store.
    func windowsPathsFit(_ context: BuildContext) -> Bool {
        let base = path(for: String(repeating: "0", count: 64)).utf16.count + 1
        return context.entries.allSatisfy { base + $0.path.utf16.count <= Self.windowsMaximumPath }
    }

    /// The upload command of a Windows host (see the type's documentation); standard input as on POSIX hosts, but the
    /// list names a path after each object, and the stream is only ever plain (`t`).
    func windowsUploadCommand(uploadID: String) throws -> RemoteInvocation {
        precondition(shell.family == .windows)
        let folder = shell.join(workDirectory, Self.uploadPath(uploadID: uploadID))
        let extract = try WindowsCommandLine.join(["-x"] + Self.windowsTarOptions + ["-f", "-", "-C", folder])
        return try shell.command(forScriptText: RemoteShell.powerShellPrelude + "\n" + RemoteShell.powerShellRemoveTree
            + "\n" + #"""
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
            function Add-Link([string]$link, [string]$existing) {
                try {
                    if (New-Item -ItemType HardLink -Path $link -Target $existing -ErrorAction Stop) { return }
                } catch { }
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
                # The upload's object names, for the prune (which keeps every object an upload's folder names), then the
                # store's lock, shared, for the answer only: a prune takes it exclusively while it reads those names and
                # removes objects, so an object is either named here before the prune looks, or looked for after it is
                # gone. Should a prune hold the lock for long, this upload does without the store: it asks for every
                # content.
                $namesText = (@($names) -join "`n") + "`n"
                [System.IO.File]::WriteAllText([System.IO.Path]::Combine($folder, 'names'), $namesText)
                $lockPath = [System.IO.Path]::Combine($store, '.lock')
                $useStore = $true
                for ($attempt = 0; -not $lock; $attempt++) {
                    try {
                        $lock = [System.IO.File]::Open($lockPath, [System.IO.FileMode]::OpenOrCreate,
                            [System.IO.FileAccess]::Read, [System.IO.FileShare]::Read)
                    } catch [System.IO.IOException] {
                        if ($attempt -ge 150) { $useStore = $false; break }
                        Start-Sleep -Milliseconds 200
                    }
                }
                $missing = New-Object 'System.Collections.Generic.HashSet[string]' ([StringComparer]::Ordinal)
                $answer = New-Object System.Text.StringBuilder
                foreach ($name in $names) {
                    if (-not $useStore -or -not [System.IO.File]::Exists([System.IO.Path]::Combine($objects, $name))) {
                        [void]$missing.Add($name)
                        [void]$answer.Append($name).Append("`n")
                    }
                }
                if ($lock) { $lock.Dispose() }
                [void]$answer.Append(\#(try PowerShell.quote(Self.answerEnd))).Append("`n")
                $stdout = [Console]::OpenStandardOutput()
                $answerBytes = [Text.Encoding]::ASCII.GetBytes($answer.ToString())
                $stdout.Write($answerBytes, 0, $answerBytes.Length)
                $stdout.Flush()
                if ($stdin.ReadByte() -ne 116) { throw 'no archive followed the answer' }
                Invoke-Native -File 'tar' -Arguments \#(try PowerShell.quote(extract)) -ReadsInput $true `
                    -AllowFailure $false -Environment @{} -OutputFile ''
                # The files whose contents the store has, linked after tar (which set the directories' times: each parent's
                # is put back once its links are made). An object gets the read-only attribute its mode says (tar sets it
                # for a mode without the owner's write bit; a forced removal of another link to it clears it).
                $times = @{}
                $checked = New-Object 'System.Collections.Generic.HashSet[string]' ([StringComparer]::Ordinal)
                $readOnly = [System.IO.FileAttributes]::ReadOnly
                foreach ($entry in $entries) {
                    if ($missing.Contains($entry[0])) { continue }
                    $object = [System.IO.Path]::Combine($objects, $entry[0])
                    if ($checked.Add($entry[0])) {
                        $attributes = [System.IO.File]::GetAttributes($object)
                        $writable = ([Convert]::ToInt32($entry[0].Split('-')[1], 8) -band 128) -ne 0
                        if ($writable -eq (($attributes -band $readOnly) -ne 0)) {
                            [System.IO.File]::SetAttributes($object, ($attributes -bxor $readOnly))
                        }
                    }
                    $target = Get-ContextPath $entry[1]
                    $parent = [System.IO.Path]::GetDirectoryName($target)
                    if (-not $times.ContainsKey($parent)) {
                        [void][System.IO.Directory]::CreateDirectory($parent)
                        $times[$parent] = [System.IO.Directory]::GetLastWriteTimeUtc($parent)
                    }
                    Add-Link $target $object
                }
                foreach ($parent in @($times.Keys)) {
                    try { [System.IO.Directory]::SetLastWriteTimeUtc($parent, $times[$parent]) } catch { }
                }
                try { $sha256 = New-Object System.Security.Cryptography.SHA256Cng } catch {
                    $sha256 = [System.Security.Cryptography.SHA256]::Create()
                }
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
                    if (-not $useStore -or [System.IO.File]::Exists($object)) { continue }
                    $added++
                    $temporary = [System.IO.Path]::Combine($folder, 'object-' + $added)
                    Add-Link $temporary $file
                    try { [System.IO.File]::Move($temporary, $object) } catch {
                        if (-not [System.IO.File]::Exists($object)) { throw }
                    }
                }
                # A rename fails while a scanner holds a file inside the folder: it is tried again, for half a minute.
                $target = [System.IO.Path]::Combine($work, 'contexts', $digest)
                for ($attempt = 0; -not [System.IO.Directory]::Exists($target); $attempt++) {
                    try { [System.IO.Directory]::Move([System.IO.Path]::Combine($folder, 'c'), $target) } catch {
                        if ([System.IO.Directory]::Exists($target)) { break }
                        if ($attempt -ge 60) { throw }
                        Start-Sleep -Milliseconds 500
                    }
                }
                # The context's objects are named by its list from now on (the context exists), and by the upload's folder
                # until it goes: the prune reads the folders first, then the lists.
                $listFile = [System.IO.Path]::Combine($store, 'lists', $digest)
                if ($useStore -and -not [System.IO.File]::Exists($listFile)) {
                    $newList = [System.IO.Path]::Combine($folder, 'list')
                    [System.IO.File]::WriteAllText($newList, $namesText)
                    try { [System.IO.File]::Move($newList, $listFile) } catch {
                        if (-not [System.IO.File]::Exists($listFile)) { throw }
                    }
                }
                try { [System.IO.Directory]::SetLastWriteTime($target, (Get-Date)) } catch { }
                $completed = $true
            } catch {
                if ($global:CoordinatorExit -eq 0) { $global:CoordinatorExit = 1 }
                [Console]::Error.WriteLine('error: ' + $_.Exception.Message)
            } finally {
                try { [void](Remove-Tree $folder) } catch { }
            }
            if (-not $completed -and $global:CoordinatorExit -eq 0) { $global:CoordinatorExit = 1 }
            exit $global:CoordinatorExit
            """#)
    }
}
