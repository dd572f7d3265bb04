/// Go's `path/filepath.Clean` on a slash-separated path (Unix), which Docker applies to every ignore pattern.
///
/// Rules (Go documentation): replace runs of `/` with one; drop `.` elements; drop each `..` with the
/// non-`..` element before it; drop `..` that begin a rooted path; an empty result is `.`.
/// Works on Unicode scalars and never reorders or normalises them.
enum GoPath {
    static func clean(_ path: String) -> String {
        if path.isEmpty {
            return "."
        }
        let rooted = path.hasPrefix("/")
        var kept: [Substring] = []
        for element in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch element {
            case ".":
                continue
            case "..":
                if let last = kept.last, last != ".." {
                    kept.removeLast()
                } else if !rooted {
                    kept.append(element)
                }
            default:
                kept.append(element)
            }
        }
        let joined = kept.joined(separator: "/")
        if rooted {
            return "/" + joined
        }
        return joined.isEmpty ? "." : joined
    }

    /// Go's `path.Dir`-like parent of a relative slash path: `a/b/c` → `a/b`, `a` → `.`.
    static func parent(_ path: String) -> String {
        guard let slash = path.unicodeScalars.lastIndex(of: "/") else { return "." }
        return String(path.unicodeScalars[..<slash])
    }
}
