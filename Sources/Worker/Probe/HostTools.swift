import Shared

/// The programs the build path runs on a POSIX host beyond the builder, as `hosts check` finds them.
///
/// The upload (``RemoteContextStore/uploadCommand(uploadID:)``) extracts with GNU tar through a
/// link already in place and keeping modes (`-p`) for an ordinary user, reads its file list and format byte with
/// `head -c` (which must read no byte past them), pins objects with `ln -t` and publishes with `mv -T` (GNU
/// coreutils); BusyBox's `tar`, `head` and `ln` fail those silently or late. These are checked by behaviour, the
/// rest of what the scripts run by presence. Optional programs each have a fallback that costs something
/// (``Check/effect``): they are notes, not failures.
///
/// The checks are one shell function of the probe command (``posixLines``), run beside the builder's questions:
/// `hosts check` pays no round trip for them. Each failed check prints `ID<TAB>DETAIL`; nothing means all passed.
public struct HostTools: Sendable, Hashable, Codable {
    /// One check that failed.
    public struct Finding: Sendable, Hashable, Codable {
        /// The program, or the program and the option it must support (`tar`, `head -c`, `find -printf`).
        public var tool: String
        /// True when the build path cannot work without it (the host is unusable); false for a note.
        public var required: Bool
        /// What the host has: `missing`, or what is wrong with the one it has.
        public var found: String
        /// What the build path does with it, or loses without it.
        public var effect: String
        /// How to install it.
        public var fix: String

        /// One line for a note: the tool, what the host has, what is lost, how to install it.
        public var note: String {
            "\(tool) \(found): \(effect); \(fix)"
        }

        /// Creates a finding.
        public init(tool: String, required: Bool, found: String, effect: String, fix: String) {
            self.tool = tool
            self.required = required
            self.found = found
            self.effect = effect
            self.fix = fix
        }
    }

    /// The checks that failed, in the order of ``checks``.
    public var findings: [Finding]

    /// Creates a result.
    public init(findings: [Finding] = []) {
        self.findings = findings
    }

    /// The failed checks of required tools: each makes the host unusable.
    public var missing: [Finding] { findings.filter(\.required) }
    /// The failed checks of optional tools.
    public var notes: [Finding] { findings.filter { !$0.required } }

    /// Why the host cannot build, naming every required tool that failed and how to install it; nil when none did.
    public var problem: String? {
        let missing = missing
        guard !missing.isEmpty else { return nil }
        return "the build needs host tools it does not have: "
            + missing.map { "\($0.tool) (\($0.found); \($0.effect)): \($0.fix)" }.joined(separator: "; ")
    }

    /// One check: the section ID the probe prints when it fails, and what that means.
    struct Check: Sendable {
        let id: String
        let tool: String
        let required: Bool
        let effect: String
        let fix: String
        /// Only for these builders (nil: all).
        var builders: Set<BuilderKind>? = nil
    }

    /// `install PACKAGE (Debian/Ubuntu: apt-get install DEBIAN; Alpine: apk add ALPINE)`.
    static func install(_ what: String, debian: String, alpine: String) -> String {
        "install \(what) (Debian/Ubuntu: apt-get install \(debian); Alpine: apk add \(alpine))"
    }

    /// Required programs checked by presence only, with the package that has them.
    static let present: [(tools: [String], fix: String)] = [
        (["cat", "comm", "cut", "dd", "du", "ln", "ls", "mkdir", "mv", "readlink", "rm", "sleep", "sort", "touch",
          "wc", "head"], install("GNU coreutils", debian: "coreutils", alpine: "coreutils")),
        (["find", "xargs"], install("findutils", debian: "findutils", alpine: "findutils")),
        (["grep"], install("grep", debian: "grep", alpine: "grep")),
        (["awk"], install("awk", debian: "mawk", alpine: "gawk")),
    ]

    /// Optional programs checked by presence only.
    static let optional = ["gzip", "flock", "mktemp"]

