import Foundation

/// A directory to use as a command's whole `PATH`: a symbolic link to every program of /usr/sbin, /usr/bin, /sbin
/// and /bin (the first of a name wins) but those left out, and those replaced linked to another program instead
/// (`["tar": "/bin/busybox"]`: BusyBox runs the applet its link is named after). A host (a local `sh`, or an sshd
/// that sets `PATH` with `SetEnv`) then lacks a tool, or has another one, with nothing else changed.
public struct ToolPath: Sendable {
    /// The directory.
    public let path: String

    /// Makes one under the temporary directory.
    public init(without left: Set<String> = [], replacing replaced: [String: String] = [:]) throws {
        path = NSTemporaryDirectory() + "tool-path-" + UUID().uuidString
        let files = FileManager.default
        try files.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, program) in replaced {
            try files.createSymbolicLink(atPath: path + "/" + name, withDestinationPath: program)
        }
        for folder in ["/usr/sbin", "/usr/bin", "/sbin", "/bin"] {
            for name in (try? files.contentsOfDirectory(atPath: folder)) ?? []
            where !left.contains(name) && replaced[name] == nil && !files.fileExists(atPath: path + "/" + name) {
                try files.createSymbolicLink(atPath: path + "/" + name, withDestinationPath: folder + "/" + name)
            }
        }
    }

    /// Removes the directory.
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
