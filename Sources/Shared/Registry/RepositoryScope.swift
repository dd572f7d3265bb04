/// What a request needs to do in one repository, for a bearer token's `scope`
/// (`repository:velero/velero:pull,push`).
public struct RepositoryScope: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The repository path.
    public var repository: String
    /// The actions, e.g. `pull`, `push`.
    public var actions: Set<String>

    /// Creates a scope.
    public init(repository: String, actions: Set<String>) {
        self.repository = repository
        self.actions = actions
    }

    /// Pull access to `repository`.
    public static func pull(_ repository: String) -> RepositoryScope { .init(repository: repository, actions: ["pull"]) }

    /// Pull and push access to `repository`.
    public static func push(_ repository: String) -> RepositoryScope {
        .init(repository: repository, actions: ["pull", "push"])
    }

    /// The token-request form: `repository:NAME:a,b` with actions sorted.
    public var description: String { "repository:\(repository):\(actions.sorted().joined(separator: ","))" }

    public static func < (lhs: RepositoryScope, rhs: RepositoryScope) -> Bool { lhs.description < rhs.description }
}