    /// Every check, by ID.
    static let checks: [Check] = {
        let coreutils = install("GNU coreutils", debian: "coreutils", alpine: "coreutils")
        var checks = present.flatMap { group in
            group.tools.map {
                Check(id: $0, tool: $0, required: true, effect: "the build scripts run it", fix: group.fix)
            }
        }
        checks += [
            Check(id: "tar", tool: "tar", required: true,
                effect: "the upload unpacks the context with GNU tar, which follows the link to the content store "
                    + "already in place, keeps modes (-p) for an ordinary user and lists each member as it goes",
                fix: install("GNU tar", debian: "tar", alpine: "tar")),
            Check(id: "head-c", tool: "head -c", required: true,
                effect: "the upload reads its file list and format byte with `head -c`, which must read no byte past "
                    + "them (BusyBox head reads ahead into the archive)",
                fix: coreutils),
            Check(id: "mv-T", tool: "mv -T", required: true, effect: "the upload publishes the context with `mv -T`",
                fix: coreutils),
            Check(id: "ln-t", tool: "ln -t", required: true,
                effect: "the upload pins the objects the host already has with `ln -t`", fix: coreutils),
            Check(id: "xargs-r", tool: "xargs -r", required: true,
                effect: "the upload and the prune run commands over lists that may be empty with `xargs -r`",
                fix: install("findutils", debian: "findutils", alpine: "findutils")),
            Check(id: "sha256sum", tool: "sha256sum", required: true,
                effect: "the upload checks each new object's SHA-256 with `openssl dgst` or `sha256sum`, and neither "
                    + "works", fix: coreutils + " or openssl"),
            Check(id: "gzip", tool: "gzip", required: false,
                effect: "the incremental upload is sent uncompressed (a 512-byte tar header for every file of the "
                    + "context the host already has)",
                fix: install("gzip", debian: "gzip", alpine: "gzip")),
            Check(id: "openssl", tool: "openssl", required: false,
                effect: "hashing on the host (each new file of an upload, each fetched archive) uses `sha256sum`, "
                    + "about 5 times slower",
                fix: install("openssl", debian: "openssl", alpine: "openssl")),
            Check(id: "flock", tool: "flock", required: false,
                effect: "builds take no slot (the host's capacity is not enforced across coordinator runs), a prune may "
                    + "remove a context a build is reading, and BuildKit receives each context whole",
                fix: install("flock", debian: "util-linux", alpine: "util-linux")),
            Check(id: "find-printf", tool: "find -printf", required: false,
                effect: "BuildKit receives each context whole instead of only what changed since the last build",
                fix: install("GNU findutils", debian: "findutils", alpine: "findutils"), builders: [.buildx]),
            Check(id: "mktemp", tool: "mktemp", required: false,
                effect: "the probe before each build asks the builder's questions one after another instead of at once",
                fix: coreutils),
            Check(id: "scratch", tool: "temporary directory", required: false,
                effect: "the behaviour of tar, mv -T, ln -t and find -printf could not be checked",
                fix: "make TMPDIR (or /tmp) writable for the build user"),
        ]
        return checks
    }()

    /// The name of the shell function ``posixLines`` defines.
    static let function = "coordinator_tools"

