import Shared

/// The content store of a POSIX host, `WORKDIR/store/sha256/OBJECT` (``ContextManifest/objectName(digest:entry:)``),
/// from which contexts are assembled with hard links.
///
/// One upload is two commands. The query reads object names on standard input, prints those the store lacks,
/// and pins the others with a hard link in `store/.pin-ID` (the retention removes only objects no context
/// and no pin links to). The assembly extracts one tar stream, relative to the work directory, that holds
/// the missing objects under `store/.incoming-ID/` and the context under `contexts/.incoming-ID/`, its files
/// hard links to objects; then checks every new object's SHA-256 against its name, moves the objects into
/// the store and publishes the context as `contexts/DIGEST`. However it ends, the pins and the new objects'
/// folder go; on failure or interruption the half-assembled context goes too.
extension RemoteContextStore {
    /// The work directory (the parent of ``directory``).
    var workDirectory: String {
        String(directory.dropLast("/contexts".count))
    }

    /// `store/.pin-ID`, relative to the work directory.
    static func pinPath(uploadID: String) -> String {
        "store/.pin-" + uploadID
    }

    /// `store/.incoming-ID`, relative to the work directory.
    static func objectsPath(uploadID: String) -> String {
        "store/.incoming-" + uploadID
    }

    /// `contexts/.incoming-ID`, relative to the work directory.
    static func contextPath(uploadID: String) -> String {
        "contexts/.incoming-" + uploadID
    }

    private func traps(onFailure: [String], always: [String]) throws -> String {
        let failure = try onFailure.map(POSIXShell.quote).joined(separator: " ")
        let cleanup = try always.map(POSIXShell.quote).joined(separator: " ")
        return """
            cleanup() { status=$?; cd -- \(try POSIXShell.quote(workDirectory)) || exit "$status"; \
            if [ "$status" -ne 0 ]; then rm -rf -- \(failure); fi; \(always.isEmpty ? ":" : "rm -rf -- " + cleanup); \
            exit "$status"; }
            trap cleanup EXIT
            trap 'exit 129' HUP
            trap 'exit 130' INT
            trap 'exit 143' TERM
            """
    }

    /// The query (POSIX hosts): object names, one a line, on standard input; the missing ones on standard output.
    public func queryCommand(uploadID: String) throws -> RemoteInvocation {
        precondition(shell.family == .posix)
        let pin = Self.pinPath(uploadID: uploadID)
        let present = try POSIXShell.quote("../.pin-" + uploadID + "/.present")
        return try shell.command(forScriptText: """
            set -eu
            \(try traps(onFailure: [pin], always: []))
            mkdir -p -- \(try POSIXShell.quote(workDirectory))
            cd -- \(try POSIXShell.quote(workDirectory))
            mkdir -p store/sha256
            mkdir -m 700 -- \(try POSIXShell.quote(pin))
            cd store/sha256
            while IFS= read -r n; do
              case $n in ''|*[!0-9a-fn-]*) echo "bad object name in the file list" >&2; exit 2 ;; esac
              if [ -f "$n" ]; then printf '%s\\n' "$n" >&3; else printf '%s\\n' "$n"; fi
            done 3>\(present)
            xargs -r ln -t \(try POSIXShell.quote("../.pin-" + uploadID)) -- <\(present)
            rm -f -- \(present)
            """)
    }

    /// The assembly (POSIX hosts): the tar stream on standard input, `newObjects` objects in it.
    public func assembleCommand(uploadID: String, digest: String, newObjects: Int) throws -> RemoteInvocation {
        precondition(shell.family == .posix)
        let pin = Self.pinPath(uploadID: uploadID)
        let objects = Self.objectsPath(uploadID: uploadID)
        let incoming = Self.contextPath(uploadID: uploadID)
        let target = try POSIXShell.quote("contexts/" + digest)
        let quotedIncoming = try POSIXShell.quote(incoming)
        return try shell.command(forScriptText: """
            set -eu
            \(try traps(onFailure: [incoming], always: [pin, objects]))
            mkdir -p -- \(try POSIXShell.quote(workDirectory))
            cd -- \(try POSIXShell.quote(workDirectory))
            mkdir -p contexts store/sha256
            rm -rf -- \(quotedIncoming)
            mkdir -m 700 -- \(quotedIncoming)
            tar -x -p --no-same-owner -f - -C \(try POSIXShell.quote(workDirectory))
            if [ \(newObjects) -gt 0 ]; then
              cd -- \(try POSIXShell.quote(objects))
              checked=$(find . -type f -exec sha256sum -- {} + | while read -r d f; do
                case $f in "./$d"-*) echo ok ;; *) echo "store object ${f#./} arrived with other content" >&2 ;; esac
              done | wc -l)
              if [ "$checked" -ne \(newObjects) ]; then
                echo "only $checked of \(newObjects) new store objects arrived intact" >&2; exit 1
              fi
              find . -type f -exec mv -f -t ../sha256 -- {} +
              cd ../..
            fi
            if [ -e \(target) ]; then touch -c -- \(target); else mv -- \(quotedIncoming) \(target); fi
            rm -rf -- \(try POSIXShell.quote("contexts/" + digest + "/.incoming-" + uploadID)) \(quotedIncoming)
            """)
    }
}
