import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Local file-system helpers shared by the SSH layer.
enum LocalPaths {
    /// An environment variable, read with `getenv` (`ProcessInfo.environment` copies the whole environment
    /// into a dictionary on every call).
    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// `$HOME`, or the password database's home directory.
    static var home: String {
        if let home = environment("HOME"), !home.isEmpty { return home }
        if let entry = getpwuid(getuid()), let dir = entry.pointee.pw_dir { return String(cString: dir) }
        return "/"
    }

    /// The local user's login name.
    static var userName: String {
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return environment("USER") ?? "root"
    }

    /// Expands a leading `~` or `~/`.
    static func expand(_ path: String) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") { return home + path.dropFirst() }
        return path
    }

    static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }
}
