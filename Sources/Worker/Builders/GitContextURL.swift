import Shared

/// The parts of a git context URL as buildx reads it: `REPOSITORY[#REF[:SUBDIRECTORY]]`.
public struct GitContextURL: Hashable, Sendable {
    public var repository: String
    /// A branch, tag or commit; `nil` for the remote's HEAD.
    public var ref: String?
    public var subdirectory: String?

    public init(parsing url: String) {
        guard let hash = url.firstIndex(of: "#") else {
            self.init(repository: url, ref: nil, subdirectory: nil)
            return
        }
        let fragment = url[url.index(after: hash)...]
        let parts = fragment.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let ref = parts.first.map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let subdirectory = parts.count > 1 && !parts[1].isEmpty ? String(parts[1]) : nil
        self.init(repository: String(url[..<hash]), ref: ref, subdirectory: subdirectory)
    }

    public init(repository: String, ref: String?, subdirectory: String?) {
        self.repository = repository
        self.ref = ref
        self.subdirectory = subdirectory
    }

    /// The URL again, as buildx takes it.
    public var url: String {
        guard ref != nil || subdirectory != nil else { return repository }
        return repository + "#" + (ref ?? "") + (subdirectory.map { ":" + $0 } ?? "")
    }

    /// The same context at `commit`.
    public func pinned(to commit: String) -> GitContextURL {
        GitContextURL(repository: repository, ref: commit, subdirectory: subdirectory)
    }

    /// Whether `ref` is a full commit id (40 hex digits, SHA-1; 64 for SHA-256 repositories).
    public static func isCommit(_ ref: String) -> Bool {
        (ref.count == 40 || ref.count == 64) && ref.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// The repository without credentials (`https://user:token@host/...` → `https://host/...`), for labels,
    /// fingerprints and reports.
    public var repositoryWithoutCredentials: String {
        guard let scheme = repository.range(of: "://") else { return repository }
        let rest = repository[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" }
        guard let at = authority.lastIndex(of: "@") else { return repository }
        return String(repository[..<scheme.upperBound]) + String(rest[rest.index(after: at)...])
    }
}

extension BuilderKind {
    /// Whether the builder builds a git context at a commit id (`URL#COMMIT`). BuildKit and Docker's classic
    /// builder fetch any ref; buildah and podman run `git clone -b REF`, which takes branches and tags only.
    public var buildsGitCommits: Bool {
        switch self {
        case .buildx, .docker: true
        case .buildah, .podman: false
        }
    }
}
