import Shared

/// The content store of a POSIX host, `WORKDIR/store/sha256/OBJECT` (``ContextManifest/objectName(digest:entry:)``),
/// from which contexts are assembled with hard links.
///
/// One upload is one command, working in the upload's own folder `store/.up-ID` (``uploadCommand(uploadID:)``).
/// It first reads object names, answers those the store lacks and pins the others with a hard link in `p/` (the
/// retention removes only objects that nothing else links to). Then it extracts one tar stream into the folder
/// (``ContextSync/items(_:objectNames:missing:)``; gzip-compressed when it is mostly the headers of files the
/// host has, ``ContextSync/compresses(_:hostGunzips:)``): the context under `c/`, each new content as a file
/// followed by its store name `s/OBJECT` (`s` links to `../sha256`, and GNU tar follows a link already in place: the
/// name is a hard link, made only once the content is whole, and no object is moved afterwards), the rest as hard
/// links to the pins. Each new object is hashed as soon as tar has moved past it (its verbose listing names a member
/// before writing it), with `openssl dgst` where the host has a working one (one that prints
/// ``ContextManifest/emptyFileDigest`` for no input; it uses the CPU's SHA instructions), else `sha256sum`; every
/// object the host answered must arrive, and every digest must match its object's name, before `c` is published as
/// `contexts/DIGEST`. However it fails, the folder and the store names it added go, so a failed or interrupted
/// upload leaves no context and no object. One command, not a query and then an assembly: over a wide-area link,
/// each command costs its round trips (opening a channel, the exec request, the exit).
extension RemoteContextStore {
    /// The work directory (the parent of ``directory``).
    var workDirectory: String {
        String(directory.dropLast("/contexts".count))
    }

    /// The upload's folder, relative to the work directory.
    static func uploadPath(uploadID: String) -> String {
        "store/.up-" + uploadID
    }

    /// The line that ends the host's answer (the missing objects): no object name holds `m`, `i`, `s` or `g`.
    /// Followed by a space and ``gzipWord`` when the host can take a gzip-compressed tar stream.
    static let answerEnd = "missing-end"

    /// What the end of the answer says when the host has `gzip`.
    static let gzipWord = "gzip"

    /// The upload's first line, which the command waits for: the tree digest the context is published under and the
    /// size of the file list that follows. A command that gets end-of-file instead ends at once, having made nothing:
    /// so it can be started before the coordinator knows whether the host needs the context (``ContextSync/Started``).
    public static func uploadHeader(digest: String, listBytes: Int) -> [UInt8] {
        Array("upload \(digest) \(listBytes)\n".utf8)
    }

