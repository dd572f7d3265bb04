/// Context paths a Windows host cannot hold, found before anything is sent.
///
/// The rules are those of "Naming Files, Paths, and Namespaces" (Microsoft Learn): the names `CON`, `PRN`,
/// `AUX`, `NUL`, `COM0`–`COM9`, `LPT0`–`LPT9` (and their superscript-digit forms) are reserved in any case and
/// with any extension (`aux.go`, `nul.txt`); `< > : " / \ | ? *` and the control characters 1–31 are not allowed
/// in a name; a name may not end in a dot or a space; and NTFS directories are case-insensitive by default, so
/// two paths equal but for case are one file there. bsdtar (`tar.exe`) on the host would fail on each of these
/// half-way through the extraction, which looked like a host failure and was retried on every host.
public enum NTFSNames {
    static let reserved: Set<String> = {
        var names: Set<String> = ["con", "prn", "aux", "nul"]
        for digit in ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "\u{B9}", "\u{B2}", "\u{B3}"] {
            names.insert("com" + digit)
            names.insert("lpt" + digit)
        }
        return names
    }()

    static let forbidden: Set<Unicode.Scalar> = ["<", ">", ":", "\"", "\\", "|", "?", "*"]

    /// Why the name `component` cannot exist on NTFS, or nil when it can.
    public static func problem(withName component: String) -> String? {
        if let bad = component.unicodeScalars.first(where: { forbidden.contains($0) || $0.value < 32 }) {
            let shown = bad.value < 32
                ? "control character U+\(String(bad.value, radix: 16, uppercase: true))" : "'\(bad)'"
            return "it contains \(shown), which Windows does not allow in a file name"
        }
        if component.hasSuffix(".") || component.hasSuffix(" ") {
            return "it ends in a \(component.hasSuffix(".") ? "dot" : "space"), which Windows drops from a file name"
        }
        let stem = component.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        var trimmedStem = Substring(stem)
        while trimmedStem.hasSuffix(" ") { trimmedStem = trimmedStem.dropLast() }
        if reserved.contains(trimmedStem.lowercased()) {
            return "'\(trimmedStem)' is a reserved device name on Windows, with any extension"
        }
        return nil
    }

    /// The first context path (relative, `/`-separated) a Windows host cannot hold, and why; nil when all can.
    public static func problem(in paths: [String]) -> (path: String, reason: String)? {
        var seen: [String: String] = [:]
        for path in paths {
            for component in path.split(separator: "/") {
                if let reason = problem(withName: String(component)) {
                    return (path, reason)
                }
            }
            let folded = path.lowercased()
            if let other = seen[folded], other != path {
                return (path, "it differs from '\(other)' only in case, and Windows file names ignore case")
            }
            seen[folded] = path
        }
        return nil
    }
}
