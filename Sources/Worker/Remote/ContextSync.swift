import Foundation
import Shared

/// Sends a build context to a POSIX host file by file: only the contents its store lacks.
///
/// The context's manifest (every file's SHA-256, read once per process and checked against the scan) names a
/// store object per file; the host answers which objects it lacks and pins the others; one tar stream then
/// carries the context, its new contents as files (each checked against the scan's status as it is read; the host
/// hashes each and compares it with its store name, the manifest's digest) followed by their store names, the rest
/// as hard links to pinned objects, which the host checks and publishes as `contexts/DIGEST`. Both go through one
/// command (``RemoteContextStore/uploadCommand(uploadID:)``).
struct ContextSync {
    let connection: SSHConnection
    let shell: RemoteShell
    let workDirectory: String
    let cache: ContextDigestCache
    /// Where manifests are remembered (the process's, but for benchmarks).
    var manifests = ContextManifests.shared
    /// The tree digest the build's probe already found missing on the host: not asked about again.
    var probedAbsent: String?

    /// Ships `context`, on `started` when the build already started the upload command (else on one started here).
    func ship(_ context: BuildContext, started: Started? = nil) async throws -> ContextShipment.Shipped {
        let store = RemoteContextStore(shell: shell, workDirectory: workDirectory)
        let key = ContextManifest.cacheKey(fingerprint: context.fingerprint)
        let manifest: ContextManifest
        do {
            if let known = await cache.digest(for: key), known.digest != probedAbsent {
                let answer = try await connection.run(store.checkCommand(digest: known.digest))
                if answer.status == .exited(0),
                    answer.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "present"
                {
                    started?.abandon()
                    return ContextShipment.Shipped(
                        context, digest: known.digest, directory: store.path(for: known.digest), bytesSent: 0,
                        filesSent: 0)
                }
            }
            // Each content is sent with the scan's status checked again as it is read; the host hashes each new one and
            // refuses the upload unless it matches this manifest (the run's first read): no second hash here.
            manifest = try await manifests.manifest(for: context).manifest
        } catch {
            started?.abandon()
            throw error
        }
        let listing = Listing(context, manifest, family: shell.family)
        // One command: the header and the list go first (on a command the build started, perhaps already); the tar
        // stream follows once the host has answered which contents it lacks.
        let upload = try started.flatMap { $0.claim(for: listing) ? $0 : nil }
            ?? Started.start(connection: connection, store: store, listing: listing)
        defer { upload.parts.finish() }
        let process = upload.process
        let errors = Task { try await process.standardErrorHead() }
        var output = process.stdout.makeAsyncIterator()
        var bytes: [UInt8] = []
        var answer: Answer?
        while answer == nil, let chunk = try await output.next() {
            bytes += chunk
            answer = Self.answer(in: bytes)
        }
        guard let answer else {
            upload.parts.finish()
            let status = try await process.wait()
            try Task.checkCancellation()
            throw failure("asking the host's store which files it lacks failed (\(status)): "
                + Self.readable(try await errors.value) + "; check that the workDir is writable and that the host has "
                + (shell.family == .posix ? "GNU coreutils" : "Windows PowerShell 5.1"))
        }
        let (items, sent) = shell.family == .posix
            ? Self.items(context, objectNames: listing.objectNames, missing: answer.missing)
            : Self.windowsItems(context, objectNames: listing.objectNames, missing: answer.missing)
        let stream = TarStream(
            root: context.root, items: items, compressed: Self.compresses(items, hostGunzips: answer.hostGunzips))
        upload.parts.yield(.stream(stream))
        upload.parts.finish()
        while try await output.next() != nil {}
        let status = try await process.wait()
        guard status == .exited(0) else {
            let reason = Self.readable(try await errors.value)
            if status == .exited(RemoteContextStore.damagedStatus) || reason.contains(RemoteContextStore.damagedObjects) {
                throw failure("the host refused the build context (\(status)): \(reason); a file of the context "
                    + "changed after this run read it for the build's fingerprint (or the stream was damaged): nothing "
                    + "was published; retry the build")
            }
            throw failure("assembling the build context on the host failed (\(status)): \(reason); check that "
                + (shell.family == .posix ? "GNU tar and coreutils are" : "tar.exe (Windows Server 2019 or later) is")
                + " installed and the workDir is writable")
        }
        await cache.record(fingerprint: key, digest: manifest.digest, bytes: manifest.fileBytes)
        return ContextShipment.Shipped(
            context, digest: manifest.digest, directory: store.path(for: manifest.digest),
            bytesSent: Int64(listing.bytes.count) + 1 /* the stream's format byte */ + stream.summary.sentBytes,
            filesSent: sent)
    }

