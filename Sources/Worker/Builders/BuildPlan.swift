import Shared

/// Where a builder runs on a host: the request plus the remote paths and facts the probe found.
public struct BuildInvocation: Sendable {
    /// What to build.
    public var request: BuildRequest
    /// The host's shell.
    public var shell: RemoteShell
    /// The build context as the builder takes it: the directory on the host (`WORKDIR/contexts/DIGEST`),
    /// or a git URL handed to the builder as it is (see ``GitContext``).
    public var contextDirectory: String
    /// A directory private to this build (`WORKDIR/runs/ID`) for metadata, digests, credentials and
    /// archives; removed after the build.
    public var runDirectory: String
    /// The named builder instance (`--builder`), or nil.
    public var builderInstance: String?
    /// The buildx driver the probe found (`docker`, `docker-container`, ...), or nil when unknown.
    public var buildxDriver: String?
    /// The host's docker configuration directory (`${DOCKER_CONFIG:-~/.docker}`), so that a temporary
    /// login configuration still finds the host's buildx instances and CLI plugins.
    public var hostDockerConfig: String?

    /// Creates an invocation.
    public init(
        request: BuildRequest, shell: RemoteShell, contextDirectory: String, runDirectory: String,
        builderInstance: String? = nil, buildxDriver: String? = nil, hostDockerConfig: String? = nil
    ) {
        self.request = request
        self.shell = shell
        self.contextDirectory = contextDirectory
        self.runDirectory = runDirectory
        self.builderInstance = builderInstance
        self.buildxDriver = buildxDriver
        self.hostDockerConfig = hostDockerConfig
    }

    /// Whether the context is a git URL rather than a directory on the host.
    public var contextIsURL: Bool {
        GitContext.isURL(contextDirectory)
    }

    /// The Dockerfile's path on the host, or its path inside the repository for a git context.
    public var dockerfilePath: String {
        contextIsURL ? request.dockerfile : shell.join(contextDirectory, request.dockerfile)
    }

    /// Refuses positional values that a builder could read as a flag.
    func checkPositionalValues() throws {
        for (name, value) in [("tag", request.tag), ("context", contextDirectory)] where value.hasPrefix("-") || value.isEmpty {
            throw BuilderError(builder: nil, message: "the \(name) \(String(reflecting: value)) is empty or starts with "
                + "`-`, which the builder would read as an option")
        }
    }

    /// Where the host writes an image archive.
    public var tarballPath: String {
        shell.join(runDirectory, "image.tar")
    }

    /// `--build-arg NAME=VALUE` pairs, validated.
    func buildArgumentFlags() throws -> [String] {
        try checkPositionalValues()
        return try request.effectiveBuildArguments.flatMap { argument -> [String] in
            guard !argument.name.isEmpty, !argument.name.contains("="), !argument.name.contains(where: \.isWhitespace)
            else {
                throw BuilderError(
                    builder: nil, message: "the build argument name \(String(reflecting: argument.name)) is not "
                        + "valid: it must be non-empty, without `=` or spaces")
            }
            return ["--build-arg", argument.assignment]
        }
    }

    /// Build arguments and common flags, then `-t TAG CONTEXT`: the tail every builder's build command shares.
    func buildFlagsThenTagAndContext(extra: [String] = []) throws -> [String] {
        try buildArgumentFlags() + commonFlags + extra + ["-t", request.tag, contextDirectory]
    }

    /// `--label`, `--no-cache`, `--network`, `--target` as requested.
    var commonFlags: [String] {
        var flags = request.labels.keys.sorted().flatMap { ["--label", $0 + "=" + request.labels[$0]!] }
        if request.noCache { flags.append("--no-cache") }
        if let network = request.network { flags += ["--network", network] }
        if let target = request.target { flags += ["--target", target] }
        return flags
    }
}

/// What a builder will run on the host, and where it leaves its results.
public struct BuildPlan: Sendable {
    /// The script: log in (when credentials are given), build, push or export.
    public var script: RemoteScript
    /// Bytes for the script's standard input: the registry password, or nothing. Never logged.
    public var standardInput: [UInt8]
    /// A remote file to read after the build for the digest (buildx metadata, buildah digest file,
    /// docker `RepoDigests`), or nil.
    public var digestFile: String?
    /// The image archive the host wrote, for tarball output.
    public var tarball: String?
    /// Values to mask if a tool ever echoes them.
    public var secrets: [String]

    /// Creates a plan.
    public init(
        script: RemoteScript, standardInput: [UInt8] = [], digestFile: String? = nil, tarball: String? = nil,
        secrets: [String] = []
    ) {
        self.script = script
        self.standardInput = standardInput
        self.digestFile = digestFile
        self.tarball = tarball
        self.secrets = secrets
    }
}

/// What a builder reports about the image it made.
public struct BuiltImage: Sendable, Hashable {
    /// The manifest digest (`sha256:…`) in the registry; nil for archive output when the builder gives none.
    public var digest: String?
    /// The manifest media type, when the builder says it.
    public var mediaType: String?
    /// The manifest size in bytes, when the builder says it.
    public var size: Int64?

    /// Creates a description.
    public init(digest: String?, mediaType: String? = nil, size: Int64? = nil) {
        self.digest = digest
        self.mediaType = mediaType
        self.size = size
    }
}

/// A builder's request or output that cannot be used, naming the builder and what to do.
public struct BuilderError: Error, CustomStringConvertible, Sendable {
    /// The builder, when known.
    public var builder: BuilderKind?
    /// The explanation.
    public var message: String

    /// Creates an error.
    public init(builder: BuilderKind?, message: String) {
        self.builder = builder
        self.message = message
    }

    public var description: String {
        builder.map { "\($0.rawValue): \(message)" } ?? message
    }
}

/// A container builder on a host: renders its commands for the host's shell and reads its own results.
public protocol ImageBuilder: Sendable {
    /// Which builder this is.
    var kind: BuilderKind { get }
    /// The script that builds `invocation.request` on the host.
    func plan(_ invocation: BuildInvocation) throws -> BuildPlan
    /// The image the build made, from the plan's digest file (its contents, if it had one) and the log.
    func image(for invocation: BuildInvocation, digestFile: String?, log: String) throws -> BuiltImage
    /// Log text that shows the build has finished and the push begun (to time the two phases apart).
    var pushMarkers: [String] { get }
}

extension BuilderKind {
    /// The builder implementation.
    public var builder: any ImageBuilder {
        switch self {
        case .buildx: BuildxBuilder()
        case .docker: DockerBuilder()
        case .buildah: BuildahBuilder(program: "buildah")
        case .podman: BuildahBuilder(program: "podman")
        }
    }
}
