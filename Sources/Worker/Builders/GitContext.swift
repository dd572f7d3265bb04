/// A build context given as a git URL (`https://github.com/org/repo.git#ref:subdir`,
/// `git@github.com:org/repo.git`): nothing is shipped, the URL goes to the builder, which clones it on the
/// host; the Dockerfile path is then relative to the repository (or its subdirectory).
public enum GitContext {
    /// The URL forms `docker build` and buildah treat as git contexts.
    public static func isURL(_ text: String) -> Bool {
        let lowered = text.lowercased()
        if lowered.hasPrefix("git://") || lowered.hasPrefix("git@") || lowered.hasPrefix("ssh://") {
            return true
        }
        guard lowered.hasPrefix("https://") || lowered.hasPrefix("http://") else { return false }
        let path = lowered.split(separator: "#", maxSplits: 1).first ?? ""
        return path.hasSuffix(".git") || lowered.contains("github.com/") || lowered.contains("gitlab.com/")
    }
}

/// Where a build's context comes from.
public enum BuildSource: Sendable {
    /// A local directory, shipped to the host (and kept there under its digest).
    case context(BuildContext)
    /// A git URL, handed to the builder.
    case git(url: String)
}
