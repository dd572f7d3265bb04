/// The path BuildKit is given for a context, chosen so that it sends only what changed since its last build, and
/// never misses a change.
///
/// BuildKit sends a local context directory to the builder incrementally, keyed by the *base name* of the path it
/// is given and the client's node id (buildx `build/opt.go`: `filepath.Base` of the context path, since buildx 0.7):
/// it compares each file's metadata (size, modification time, mode, owner, link target) with its copy from the last
/// transfer under that key and sends only the files whose metadata differ, like rsync. A host assembles every
/// context in a new directory, `contexts/DIGEST`, so BuildKit would receive each new context whole (65 MB, 2-4 s on
/// the test fleet for 64 MiB; the hand-written pattern of one directory reused sends 0.1 MB).
///
/// A build therefore enters its context through a link of its slot, `slots/N.KEY.GEN`: the same path, build after
/// build, while BuildKit's copy under it is known exactly: the link's target when the last build through it ended
/// successfully (`slots/N.KEY.GEN.ok` holds that target; a build through the link removes it first). `GEN` is 16
/// random hexadecimal digits, so that no other link (another work directory's slot N, another pipeline's, a user's
/// own directory) has the same base name and with it BuildKit's copy. Before it points the link at a new context,
/// the build compares the two trees: a file of the same path, size, time and mode on another inode, which is
/// another content (files are hard links to content-addressed store objects), is the change BuildKit's comparison
/// would miss (moby/buildkit#2592, #4950). Then, or when the last build through the link did not end well, its
/// target was pruned, a file name holds a newline or tab, or GNU find is missing, the build takes a new `GEN`: a new
/// path, which BuildKit receives whole. The slot is the build's own (`flock`), so no other build moves the link
/// meanwhile; without a slot (no `flock` on the host) the build enters the directory itself.
enum StableBuildContext {
    /// The sh lines that set `coordinator_ctx` and change into it (the build's context argument is then `.`).
    static func enter(_ path: String, key: String) throws -> String {
        let directory = try POSIXShell.quote(path)
        let key = try POSIXShell.quote(sanitized(key))
        return """
            coordinator_ctx=\(directory)
            if [ -n "${coordinator_slot_path:-}" ]; then
              coordinator_link="$coordinator_slot_path".\(key)
              coordinator_gen=$(cat -- "$coordinator_link.generation" 2>/dev/null || :)
              case $coordinator_gen in *[!0-9a-f]*) coordinator_gen= ;; esac
              [ ${#coordinator_gen} -eq 16 ] || coordinator_gen=
              coordinator_old="$coordinator_link.$coordinator_gen"
              if [ -n "$coordinator_gen" ] && [ -h "$coordinator_old" ] && [ -d "$coordinator_old/" ] \\
                && [ "$(readlink -- "$coordinator_old")" = "$(cat -- "$coordinator_old.ok" 2>/dev/null)" ] \\
                && [ -z "$(find "$coordinator_old/" \(directory)/ \\( -name "$(printf '*\\n*')" \\
                  -o -name "$(printf '*\\t*')" \\) -print 2>/dev/null | head -c 1)" ] \\
                && { find "$coordinator_old/" -type f -printf 'o\\t%P\\t%i\\t%s\\t%T@\\t%m\\n' \\
                  && find \(directory)/ -type f -printf 'n\\t%P\\t%i\\t%s\\t%T@\\t%m\\n'; } 2>/dev/null \\
                  | awk -F '\\t' '$1 == "o" { o[$2] = $3 FS $4 FS $5 FS $6; next }
                    ($2 in o) { split(o[$2], a, FS); if (a[1] != $3 && a[2] == $4 && a[3] == $5 && a[4] == $6) { hidden = 1; exit } }
                    END { exit hidden }'; then
                :
              else
                [ -z "$coordinator_gen" ] || rm -f -- "$coordinator_old" "$coordinator_old.ok"
                coordinator_gen=$(od -An -N8 -tx1 /dev/urandom 2>/dev/null | tr -d ' \\n')
                [ ${#coordinator_gen} -eq 16 ] || coordinator_gen=$(printf '%08x%08x' "$(date +%s)" "$$")
                printf '%s\\n' "$coordinator_gen" >"$coordinator_link.generation"
              fi
              coordinator_ctx="$coordinator_link.$coordinator_gen"
              rm -f -- "$coordinator_ctx.ok"
              ln -sfn -- \(directory) "$coordinator_ctx"
            fi
            cd -- "$coordinator_ctx"
            """
    }

    /// The sh line after a successful build: the link's target is what BuildKit now holds under its path.
    static let received = """
        if [ -h "$coordinator_ctx" ]; then readlink -- "$coordinator_ctx" >"$coordinator_ctx.ok"; fi
        """

    /// `key` reduced to `[A-Za-z0-9_.-]`: a part of a file name.
    static func sanitized(_ key: String) -> String {
        String(key.map { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) ? $0 : "_" })
    }
}
