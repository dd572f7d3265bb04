import Foundation
import Shared

/// Sends a build context to a host unless the host already has it.
///
/// The archive digest of an unchanged context is known locally from its fingerprint (a metadata walk,
/// no file read): when the host answers that `contexts/DIGEST` exists, nothing is sent. Otherwise the
/// archive streams into `tar -x` on the host, is hashed while it streams, and is then published under its
/// digest.
struct ContextShipment {
    let connection: SSHConnection
    let shell: RemoteShell
    let workDirectory: String
    let cache: ContextDigestCache
    /// Sends the whole archive even where the host has a store (for benchmarks). A Windows host gets the whole archive
    /// anyway when a path of the context would be too long there for its store's script
    /// (``RemoteContextStore/windowsPathsFit(_:)``).
    var archiveOnly = false
    /// The tree digest the build's probe already found missing on a POSIX host (``ContextSync/probedAbsent``).
    var probedAbsent: String?
    /// The upload command the build started early on a POSIX host (``ContextSync/Started``), or nil.
    var started: ContextSync.Started?

    struct Shipped: Sendable {
        var digest: String
        var directory: String
        /// Everything sent on the connection for the context (file list, tar headers, contents).
        var bytesSent: Int64
        /// The context's regular files and their total size.
        var files: Int = 0
        var fileBytes: Int64 = 0
        /// The files whose content was sent.
        var filesSent: Int = 0

        init(digest: String, directory: String, bytesSent: Int64) {
            self.digest = digest
            self.directory = directory
            self.bytesSent = bytesSent
        }

        init(_ context: BuildContext, digest: String, directory: String, bytesSent: Int64, filesSent: Int) {
            self.init(digest: digest, directory: directory, bytesSent: bytesSent)
            files = context.fileCount
            fileBytes = context.fileBytes
            self.filesSent = filesSent
        }
    }

    func ship(_ context: BuildContext) async throws -> Shipped {
        let store = RemoteContextStore(shell: shell, workDirectory: workDirectory)
        if !archiveOnly, shell.family == .posix || store.windowsPathsFit(context) {
            return try await ContextSync(connection: connection, shell: shell, workDirectory: workDirectory,
                cache: cache, probedAbsent: probedAbsent).ship(context, started: started)
        }
        started?.abandon()
        let known = await cache.digest(for: context.fingerprint)
        if let known {
            let answer = try await connection.run(store.checkCommand(digest: known.digest))
            if answer.status == .exited(0), answer.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "present" {
                return Shipped(
                    context, digest: known.digest, directory: store.path(for: known.digest), bytesSent: 0, filesSent: 0)
            }
        }
        let uploadID = RemoteWorker.randomID()
        let archive = context.archive()
        let process = connection.execute(try store.receiveCommand(uploadID: uploadID), stdin: archive)
        let errors = try await process.collectingErrors()
        let status = try await process.wait()
        guard status == .exited(0), let digest = archive.summary.digest else {
            throw RemoteBuildError(
                phase: .uploading, host: connection.target.name,
                message: "extracting the build context on the host failed (\(status)): "
                    + CLIXML.readable(String(decoding: errors, as: UTF8.self))
                        .trimmingCharacters(in: .whitespacesAndNewlines)
                    + "; check that tar is installed and the workDir is writable",
                failureKind: .infrastructure, logTail: [])
        }
        // What the host received must be what the run's first read fingerprinted: a file changed since in a way its
        // status does not show makes another archive, which is discarded, never published.
        if let read = known?.digest, digest != read {
            _ = try? await connection.run(store.discardCommand(uploadID: uploadID))
            throw RemoteBuildError(
                phase: .uploading, host: connection.target.name,
                message: "the build context sent differs from what this run read for the build's fingerprint "
                    + "(archive \(digest), read as \(read)): a file changed after the context was scanned; nothing "
                    + "was published; retry the build",
                failureKind: .infrastructure, logTail: [])
        }
        let published = try await connection.run(store.publishCommand(digest: digest, uploadID: uploadID))
        guard published.status == .exited(0) else {
            throw RemoteBuildError(
                phase: .uploading, host: connection.target.name,
                message: "publishing the context as \(store.path(for: digest)) failed: "
                    + CLIXML.readable(published.stderrText),
                failureKind: .infrastructure, logTail: [])
        }
        await cache.record(fingerprint: context.fingerprint, digest: digest, bytes: archive.summary.bytes)
        return Shipped(
            context, digest: digest, directory: store.path(for: digest), bytesSent: archive.summary.bytes,
            filesSent: context.fileCount)
    }
}
