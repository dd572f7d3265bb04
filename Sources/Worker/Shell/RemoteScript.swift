/// An environment variable set for a script or for one command.
public struct EnvironmentVariable: Sendable, Hashable {
    /// The name, `[A-Za-z_][A-Za-z0-9_]*`.
    public var name: String
    /// The value, sent literally. Never a secret: scripts are logged.
    public var value: String

    /// Creates a variable.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// Whether `name` is a portable environment variable name.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0)
            || ("0"..."9").contains($0) || $0 == "_" }
    }
}

/// One program run by a ``RemoteScript``.
public struct RemoteCommand: Sendable, Hashable {
    /// The program and its arguments, each passed literally.
    public var arguments: [String]
    /// Variables set for this command only.
    public var environment: [EnvironmentVariable]
    /// Whether the command reads the script's standard input (a secret fed with `--password-stdin`).
    /// Every other command reads an empty input, so that none can swallow the secret by accident.
    public var readsScriptInput: Bool
    /// A remote file that receives the command's standard output, or nil to let it reach the caller.
    public var outputFile: String?
    /// Whether the script goes on when the command fails (cleanup commands).
    public var allowFailure: Bool

    /// Creates a command.
    public init(
        _ arguments: [String], environment: [EnvironmentVariable] = [], readsScriptInput: Bool = false,
        outputFile: String? = nil, allowFailure: Bool = false
    ) {
        self.arguments = arguments
        self.environment = environment
        self.readsScriptInput = readsScriptInput
        self.outputFile = outputFile
        self.allowFailure = allowFailure
    }
}

/// A short remote script in a shell-neutral form, rendered for a host's shell by ``RemoteShell``.
///
/// Steps run in order and the script stops at the first failing step (unless the command allows failure);
/// the paths in ``removeOnExit`` are removed however the script ends, so temporary credentials never outlive
/// it. Every value is passed literally: there are no expansions.
public struct RemoteScript: Sendable, Hashable {
    /// One step of a script.
    public enum Step: Sendable, Hashable {
        /// Run a program.
        case run(RemoteCommand)
        /// Create a directory and its parents; `privateToUser` makes the last one readable by its owner only
        /// (POSIX mode 0700; on Windows the directory inherits its parent's ACL).
        case makeDirectory(String, privateToUser: Bool)
        /// Create a build's private run directory (as `makeDirectory(_, privateToUser: true)`), record the
        /// script's process id in its `owner` file, and remove the sibling run directories whose recorded
        /// process is gone: those of builds killed with their shell (a crashed session, the OOM killer), which
        /// could not clean up after themselves and may still hold a registry login.
        case makeRunDirectory(String)
        /// Remove a file or directory tree if it exists.
        case removeTree(String)
        /// Write `contents` (UTF-8) to a file, replacing it.
        case writeFile(String, contents: String)
        /// Set an environment variable for the rest of the script.
        case setEnvironment(EnvironmentVariable)
        /// Rename `from` to `to` unless `to` already exists.
        case moveIfAbsent(from: String, to: String)
        /// If the file exists, write `marker` as a line of its own on standard output, then the file's contents
        /// (a missing file prints nothing and is not a failure): the script hands a result file back without
        /// another command.
        case printFile(String, marker: String)
        /// Write exactly `byteCount` bytes of the script's standard input to a new file readable by its owner only
        /// (a build secret); what follows on standard input stays for later steps. POSIX hosts only.
        case readInput(String, byteCount: Int)
        /// Change into the build context directory for a builder that sends a directory it has seen before
        /// incrementally (BuildKit, by the path it is given): through the build slot's own link when BuildKit's
        /// comparison of file metadata cannot miss a change there, else the directory itself
        /// (``StableBuildContext``). POSIX hosts only; `key` names the builder (instance) the link is for.
        case enterBuildContext(String, key: String)
        /// After the build: record that BuildKit received the context through the slot's link
        /// (``enterBuildContext(_:key:)``), so the next build may use it.
        case buildContextReceived
    }

    /// The file a build that leaves an archive to fetch writes in its run directory as it ends successfully: a
    /// sweep of dead runs' directories spares such a directory for an hour (the coordinator fetches it, then
    /// removes it).
    public static let fetchPendingMarker = "fetch-pending"

    /// The steps, in order.
    public var steps: [Step]
    /// Paths removed when the script ends, whether it succeeded or not.
    public var removeOnExit: [String]
    /// Paths removed only when the script fails (half-received uploads).
    public var removeOnFailure: [String]

    /// Creates a script.
    public init(_ steps: [Step] = [], removeOnExit: [String] = [], removeOnFailure: [String] = []) {
        self.steps = steps
        self.removeOnExit = removeOnExit
        self.removeOnFailure = removeOnFailure
    }

    /// Appends a `run` step.
    public mutating func run(_ command: RemoteCommand) {
        steps.append(.run(command))
    }

    /// Appends a `run` step for `arguments`.
    public mutating func run(_ arguments: [String], allowFailure: Bool = false) {
        steps.append(.run(RemoteCommand(arguments, allowFailure: allowFailure)))
    }
}
