import TestSupport

/// Independent tools (buildah, skopeo, docker, python3) run through TestSupport's `Shell`, for the manifest
/// integration tests: a failure throws with the command line and its stderr.
enum ExternalTool {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `arguments` and requires exit status 0.
    @discardableResult
    static func check(_ arguments: [String], environment: [String: String] = [:]) async throws -> Shell.Result {
        let result = try await Shell.run(arguments, environment: environment)
        guard result.succeeded else {
            throw Failure(description: "`\(arguments.joined(separator: " "))` exited \(result.status): \(result.stderr)")
        }
        return result
    }
}
