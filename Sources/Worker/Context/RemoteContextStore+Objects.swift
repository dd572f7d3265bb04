import Shared

/// The content store of a POSIX host, `WORKDIR/store/sha256/OBJECT` (``ContextManifest/objectName(digest:entry:)``),
/// from which contexts are assembled with hard links.
///
/// One upload is two commands, both working in the upload's own folder `store/.up-ID`. The query reads object
/// names on standard input, prints those the store lacks and pins the others with a hard link in `p/` (the
/// retention removes only objects that nothing else links to). The assembly extracts one tar stream into the
/// folder: the missing objects under `o/`, the context under `c/`, its files hard links to `o/` or `p/` (short
/// link names: no pax record per file), hashing each new object as soon as tar has moved past it (its verbose
/// listing names a member before writing it; with `openssl dgst` where the host has it, which uses the CPU's SHA
/// instructions, else `sha256sum`). It then checks every new object's SHA-256 against its name, moves the
/// objects into the store and publishes `c` as `contexts/DIGEST`. However it ends, the folder goes, so an
/// interrupted upload leaves no context and no object behind.
extension RemoteContextStore {
    /// The work directory (the parent of ``directory``).
    var workDirectory: String {
        String(directory.dropLast("/contexts".count))
    }

    /// The upload's folder, relative to the work directory.
    static func uploadPath(uploadID: String) -> String {
        "store/.up-" + uploadID
    }

    private func traps(removing path: String) throws -> String {
        """
        cleanup() { status=$?; cd -- \(try POSIXShell.quote(workDirectory)) && \
        rm -rf -- \(try POSIXShell.quote(path)); exit "$status"; }
        trap cleanup EXIT
        trap 'exit 129' HUP
        trap 'exit 130' INT
        trap 'exit 143' TERM
        """
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
            cleanup() { status=$?; if [ "$status" -ne 0 ]; then cd -- \(work) && \
            rm -rf -- \(try POSIXShell.quote(upload)); fi; exit "$status"; }
            trap cleanup EXIT
            trap 'exit 129' HUP
            trap 'exit 130' INT
            trap 'exit 143' TERM
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

    /// The SHA-256 of no bytes: `openssl dgst` is used for the objects' check only when it prints this for no input.
    static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The assembly (POSIX hosts): the tar stream on standard input, `newObjects` objects in it.
    public func assembleCommand(uploadID: String, digest: String, newObjects: Int) throws -> RemoteInvocation {
        precondition(shell.family == .posix)
        let upload = Self.uploadPath(uploadID: uploadID)
        let work = try POSIXShell.quote(workDirectory)
        let target = try POSIXShell.quote("contexts/" + digest)
        return try shell.command(forScriptText: """
            set -eu
            \(try traps(removing: upload))
            mkdir -p -- \(work)
            cd -- \(work)
            mkdir -p contexts store/sha256 \(try POSIXShell.quote(upload + "/p")) \
              \(try POSIXShell.quote(upload + "/o"))
            mkdir -m 700 -- \(try POSIXShell.quote(upload + "/c"))
            set -- sha256sum --
            if command -v openssl >/dev/null 2>&1 && [ "$(printf '' | openssl dgst -sha256 -r 2>/dev/null | cut -c1-64)" \
              = \(Self.emptySHA256) ]; then set -- openssl dgst -sha256 -r; fi
            { tar -x -v -p --no-same-owner -f - -C \(try POSIXShell.quote(workDirectory + "/" + upload)) \
              && echo done >\(try POSIXShell.quote(upload + "/extracted")); } \
              | awk '/^o\\// { if (prev != "") print prev; prev = $0 } END { if (prev != "") print prev }' \
              | (cd -- \(try POSIXShell.quote(upload)) && xargs -r "$@") \
              >\(try POSIXShell.quote(upload + "/sums"))
            [ -f \(try POSIXShell.quote(upload + "/extracted")) ]
            if ! awk -v n=\(newObjects) '{ f = $2; sub(/^\\*/, "", f); sub(/^o\\//, "", f); if (index(f, $1 "-") == 1) ok++ }
              END { exit !(ok == n && NR == n) }' \(try POSIXShell.quote(upload + "/sums")); then
              echo "the new store objects did not all arrive intact" >&2; exit 1
            fi
            if [ \(newObjects) -gt 0 ]; then
              cd -- \(try POSIXShell.quote(upload + "/o"))
              find . -type f -exec mv -f -t ../../sha256 -- {} +
              cd ../../..
            fi
            if [ -e \(target) ]; then touch -c -- \(target)
            else mv -T -- \(try POSIXShell.quote(upload + "/c")) \(target) || [ -d \(target) ]; fi
            """)
    }
}
