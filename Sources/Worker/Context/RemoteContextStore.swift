import Shared

/// The commands that keep build contexts on a host under `WORKDIR/contexts/DIGEST/`: check whether one is
/// there (and mark it used), receive one from a tar stream on standard input, and prune old ones.
///
/// Receiving extracts into `contexts/.incoming-ID`; publishing then renames it to `contexts/DIGEST` unless
/// that appeared meanwhile, so a half-received context is never used. `tar` is POSIX tar on Linux hosts and the
/// `tar.exe` (bsdtar) of Windows Server 2019 and later on Windows hosts.
public struct RemoteContextStore: Sendable {
    /// The host's shell.
    public let shell: RemoteShell
    /// `WORKDIR/contexts`, absolute on the host.
    public let directory: String
    /// `WORKDIR/runs`, where builds keep their temporary files.
    public let runsDirectory: String

    /// The store under the host's resolved work directory.
    public init(shell: RemoteShell, workDirectory: String) {
        self.shell = shell
        directory = shell.join(workDirectory, "contexts")
        runsDirectory = shell.join(workDirectory, "runs")
    }

    /// The directory of the context with `digest` (hex SHA-256).
    public func path(for digest: String) -> String {
        shell.join(directory, digest)
    }

    /// A command that prints `present` (and refreshes the directory's time, for pruning) or `absent`.
    public func checkCommand(digest: String) throws -> RemoteInvocation {
        let target = try shell.quote(path(for: digest))
        switch shell.family {
        case .posix:
            return try shell.command(forScriptText:
                "if [ -d \(target) ]; then touch -c -- \(target); echo present; else echo absent; fi")
        case .windows:
            return try shell.command(forScriptText: """
                if (Test-Path -LiteralPath \(target) -PathType Container) {
                    try { (Get-Item -LiteralPath \(target)).LastWriteTime = Get-Date } catch { }
                    'present'
                } else { 'absent' }
                """)
        }
    }

    /// The temporary directory an upload is extracted into.
    public func incomingPath(uploadID: String) -> String {
        shell.join(directory, ".incoming-" + uploadID)
    }

    /// A script that extracts the tar stream on its standard input into the upload's temporary directory
    /// (removed again if the extraction fails). The digest is known only once the stream has been sent,
    /// so publishing is a second step (``publishCommand(digest:uploadID:)``).
    public func receiveScript(uploadID: String) -> RemoteScript {
        let incoming = incomingPath(uploadID: uploadID)
        return RemoteScript([
            .makeDirectory(directory, privateToUser: false),
            .removeTree(incoming),
            .makeDirectory(incoming, privateToUser: true),
            .run(RemoteCommand(extractArguments(into: incoming), readsScriptInput: true)),
        ], removeOnFailure: [incoming])
    }

    /// `tar` reading the archive from standard input into `directory`.
    ///
    /// On POSIX hosts the entries' modes are applied as archived, set-user-ID, set-group-ID and sticky bits
    /// included, as `docker build` sends them: GNU tar applies the user's umask instead, unless run by root,
    /// so without `-p` a build as an ordinary user turns a 0775 script into 0755. `--no-same-owner` keeps the
    /// files the login user's (the archive says uid 0, which root would otherwise apply), as it is for an
    /// ordinary user anyway. BusyBox tar accepts both options but applies the umask regardless.
    func extractArguments(into directory: String) -> [String] {
        switch shell.family {
        case .posix: ["tar", "-x", "-p", "--no-same-owner", "-f", "-", "-C", directory]
        case .windows: ["tar", "-x"] + Self.windowsTarOptions + ["-f", "-", "-C", directory]
        }
    }

    /// The command for ``receiveScript(uploadID:)``.
    public func receiveCommand(uploadID: String) throws -> RemoteInvocation {
        try shell.command(for: receiveScript(uploadID: uploadID))
    }

    /// A script that renames the upload to `contexts/DIGEST` unless another upload got there first, and
    /// removes whatever is left of the upload.
    public func publishScript(digest: String, uploadID: String) -> RemoteScript {
        let incoming = incomingPath(uploadID: uploadID)
        let target = path(for: digest)
        return RemoteScript([
            .moveIfAbsent(from: incoming, to: target),
            // A rename that raced with another upload of the same digest lands inside the target: remove it.
            .removeTree(shell.join(target, ".incoming-" + uploadID)),
        ], removeOnExit: [incoming])
    }

    /// The command for ``publishScript(digest:uploadID:)``.
    public func publishCommand(digest: String, uploadID: String) throws -> RemoteInvocation {
        try shell.command(for: publishScript(digest: digest, uploadID: uploadID))
    }

    /// A command that removes an upload that will not be published.
    public func discardCommand(uploadID: String) throws -> RemoteInvocation {
        try shell.command(for: RemoteScript([.removeTree(incomingPath(uploadID: uploadID))]))
    }

    /// A command that applies `policy`, never removing the contexts in `keep`.
    public func pruneCommand(_ policy: ContextRetention, keep: [String] = []) throws -> RemoteInvocation {
        switch shell.family {
        case .posix:
            try shell.command(forScriptText: policy.posixScript(directory: directory, runs: runsDirectory, keep: keep))
        case .windows:
            try shell.command(
                forScriptText: policy.powerShellScript(directory: directory, runs: runsDirectory, keep: keep))
        }
    }
}
