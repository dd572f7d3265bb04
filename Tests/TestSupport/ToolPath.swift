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

    /// The BusyBox of busybox-static (`scripts/install-deps`).
    public static let busybox = "/bin/busybox"

    /// BusyBox is not installed here.
    public struct BusyBoxMissing: Error, CustomStringConvertible {
        public var description: String { "\(ToolPath.busybox) is missing: install busybox-static (scripts/install-deps)" }
    }

    /// One whose `applets` are BusyBox's, without `left`.
    /// - Throws: ``BusyBoxMissing`` when BusyBox is not installed.
    public static func busyBox(_ applets: [String], without left: Set<String> = []) throws -> ToolPath {
        guard FileManager.default.isExecutableFile(atPath: busybox) else { throw BusyBoxMissing() }
        return try ToolPath(without: left, replacing: Dictionary(uniqueKeysWithValues: applets.map { ($0, busybox) }))
    }

    /// Removes the directory.
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
