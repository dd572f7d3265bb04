/// The exit codes the CLI documents.
enum CoordinatorExitCode: Int32, Sendable {
    case success = 0
    /// A build failed (the builder rejected the Dockerfile), or a partial list was pushed.
    case buildFailed = 1
    /// Bad flags, environment or inventory.
    case usage = 2
    /// Hosts or registries failed in a way retries could not cure.
    case infrastructure = 3
    /// Ctrl-C.
    case interrupted = 130
}

/// An error the CLI reports as `error: DESCRIPTION` with its own exit code.
protocol CoordinatorFailure: Error, CustomStringConvertible {
    var exitCode: CoordinatorExitCode { get }
}

/// A usage problem found after parsing (a missing image, a platform no host builds, ...).
struct UsageError: CoordinatorFailure {
    let description: String
    var exitCode: CoordinatorExitCode { .usage }
    init(_ description: String) { self.description = description }
}
