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
        // Scalars, not Characters: "/" followed by a combining mark is still a separator to the file system.
        let rooted = path.unicodeScalars.first == "/"
        var kept: [Substring.UnicodeScalarView] = []
        for element in path.unicodeScalars.split(separator: "/", omittingEmptySubsequences: true) {
            switch String(element) {
            case ".":
                continue
            case "..":
                if let last = kept.last, String(last) != ".." {
                    kept.removeLast()
                } else if !rooted {
                    kept.append(element)
                }
            default:
                kept.append(element)
            }
        }
        let joined = kept.map(String.init).joined(separator: "/")
        if rooted {
            return "/" + joined
        }
        return joined.isEmpty ? "." : joined
    }

    /// Whether `text` starts with `prefix`, scalar by scalar (Go compares bytes; Swift's `hasPrefix` compares
    /// Characters, so `"!\u{301}a".hasPrefix("!")` is false).
    static func hasPrefix(_ text: String, _ prefix: String) -> Bool {
        text.unicodeScalars.starts(with: prefix.unicodeScalars)
    }

    /// Go's `path.Dir`-like parent of a relative slash path: `a/b/c` → `a/b`, `a` → `.`.
    static func parent(_ path: String) -> String {
        guard let slash = path.unicodeScalars.lastIndex(of: "/") else { return "." }
        return String(path.unicodeScalars[..<slash])
    }
}
