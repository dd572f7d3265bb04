import Foundation

/// Runs the `coordinator` executable that `swift test` built next to the test bundle.
public enum CoordinatorBinary {
    /// The built executable: `.build/<config>/coordinator`, beside the test bundle.
    public static var path: String {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("coordinator")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate.path
            }
            directory = directory.deletingLastPathComponent()
        }
        return "coordinator"
    }

    /// Runs it with `arguments` in `directory`, seeing only `environment` plus PATH and HOME
    /// (so Velero variables of the test process do not leak in), off the cooperative pool.
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
        timeout: Duration = .seconds(600), terminateWhen: (@Sendable () async -> Bool)? = nil,
        terminateWhenSeen: (@Sendable () -> Bool)? = nil, during: (@Sendable () async -> Void)? = nil
    ) async throws -> Shell.Result {
        try await Shell.run(
            [path] + arguments, environment: environment, timeout: timeout, directory: directory,
            inheritEnvironment: false, terminateWhen: terminateWhen, terminateWhenSeen: terminateWhenSeen,
            during: during)
    }
}
