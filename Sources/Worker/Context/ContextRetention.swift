/// How long build contexts stay on a host and how much room they may take: contexts unused for more than
/// ``maximumAgeDays`` days are removed, then the least recently used ones until the rest fit in
/// ``maximumTotalBytes``. Interrupted uploads and run directories (`WORKDIR/runs/ID`, left by a build whose
/// connection died) older than a day are removed too.
public struct ContextRetention: Sendable, Hashable {
    /// Days a context may stay unused.
    public var maximumAgeDays: Int
    /// Bytes all contexts of a host may take together.
    public var maximumTotalBytes: Int64

    /// The default: a week, 10 GiB.
    public static let standard = ContextRetention(maximumAgeDays: 7, maximumTotalBytes: 10 << 30)

    /// Creates a policy.
    public init(maximumAgeDays: Int, maximumTotalBytes: Int64) {
        self.maximumAgeDays = max(0, maximumAgeDays)
        self.maximumTotalBytes = max(0, maximumTotalBytes)
    }

    /// Only 64-digit lowercase hex names are contexts; anything else in the folder is left alone.
    static func isDigest(_ name: String) -> Bool {
        name.utf8.count == 64 && name.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// The POSIX sh script (only POSIX `find`, `du`, `ls` options).
    func posixScript(directory: String, runs: String, keep: [String]) throws -> String {
        let kept = keep.filter(Self.isDigest)
        let keepCase = kept.isEmpty ? "" : "\(kept.joined(separator: "|"))) continue ;; "
        let limit = (maximumTotalBytes + 1023) / 1024
        // A context is removed only under an exclusive non-blocking lock on its `DIGEST.lock` (``ContextLock``):
        // one a build holds is skipped, and stays counted in the total.
        return """
            \(Self.posixYield)
            prune() {
              if command -v flock >/dev/null 2>&1; then
                ( flock -n -x 7 || exit 1; rm -rf -- "$1"; rm -f -- "$1.lock" ) 7>>"$1.lock"
              else
                rm -rf -- "$1"
              fi
            }
            if cd \(try POSIXShell.quote(runs)) 2>/dev/null; then
              find . ! -name . -prune -type d -mtime +0 -exec rm -rf {} +
            fi
            cd \(try POSIXShell.quote(directory)) 2>/dev/null || exit 0
            find . ! -name . -prune -type d -name '.incoming-*' -mtime +0 -exec rm -rf {} +
            for d in $(ls -t -r); do
              case "$d" in *[!0-9a-f]*|'') continue ;; \(keepCase)esac
              [ "${#d}" -eq 64 ] || continue
              if [ -n "$(find "$d" -prune -mtime +\(maximumAgeDays))" ]; then prune "$d"; fi
            done
            total=$(du -s -k . | cut -f1)
            for d in $(ls -t -r); do
              [ "$total" -le \(limit) ] && break
              case "$d" in *[!0-9a-f]*|'') continue ;; \(keepCase)esac
              [ "${#d}" -eq 64 ] || continue
              size=$(du -s -k "$d" | cut -f1)
              prune "$d" || continue
              total=$((total - size))
            done
            \(Self.posixStoreScript)
            """
    }

    /// The prune's first lines: it yields to the builds on the host (it runs while one does, ``RemoteWorker``), at
    /// a low CPU priority and, where `ionice` exists, the lowest best-effort I/O priority; every program the script
    /// runs inherits both. Niceness 10, not 19: the build's result waits for its prune, and on a host that other
    /// builds keep busy a nice-19 process gets about 1.5 % of a core (CFS weight 15 against 1,024), a nice-10 one
    /// about 10 % (110). Best effort: a host without `renice` prunes at normal priority.
    static let posixYield = """
        renice -n 10 -p $$ >/dev/null 2>&1 || :
        ionice -c 2 -n 7 -p $$ >/dev/null 2>&1 || :
        """

    /// The store beside the contexts (`WORKDIR/store`, POSIX hosts): upload folders a day old (their upload
    /// died) go, then every object no context and no pin links to any more (link count 1).
    static let posixStoreScript = """
        if cd ../store 2>/dev/null; then
          find . ! -name . -prune -type d -name '.up-*' -mtime +0 -exec rm -rf {} +
          if [ -d sha256 ]; then find sha256 -type f -links 1 -exec rm -f {} +; fi
        fi
        """

    /// The Windows PowerShell script.
    func powerShellScript(directory: String, runs: String, keep: [String]) throws -> String {
        let kept = keep.filter(Self.isDigest).map { "'\($0)'" }.joined(separator: ", ")
        // Every removal goes on past what it cannot remove (a file Defender or a running build holds): one locked
        // file must not keep the rest from being pruned. The script always ends with `exit 0`.
        // It yields to the build it runs beside, as on POSIX hosts: the below-normal priority class, which the programs
        // it starts inherit (CreateProcess). Not the idle class, whose threads run only when nothing else would: the
        // build's result waits for its prune.
        return """
            $ErrorActionPreference = 'Continue'
            try { [System.Diagnostics.Process]::GetCurrentProcess().PriorityClass = [System.Diagnostics.ProcessPriorityClass]::BelowNormal } catch { }
            \(RemoteShell.powerShellRemoveTree)
            $runs = \(try PowerShell.quote(runs))
            if (Test-Path -LiteralPath $runs -PathType Container) {
                Get-ChildItem -LiteralPath $runs -Directory -Force -ErrorAction SilentlyContinue |
                    Where-Object { $_.LastWriteTime -lt (Get-Date).AddDays(-1) } |
                    ForEach-Object { [void](Remove-Tree $_.FullName) }
            }
            $dir = \(try PowerShell.quote(directory))
            if (-not (Test-Path -LiteralPath $dir -PathType Container)) { exit 0 }
            $keep = @(\(kept))
            $now = Get-Date
            Get-ChildItem -LiteralPath $dir -Directory -Force -ErrorAction SilentlyContinue | Where-Object {
                $_.Name -like '.incoming-*' -and $_.LastWriteTime -lt $now.AddDays(-1) } |
                ForEach-Object { [void](Remove-Tree $_.FullName) }
            $contexts = @(Get-ChildItem -LiteralPath $dir -Directory -ErrorAction SilentlyContinue | Where-Object {
                $_.Name -cmatch '^[0-9a-f]{64}$' -and $keep -notcontains $_.Name } | Sort-Object LastWriteTime)
            $total = [long]0
            $sizes = @{}
            foreach ($context in $contexts) {
                $size = [long](Get-ChildItem -LiteralPath $context.FullName -Recurse -File -Force -ErrorAction SilentlyContinue |
                    Measure-Object -Property Length -Sum).Sum
                $sizes[$context.Name] = $size
                $total += $size
            }
            # A context is removed only under its lock opened for writing and shared with nobody (see ContextLock): one a
            # build holds is skipped, and stays counted in the total.
            foreach ($context in $contexts) {
                if ($context.LastWriteTime -lt $now.AddDays(-\(maximumAgeDays)) -or $total -gt \(maximumTotalBytes)) {
                    $contextLock = $null
                    try {
                        $contextLock = [System.IO.File]::Open($context.FullName + '.lock', [System.IO.FileMode]::OpenOrCreate,
                            [System.IO.FileAccess]::ReadWrite, [System.IO.FileShare]::None)
                    } catch { $contextLock = $null }
                    if ($contextLock) {
                        try {
                            [void](Remove-Tree $context.FullName)
                            $total -= $sizes[$context.Name]
                        } finally {
                            $contextLock.Dispose()
                            Remove-Item -LiteralPath ($context.FullName + '.lock') -Force -ErrorAction SilentlyContinue
                        }
                    }
                }
            }
            $store = [System.IO.Path]::Combine([System.IO.Path]::GetDirectoryName($dir), 'store')
            \(Self.powerShellStoreScript)
            exit 0
            """
    }

    /// The store beside the contexts on a Windows host (`WORKDIR\store`, ``RemoteContextStore/windowsUploadCommand(uploadID:)``):
    /// upload folders a day old (their upload died) go; then, under the store's lock taken exclusively (skipped while
    /// an upload holds it shared for its answer: the next prune does it), the object lists of contexts that are gone,
    /// and every object that neither an upload's folder nor a remaining context's list names, for 20 seconds at most
    /// (uploads wait for the lock). A context's files stay whole when their object goes: they are
    /// its own links or copies.
    static let powerShellStoreScript = """
        if (Test-Path -LiteralPath $store -PathType Container) {
            Get-ChildItem -LiteralPath $store -Directory -Force -ErrorAction SilentlyContinue | Where-Object {
                $_.Name -like '.up-*' -and $_.LastWriteTime -lt $now.AddDays(-1) } |
                ForEach-Object { [void](Remove-Tree $_.FullName) }
            $lock = $null
            try {
                $lock = [System.IO.File]::Open([System.IO.Path]::Combine($store, '.lock'), [System.IO.FileMode]::OpenOrCreate,
                    [System.IO.FileAccess]::ReadWrite, [System.IO.FileShare]::None)
            } catch { $lock = $null }
            if ($lock) {
                try {
                    $live = New-Object 'System.Collections.Generic.HashSet[string]' ([StringComparer]::Ordinal)
                    # The objects uploads name first, then the contexts' lists: an upload publishes its context and list
                    # before its folder goes. A names file that cannot be read stops the pass (the next prune does it).
                    foreach ($upload in @(Get-ChildItem -LiteralPath $store -Directory -Force -Filter '.up-*' -ErrorAction SilentlyContinue)) {
                        $uploadNames = [System.IO.Path]::Combine($upload.FullName, 'names')
                        if ([System.IO.File]::Exists($uploadNames)) {
                            foreach ($name in [System.IO.File]::ReadAllLines($uploadNames)) { [void]$live.Add($name) }
                        }
                    }
                    $lists = [System.IO.Path]::Combine($store, 'lists')
                    foreach ($list in @(Get-ChildItem -LiteralPath $lists -File -Force -ErrorAction SilentlyContinue)) {
                        if ([System.IO.Directory]::Exists([System.IO.Path]::Combine($dir, $list.Name))) {
                            foreach ($name in [System.IO.File]::ReadAllLines($list.FullName)) { [void]$live.Add($name) }
                        } else {
                            Remove-Item -LiteralPath $list.FullName -Force -ErrorAction SilentlyContinue
                        }
                    }
                    # Uploads wait for the lock (half a minute at most, then they do without the store): it is held for
                    # at most 20 seconds, and the next prune goes on.
                    $clock = [System.Diagnostics.Stopwatch]::StartNew()
                    $objects = [System.IO.Path]::Combine($store, 'sha256')
                    if ([System.IO.Directory]::Exists($objects)) {
                        foreach ($path in [System.IO.Directory]::EnumerateFiles($objects)) {
                            if ($clock.Elapsed.TotalSeconds -ge 20) { break }
                            if (-not $live.Contains([System.IO.Path]::GetFileName($path))) { [void](Remove-Tree $path) }
                        }
                    }
                } catch {
                } finally {
                    $lock.Dispose()
                }
            }
        }
        """
}