    /// The upload (POSIX hosts), one command in the upload's folder. Standard input brings first the
    /// ``uploadHeader(digest:listBytes:)`` line (or end-of-file: nothing to do), then the object names, one a line,
    /// `listBytes` bytes in all: the host pins the objects it has (a hard link in `p/`) and answers the
    /// others on standard output, one a line, then ``answerEnd`` (with ``gzipWord`` when the host has gzip). Then,
    /// once the coordinator has read the answer, one byte, `z` for a gzip-compressed tar stream or `t` for a plain
    /// one, and the tar stream (``ContextSync/items(_:objectNames:missing:)``): each object the host
    /// answered arrives once, is checked, and the context is published as `contexts/DIGEST`. The header is read with
    /// `read` (one byte at a time from a pipe), the list and the byte with `head -c`: none reads a byte past its
    /// part; nothing else is sent before the answer anyway.
    /// A Windows host takes the same input in its own command (``windowsUploadCommand(uploadID:)``).
    public func uploadCommand(uploadID: String) throws -> RemoteInvocation {
        guard shell.family == .posix else { return try windowsUploadCommand(uploadID: uploadID) }
        let upload = Self.uploadPath(uploadID: uploadID)
        let work = try POSIXShell.quote(workDirectory)
        let folder = try POSIXShell.quote(upload)
        let link = Self.storeLink
        return try shell.command(forScriptText: """
            IFS= read -r coordinator_upload || exit 0
            set -eu
            digest=${coordinator_upload#upload }
            list_bytes=${digest#* }
            digest=${digest%% *}
            case $coordinator_upload in 'upload '*) ;; *) digest= ;; esac
            case $digest$list_bytes in *[!0-9a-f]*|'') digest= ;; esac
            case $list_bytes in *[!0-9]*|'') digest= ;; esac
            if [ "${#digest}" -ne 64 ]; then echo "the upload did not begin with its header line" >&2; exit 2; fi
            target=contexts/$digest
            \(POSIXShell.exitTraps(cleanup: """
                cd -- \(work) && { if [ "$status" -ne 0 ] && [ -h \(folder)/\(link) ] && [ -f \(folder)/added ]; then \
                (cd -- \(folder) && xargs -r rm -f -- <added) || :; fi; rm -rf -- \(folder); }
                """))
            mkdir -p -- \(work)
            cd -- \(work)
            mkdir -p contexts store/sha256
            mkdir -m 700 -- \(folder)
            mkdir -- \(try POSIXShell.quote(upload + "/p"))
            mkdir -m 700 -- \(try POSIXShell.quote(upload + "/c"))
            cd -- \(folder)
            head -c "$list_bytes" >names
            if [ "$(($(wc -c <names)))" -ne "$list_bytes" ]; then echo "the file list arrived cut short" >&2; exit 2; fi
            if LC_ALL=C grep -q '[^0-9a-fn-]' names; then
              echo "bad object name in the file list" >&2; exit 2
            fi
            up=$PWD
            (cd ../sha256 && LC_ALL=C xargs -r ls -1d -- <"$up/names") >present 2>/dev/null || :
            (cd ../sha256 && xargs -r ln -t "$up/p" --) <present
            LC_ALL=C sort -o names names
            LC_ALL=C sort -o present present
            LC_ALL=C comm -23 names present >missing
            cat missing
            if command -v gzip >/dev/null 2>&1; then echo \(try POSIXShell.quote(Self.answerEnd + " " + Self.gzipWord)); else echo \(Self.answerEnd); fi
            expected=$(wc -l <missing)
            rm -f names present missing
            : >added
            ln -s ../sha256 \(link)
            set -- sha256sum --
            if command -v openssl >/dev/null 2>&1 && [ "$(printf '' | openssl dgst -sha256 -r 2>/dev/null | cut -c1-64)" \
              = \(ContextManifest.emptyFileDigest) ]; then set -- openssl dgst -sha256 -r; fi
            format=$(head -c 1)
            case $format in z|t) ;; *) echo "no archive followed the answer" >&2; exit 2 ;; esac
            # tar stops reading at the archive's end: the rest is read too, so that gzip checks the whole stream.
            extract() { tar -x -v -p --no-same-owner -f - -C "$PWD" && echo done >extracted; cat >/dev/null; }
            if [ "$format" = z ]; then { gzip -dc && echo done >gunzipped; } | extract; else extract; fi \
              | awk '/^\(link)\\// { print >>"added"; fflush("added"); if (prev != "") print prev; prev = $0 }
                END { if (prev != "") print prev }' \
              | xargs -r "$@" >sums
            if [ "$format" = z ] && [ ! -f gunzipped ]; then echo "the compressed stream arrived damaged" >&2; exit 1; fi
            [ -f extracted ] || { echo "the tar stream could not be extracted" >&2; exit 1; }
            if [ ! -h \(link) ]; then
              echo "this host's tar replaced the link to the store instead of following it; install GNU tar" >&2; exit 1
            fi
            if ! awk -v n="$expected" '{ f = $2; sub(/^\\*/, "", f); sub(/^\(link)\\//, "", f); if (index(f, $1 "-") == 1) ok++ }
              END { exit !(ok == n && NR == n) }' sums; then
              echo \(try POSIXShell.quote(Self.damagedObjects)) >&2; exit \(Self.damagedStatus)
            fi
            cd ../..
            if [ -e "$target" ]; then touch -c -- "$target"
            else mv -T -- \(try POSIXShell.quote(upload + "/c")) "$target" || [ -d "$target" ]; fi
            """)
    }

    /// What the upload command says when a new object's content does not match its name (its manifest digest).
    static let damagedObjects = "the new store objects did not all arrive intact"

    /// The upload command's exit status when a new object's content does not match its name (EX_DATAERR): what the
    /// coordinator goes by, whatever else the host wrote to standard error before ``damagedObjects``.
    static let damagedStatus: Int32 = 65

    /// The upload folder's symbolic link to the store's objects (`../sha256`), the folder new objects are named in.
    static let storeLink = "s"
}
