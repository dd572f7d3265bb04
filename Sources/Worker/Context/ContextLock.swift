/// Keeps a context a build is reading from being pruned: the build holds a shared `flock` on `CONTEXT.lock`
/// (beside `contexts/DIGEST`) for its lifetime, and the prune (``ContextRetention``) removes a context only under
/// an exclusive non-blocking lock on the same file, skipping it while any build holds it. The kernel drops the
/// lock when the build's shell ends, however it ends. A host without `flock` (util-linux) prunes as before.
///
/// On a Windows host the build's PowerShell process holds `CONTEXT.lock` open for reading, shared with other readers;
/// the prune opens it for writing, shared with nobody, before it removes the context, and skips the context when that
/// fails. Windows closes the handle when the process ends, however it ends.
enum ContextLock {
    /// The lock file of the context directory `directory`.
    static func path(of directory: String) -> String {
        directory + ".lock"
    }

    /// The POSIX sh lines, at the start of the build script, that take the shared lock on descriptor 8 (kept for
    /// the shell's lifetime, after the blocking wait for a prune that is removing the context now) and then check
    /// that the context is still there.
    static func posixLines(holding directory: String) throws -> [String] {
        let lock = try POSIXShell.quote(path(of: directory))
        let context = try POSIXShell.quote(directory)
        return [
            "if command -v flock >/dev/null 2>&1 && ( : >>\(lock) ) 2>/dev/null; then",
            "    exec 8>>\(lock)",
            "    flock -s 8",
            "fi",
            "if [ ! -d \(context) ]; then",
            "    echo 'the build context was removed from the host (pruned) before the build began; run it again' >&2",
            "    exit 1",
            "fi",
        ]
    }

    /// The PowerShell lines, before the build script, that open the lock shared (waiting up to a minute for a prune
    /// that holds it: one removing the context now) and keep it open in `$CoordinatorContextLock` until the process
    /// ends, then check that the context is still there.
    static func powerShellLines(holding directory: String) throws -> [String] {
        let lock = try PowerShell.quote(path(of: directory))
        let context = try PowerShell.quote(directory)
        return [
            "$CoordinatorContextLock = $null",
            "for ($coordinatorLockAttempt = 0; $null -eq $CoordinatorContextLock -and $coordinatorLockAttempt -lt 600; "
                + "$coordinatorLockAttempt++) {",
            "    try {",
            "        $CoordinatorContextLock = [System.IO.File]::Open(\(lock), [System.IO.FileMode]::OpenOrCreate, "
                + "[System.IO.FileAccess]::Read, [System.IO.FileShare]::Read)",
            "    } catch { Start-Sleep -Milliseconds 100 }",
            "}",
            "if (-not [System.IO.Directory]::Exists(\(context))) {",
            "    [Console]::Error.WriteLine('error: the build context was removed from the host (pruned) before the build "
                + "began; run it again')",
            "    exit 1",
            "}",
        ]
    }
}
