import Shared

/// The commands that keep build contexts on a host under `WORKDIR/contexts/DIGEST/`: check whether one is
/// there (and mark it used), receive one from a tar stream on standard input, and prune old ones.
///
/// Receiving extracts into `contexts/.incoming-ID` and then renames it to `contexts/DIGEST` unless that
/// appeared meanwhile, so a half-received context is never used. `tar` is POSIX tar on Linux hosts and the
/// `tar.exe` (bsdtar) of Windows Server 2019 and later on Windows hosts.
public struct RemoteContextStore: Sendable {
    /// The host's shell.
    public let shell: RemoteShell
    /// `WORKDIR/contexts`, absolute on the host.
    public let directory: String

    /// The store under the host's resolved work directory.
    public init(shell: RemoteShell, workDirectory: String) {
        self.shell = shell
        directory = shell.join(workDirectory, "contexts")
    }

    /// The directory of the context with `digest` (hex SHA-256).
    public func path(for digest: String) -> String {
        shell.join(directory, digest)
    }

    /// A command that prints `present` (and refreshes the directory's time, for pruning) or `absent`.
    public func checkCommand(digest: String) throws -> String {
        let target = try shell.quote(path(for: digest))
        switch shell.family {
        case .posix:
            return try shell.command(forScriptText:
                "if [ -d \(target) ]; then touch -c -- \(target); echo present; else echo absent; fi")
        case .windows:
            return try shell.command(forScriptText: """
                if (Test-Path -LiteralPath \(target) -PathType Container) {
                    (Get-Item -LiteralPath \(target)).LastWriteTime = Get-Date; 'present'
                } else { 'absent' }
                """)
        }
    }

    /// A script that reads a tar stream on standard input and publishes it as the context `digest`;
    /// `uploadID` names the temporary directory (unique per upload).
    public func receiveScript(digest: String, uploadID: String) -> RemoteScript {
        let incoming = shell.join(directory, ".incoming-" + uploadID)
        let target = path(for: digest)
        return RemoteScript([
            .makeDirectory(directory, privateToUser: false),
            .removeTree(incoming),
            .makeDirectory(incoming, privateToUser: true),
            .run(RemoteCommand(["tar", "-x", "-f", "-", "-C", incoming], readsScriptInput: true)),
            .moveIfAbsent(from: incoming, to: target),
            // A rename that raced with another upload of the same digest lands inside the target: remove it.
            .removeTree(shell.join(target, ".incoming-" + uploadID)),
        ], removeOnExit: [incoming])
    }

    /// The command for ``receiveScript(digest:uploadID:)``.
    public func receiveCommand(digest: String, uploadID: String) throws -> String {
        try shell.command(for: receiveScript(digest: digest, uploadID: uploadID))
    }

    /// A command that applies `policy`, never removing the contexts in `keep`.
    public func pruneCommand(_ policy: ContextRetention, keep: [String] = []) throws -> String {
        switch shell.family {
        case .posix: try shell.command(forScriptText: policy.posixScript(directory: directory, keep: keep))
        case .windows: try shell.command(forScriptText: policy.powerShellScript(directory: directory, keep: keep))
        }
    }
}