    /// A host's standard error as one readable line (a Windows host's `#< CLIXML` record decoded).
    static func readable(_ errors: [UInt8]) -> String {
        CLIXML.readable(String(decoding: errors, as: UTF8.self)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The upload's first part: its header line (``RemoteContextStore/uploadHeader(digest:listBytes:)``) and the
    /// file list; and every entry's object. For a POSIX host the list names each store object once, a line; for a
    /// Windows host, which assembles the context itself, it has a line per regular file, `OBJECT<TAB>PATH`
    /// (``RemoteContextStore/windowsUploadCommand(uploadID:)``).
    struct Listing: Sendable {
        /// The tree digest the context is published under.
        let digest: String
        /// The store object of every entry of the context (nil for directories and links).
        let objectNames: [String?]
        /// The header line and the list, as sent.
        let bytes: [UInt8]

        init(_ context: BuildContext, _ manifest: ContextManifest, family: RemoteShell.Family) {
            let names = ContextSync.objectNames(context, manifest)
            let list: [UInt8]
            switch family {
            case .posix:
                list = Array(names.unique.map { $0 + "\n" }.joined().utf8)
            case .windows:
                list = Array(zip(context.entries, names.perEntry).compactMap { entry, name in
                    name.map { $0 + "\t" + entry.path + "\n" }
                }.joined().utf8)
            }
            digest = manifest.digest
            objectNames = names.perEntry
            bytes = RemoteContextStore.uploadHeader(digest: manifest.digest, listBytes: list.count) + list
        }
    }

    /// An upload command started before the build knows whether the host needs the context: its channel and exec
    /// request cross the link while the build's probe does, and its file list, when it is given one, goes as soon as
    /// the command runs (sshd takes a command's input only then), so that on a nearby host the host's work on the list
    /// overlaps the probe. Nothing of the context's contents goes before an upload claims it. It
    /// waits for its header line (``RemoteContextStore/uploadHeader(digest:listBytes:)``); ``abandon()`` sends
    /// end-of-file instead, and the command ends having made nothing (or, after a list, having pinned and unpinned
    /// objects the host has: it removes its folder and everything it added).
    struct Started: Sendable {
        let process: RemoteProcess
        let parts: AsyncThrowingStream<UploadInput.Part, any Error>.Continuation
        /// The tree digest whose header and file list were sent when the command started, or nil.
        let listed: String?
        /// Whether an upload or ``abandon()`` has taken the command: it serves once.
        private let taken = Locked(false)

        /// Takes the command for an upload; false when something took it already.
        func claim() -> Bool {
            taken.withLock { taken in
                defer { taken = true }
                return !taken
            }
        }

        /// Takes the command for the upload of `listing`, sending the header and the list unless they went when it
        /// started. False when something took it already, or when it was started with another context's list (it is
        /// then ended).
        func claim(for listing: Listing) -> Bool {
            guard claim() else { return false }
            switch listed {
            case nil: parts.yield(.list(listing.bytes))
            case listing.digest: break
            default:
                end()
                return false
            }
            return true
        }

        /// Starts the upload command (POSIX hosts) on `connection`, and sends `listing` at once when given.
        static func start(connection: SSHConnection, store: RemoteContextStore, listing: Listing? = nil) throws
            -> Started
        {
            let (stream, parts) = AsyncThrowingStream<UploadInput.Part, any Error>.makeStream()
            let process = connection.execute(
                try store.uploadCommand(uploadID: RemoteWorker.randomID()), stdin: UploadInput(parts: stream))
            if let listing {
                parts.yield(.list(listing.bytes))
            }
            return Started(process: process, parts: parts, listed: listing?.digest)
        }

        /// Ends the command unused: it reads end-of-file where its header would be and exits 0. Its end is awaited
        /// on a task of its own, holding the process until then (a process nobody holds is killed instead). Does nothing
        /// once an upload took the command.
        func abandon() {
            guard claim() else { return }
            end()
        }

        /// Sends end-of-file and awaits the command's end on a task of its own (``abandon()``, once claimed).
        private func end() {
            parts.finish()
            let process = process
            Task { _ = try? await SSHConnection.collect(process) }
        }
    }

    /// The host's answer: the objects it lacks, and whether it can take a gzip-compressed tar stream.
    struct Answer: Equatable {
        var missing: Set<String>
        var hostGunzips: Bool
    }

    /// The host's answer, once it is whole (ended by the line ``RemoteContextStore/answerEnd``, with
    /// ``RemoteContextStore/gzipWord`` when the host has gzip).
    static func answer(in bytes: [UInt8]) -> Answer? {
        // Only the last line is looked at until it is the end line: the answer arrives in many pieces.
        guard bytes.last == UInt8(ascii: "\n") else { return nil }
        let body = bytes.dropLast()
        let lastStart = body.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? body.startIndex
        let last = String(decoding: body[lastStart...], as: UTF8.self)
        let end = RemoteContextStore.answerEnd
        guard last == end || last == end + " " + RemoteContextStore.gzipWord else { return nil }
        let names = String(decoding: body[..<lastStart], as: UTF8.self).split(separator: "\n").map(String.init)
        return Answer(missing: Set(names), hostGunzips: last != end)
    }

    /// Whether the tar stream is sent gzip-compressed: when the host can take it and the stream is mostly headers
    /// (at least 64 of them, and at most 4 bytes of new content per header byte). A context whose files the host
    /// mostly has then costs about 60 bytes per file (the link's target names the object by its SHA-256, which does
    /// not compress) instead of a 512-byte header each (1 MiB per 2,000 files). A stream that is mostly new content,
    /// often compressed already, is sent as it is rather than run through zlib.
    static func compresses(_ items: [TarItem], hostGunzips: Bool) -> Bool {
        guard hostGunzips, items.count >= 64 else { return false }
        let headerBytes = Int64(items.count) * Int64(TarHeader.blockSize)
        var contentBytes: Int64 = 0
        for item in items where item.hardLink == nil {
            if let source = item.source, case .file(let size) = source.kind { contentBytes += size }
        }
        return contentBytes <= 4 * headerBytes
    }

    /// The store object of every entry (nil for directories and links), and each object once, in order.
    static func objectNames(_ context: BuildContext, _ manifest: ContextManifest)
        -> (perEntry: [String?], unique: [String])
    {
        var perEntry: [String?] = []
        perEntry.reserveCapacity(context.entries.count)
        var unique: [String] = []
        var seen = Set<String>()
        for (index, entry) in context.entries.enumerated() {
            guard let digest = manifest.fileDigests[index] else {
                perEntry.append(nil)
                continue
            }
            let name = ContextManifest.objectName(digest: digest, entry: entry)
            perEntry.append(name)
            if seen.insert(name).inserted {
                unique.append(name)
            }
        }
        return (perEntry, unique)
    }

    /// The tar stream's items, relative to the upload's folder: the context's directories and symbolic links
    /// under `c/`; its files there as hard links to objects the host has (pinned in `p/`); each new content
    /// once, as a regular file at its first path, followed at once by the store's name for it, `s/OBJECT` (`s` is
    /// the upload folder's link to the store's objects: a hard link to that file, so an object's name appears only
    /// once its content is whole); further paths with that content as hard links to the first. Link names stay
    /// short (no pax record per file). Also how many objects are sent. Each new content is checked against the scan's
    /// status as it is read; the host checks it against its object's name (the manifest's digest).
    static func items(_ context: BuildContext, objectNames: [String?], missing: Set<String>) -> ([TarItem], Int) {
        let (pin, incoming, store) = ("p/", "c/", RemoteContextStore.storeLink + "/")
        var items: [TarItem] = []
        items.reserveCapacity(context.entries.count + missing.count)
        var firstPath: [String: String] = [:]
        for (index, entry) in context.entries.enumerated() {
            var header = entry
            header.path = incoming + entry.path
            guard let name = objectNames[index] else {
                items.append(TarItem(entry: header))
                continue
            }
            guard missing.contains(name) else {
                items.append(TarItem(entry: header, hardLink: pin + name))
                continue
            }
            if let first = firstPath[name] {
                items.append(TarItem(entry: header, hardLink: first))
                continue
            }
            firstPath[name] = header.path
            items.append(TarItem(entry: header, source: entry))
            var object = entry
            object.path = store + name
            items.append(TarItem(entry: object, hardLink: header.path))
        }
        return (items, firstPath.count)
    }

    /// The tar stream's items for a Windows host, relative to the upload's folder: the context's directories and
    /// symbolic links under `c/`, and each file whose object the host lacks, as a regular file there (a content at
    /// several paths is sent at each: `tar.exe` has no copy to fall back on where a hard link fails). Files whose
    /// objects the host has are not in the stream: the host links them from its store itself. Also how many files
    /// are sent.
    static func windowsItems(_ context: BuildContext, objectNames: [String?], missing: Set<String>) -> ([TarItem], Int) {
        var items: [TarItem] = []
        var sent = 0
        for (index, entry) in context.entries.enumerated() {
            var header = entry
            header.path = "c/" + entry.path
            guard let name = objectNames[index] else {
                items.append(TarItem(entry: header))
                continue
            }
            guard missing.contains(name) else { continue }
            items.append(TarItem(entry: header, source: entry))
            sent += 1
        }
        return (items, sent)
    }

    private func failure(_ message: String) -> RemoteBuildError {
        RemoteBuildError(
            phase: .uploading, host: connection.target.name, message: message, failureKind: .infrastructure,
            logTail: [])
    }
}

/// The upload command's standard input: the header line and the file list, then, once the host has answered, the tar
/// stream's format byte (`z` gzip, `t` plain) and the stream. End-of-file wherever the parts end: before the header
/// (the upload was not needed) or before the stream (the host then ends without publishing).
struct UploadInput: AsyncSequence, Sendable {
    typealias Element = [UInt8]

    /// What the coordinator decided to send next.
    enum Part: Sendable {
        /// The header line and the file list.
        case list([UInt8])
        /// The tar stream, after the host's answer.
        case stream(TarStream)
    }

    let parts: AsyncThrowingStream<Part, any Error>

    struct AsyncIterator: AsyncIteratorProtocol {
        var parts: AsyncThrowingStream<Part, any Error>.AsyncIterator
        var archive: ContextArchive.Iterator?

        mutating func next() async throws -> [UInt8]? {
            if var streaming = archive {
                let chunk = try await streaming.next()
                archive = streaming
                return chunk
            }
            switch try await parts.next() {
            case nil:
                return nil
            case .list(let bytes):
                return bytes
            case .stream(let stream):
                archive = stream.makeAsyncIterator()
                return Array((stream.compressed ? "z" : "t").utf8)
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(parts: parts.makeAsyncIterator())
    }
}