    /// The POSIX sh lines that define ``function``: it prints `ID<TAB>DETAIL` for each check that fails. Its body
    /// is a subshell, so that its scratch directory's `EXIT` trap is its own. Takes no value from the inventory.
    static var posixLines: [String] {
        let presence = (present.flatMap(\.tools) + optional).joined(separator: " ")
        let empty = ContextManifest.emptyFileDigest
        return [
            "\(function)() (",
            "    say() { printf '%s\\t%s\\n' \"$1\" \"$2\"; }",
            "    has() { command -v \"$1\" >/dev/null 2>&1; }",
            "    for t in \(presence); do has \"$t\" || say \"$t\" missing; done",
            "    if has openssl && [ \"$(printf '' | openssl dgst -sha256 -r 2>/dev/null | cut -c1-64)\" = \(empty) ]; "
                + "then o=1; else o=0; if has openssl; then say openssl 'does not hash'; else say openssl missing; fi; fi",
            "    if [ \"$o\" = 0 ] && ! { has sha256sum && [ \"$(printf '' | sha256sum 2>/dev/null | cut -c1-64)\" "
                + "= \(empty) ]; }; then say sha256sum missing; fi",
            "    if has head && [ \"$(printf abc | { head -c 1 >/dev/null; cat; })\" != bc ]; then "
                + "say head-c 'reads past the count'; fi",
            "    if has xargs && { [ -n \"$(printf '' | xargs -r echo x 2>/dev/null)\" ] "
                + "|| [ \"$(echo y | xargs -r echo x 2>/dev/null)\" != 'x y' ]; }; then say xargs-r 'has no -r'; fi",
            "    gnutar=0",
            "    if has tar; then",
            // `$(printf '\n_')` keeps its newline (command substitution strips only trailing ones); `v` is then cut
            // at its first newline: `tar --version`'s first line.
            "        nl=$(printf '\\n_'); nl=${nl%_}; v=$(tar --version 2>&1 </dev/null); v=${v%%\"$nl\"*}",
            "        case $v in *'GNU tar'*) gnutar=1 ;; *) say tar \"not GNU tar: tar --version says: ${v:-nothing}\" ;; esac",
            "    else say tar missing; fi",
            "    d=$(mktemp -d 2>/dev/null) || { d=${TMPDIR:-/tmp}/coordinator-tools.$$ && mkdir -m 700 -- \"$d\"; } "
                + "2>/dev/null || d=",
            "    if [ -n \"$d\" ] && cd -- \"$d\"; then",
            "        trap 'cd / && rm -rf -- \"$d\"' EXIT",
            "        if [ \"$gnutar\" = 1 ] && ! { mkdir -p a/c a/s b/c store && printf x >a/c/f && chmod 775 a/c/f "
                + "&& ln a/c/f a/s/f && ln -s ../store b/s && (cd a && tar -c -f ../t.tar c/f s/f) "
                + "&& (umask 077 && tar -x -p --no-same-owner -f t.tar -C b) && [ -h b/s ] && [ -f store/f ] "
                + "&& [ -n \"$(find b/c/f -perm 775)\" ]; } >/dev/null 2>&1; then",
            "            say tar 'did not extract through a link in place keeping modes (-p)'",
            "        fi",
            "        if has mv && ! { mkdir m && mv -T -- m n && [ -d n ]; } >/dev/null 2>&1; then say mv-T 'has no -T'; fi",
            "        if has ln && ! { : >l && mkdir p && ln -t p -- l && [ -f p/l ]; } >/dev/null 2>&1; then "
                + "say ln-t 'has no -t'; fi",
            "        if has find && [ \"$(find . -prune -printf x 2>/dev/null)\" != x ]; then "
                + "say find-printf 'not GNU find'; fi",
            "    else say scratch \"cannot make a directory in ${TMPDIR:-/tmp}\"; fi",
            "    exit 0",
            ")",
        ]
    }

    /// Parses the function's output for a host whose builder is `builder` (checks for other builders are dropped).
    static func parse(_ text: String, builder: BuilderKind) -> HostTools {
        var findings: [Finding] = []
        var seen: Set<String> = []
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            guard let id = parts.first?.trimmingCharacters(in: .whitespaces), !id.isEmpty, seen.insert(id).inserted
            else { continue }
            let found = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "missing"
            guard let check = checks.first(where: { $0.id == id }) else {
                findings.append(Finding(tool: id, required: true, found: found, effect: "the build path runs it",
                    fix: "install it"))
                continue
            }
            if let builders = check.builders, !builders.contains(builder) { continue }
            findings.append(
                Finding(tool: check.tool, required: check.required, found: found, effect: check.effect, fix: check.fix))
        }
        let order = Dictionary(checks.enumerated().map { ($1.tool, $0) }, uniquingKeysWith: { first, _ in first })
        return HostTools(findings: findings.sorted { (order[$0.tool] ?? .max) < (order[$1.tool] ?? .max) })
    }
}
