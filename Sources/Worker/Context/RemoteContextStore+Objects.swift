import Shared

/// The content store of a POSIX host, `WORKDIR/store/sha256/OBJECT` (``ContextManifest/objectName(digest:entry:)``),
/// from which contexts are assembled with hard links.
///
/// One upload is two commands, both working in the upload's own folder `store/.up-ID`. The query reads object
/// names on standard input, prints those the store lacks and pins the others with a hard link in `p/` (the
/// retention removes only objects that nothing else links to). The assembly extracts one tar stream into the
/// folder (``ContextSync/items(_:_:objectNames:missing:rehash:)``): the context under `c/`, each new content as a
/// file followed by its store name `s/OBJECT` (`s` links to `../sha256`, and GNU tar follows a link already in
/// place: the name is a hard link, made only once the content is whole, and no object is moved afterwards), the
/// rest as hard links to the pins. Each new object is hashed as soon as tar has moved past it (its verbose listing
/// names a member before writing it), with `openssl dgst` where the host has a working one (one that prints ``ContextManifest/emptyFileDigest`` for no
/// input; it uses the CPU's SHA instructions), else `sha256sum`; every digest must match its object's name before `c` is published as
/// `contexts/DIGEST`. However it fails, the folder and the store names it added go, so a failed or interrupted
/// upload leaves no context and no object.
extension RemoteContextStore {
    /// The work directory (the parent of ``directory``).
    var workDirectory: String {
        String(directory.dropLast("/contexts".count))
    }

    /// The upload's folder, relative to the work directory.
    static func uploadPath(uploadID: String) -> String {
        "store/.up-" + uploadID
    }

    /// The query (POSIX hosts): object names, one a line, on standard input; the missing ones on standard output.
    /// The upload's folder stays (with the pins) for the assembly; it is removed if the query fails.
    public func queryCommand(uploadID: String) throws -> RemoteInvocation {
        precondition(shell.family == .posix)
        let upload = Self.uploadPath(uploadID: uploadID)
        let work = try POSIXShell.quote(workDirectory)
        func up(_ name: String) throws -> String { try POSIXShell.quote("../.up-" + uploadID + "/" + name) }
        return try shell.command(forScriptText: """
            set -eu
            \(POSIXShell.exitTraps(cleanup: """
                if [ "$status" -ne 0 ]; then cd -- \(work) && rm -rf -- \(try POSIXShell.quote(upload)); fi
                """))
            mkdir -p -- \(work)
            cd -- \(work)
            mkdir -p store/sha256
            mkdir -m 700 -- \(try POSIXShell.quote(upload))
            mkdir -- \(try POSIXShell.quote(upload + "/p"))
            cd store/sha256
            cat >\(try up("names"))
            if LC_ALL=C grep -q '[^0-9a-fn-]' \(try up("names")); then
              echo "bad object name in the file list" >&2; exit 2
            fi
            LC_ALL=C xargs -r ls -1d -- <\(try up("names")) >\(try up("present")) 2>/dev/null || :
            xargs -r ln -t \(try up("p")) -- <\(try up("present"))
            LC_ALL=C sort -o \(try up("names")) \(try up("names"))
            LC_ALL=C sort -o \(try up("present")) \(try up("present"))
            LC_ALL=C comm -23 \(try up("names")) \(try up("present"))
            rm -f -- \(try up("names")) \(try up("present"))
            """)
    }

    /// The assembly (POSIX hosts): the tar stream on standard input, `newObjects` objects in it.
    public func assembleCommand(uploadID: String, digest: String, newObjects: Int) throws -> RemoteInvocation {
        precondition(shell.family == .posix)
        let upload = Self.uploadPath(uploadID: uploadID)
        let work = try POSIXShell.quote(workDirectory)
        let target = try POSIXShell.quote("contexts/" + digest)
        let folder = try POSIXShell.quote(upload)
        let link = Self.storeLink
        return try shell.command(forScriptText: """
            set -eu
            \(POSIXShell.exitTraps(cleanup: """
                cd -- \(work) && { if [ "$status" -ne 0 ] && [ -h \(folder)/\(link) ]; then \
                (cd -- \(folder) && xargs -r rm -f -- <added) || :; fi; rm -rf -- \(folder); }
                """))
            mkdir -p -- \(work)
            cd -- \(work)
            mkdir -p contexts store/sha256 \(try POSIXShell.quote(upload + "/p"))
            mkdir -m 700 -- \(try POSIXShell.quote(upload + "/c"))
            cd -- \(folder)
            : >added
            ln -s ../sha256 \(link)
            set -- sha256sum --
            if command -v openssl >/dev/null 2>&1 && [ "$(printf '' | openssl dgst -sha256 -r 2>/dev/null | cut -c1-64)" \
              = \(ContextManifest.emptyFileDigest) ]; then set -- openssl dgst -sha256 -r; fi
            { tar -x -v -p --no-same-owner -f - -C "$PWD" && echo done >extracted; } \
              | awk '/^\(link)\\// { print >>"added"; fflush("added"); if (prev != "") print prev; prev = $0 }
                END { if (prev != "") print prev }' \
              | xargs -r "$@" >sums
            [ -f extracted ]
            if [ ! -h \(link) ]; then
              echo "this host's tar replaced the link to the store instead of following it; install GNU tar" >&2; exit 1
            fi
            if ! awk -v n=\(newObjects) '{ f = $2; sub(/^\\*/, "", f); sub(/^\(link)\\//, "", f); if (index(f, $1 "-") == 1) ok++ }
              END { exit !(ok == n && NR == n) }' sums; then
              echo "the new store objects did not all arrive intact" >&2; exit 1
            fi
            cd ../..
            if [ -e \(target) ]; then touch -c -- \(target)
            else mv -T -- \(try POSIXShell.quote(upload + "/c")) \(target) || [ -d \(target) ]; fi
            """)
    }

    /// The upload folder's symbolic link to the store's objects (`../sha256`), the folder new objects are named in.
    static let storeLink = "s"
}
