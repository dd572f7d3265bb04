import Foundation

/// Files of this source tree (the git repository) that tests use (the example project, fixtures, `scripts/testbed`).
public enum SourceTree {
    /// The repository's root directory (this file is `Tests/TestSupport/SourceTree.swift`).
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The absolute path of `relative`, a path inside the repository.
    public static func path(_ relative: String) -> String { root + "/" + relative }
}
