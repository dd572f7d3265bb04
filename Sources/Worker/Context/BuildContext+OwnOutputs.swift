#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension BuildContext {
    /// The context-relative forms of those `paths` that lie inside the context directory `root`.
    ///
    /// `paths` are this machine's paths (absolute, or relative to the working directory) of what the
    /// coordinator itself writes during a build: its log directory and tarballs. With the default context `.`
    /// they are inside the context; sending them would ship files that change while they are sent (a log
    /// grows as the upload is logged) and a context whose fingerprint differs on every run.
    static func contextRelative(_ paths: [String], inside root: String) -> Set<String> {
        guard let base = realPath(root), let workingDirectory = realPath(".") else { return [] }
        var inside: Set<String> = []
        for path in paths {
            let absolute = GoPath.clean(path.hasPrefix("/") ? path : workingDirectory + "/" + path)
            // The path need not exist yet: resolve its nearest existing ancestor (a symlinked output directory).
            var existing = absolute.split(separator: "/").map(String.init)
            var rest: [String] = []
            while !existing.isEmpty, realPath("/" + existing.joined(separator: "/")) == nil {
                rest.insert(existing.removeLast(), at: 0)
            }
            guard let resolved = realPath("/" + existing.joined(separator: "/")) else { continue }
            let full = GoPath.clean(([resolved] + rest).joined(separator: "/"))
            if base == "/" {
                inside.insert(String(full.dropFirst()))
            } else if GoPath.hasPrefix(full, base + "/") {
                inside.insert(String(full.dropFirst(base.count + 1)))
            }
        }
        return inside
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
