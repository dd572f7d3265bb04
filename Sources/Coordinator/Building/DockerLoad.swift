import Subprocess

/// `docker load` of a fetched tarball into the local engine, for `--output docker`.
enum DockerLoad {
    /// Loads `tarball` (through swift-subprocess, which never blocks a cooperative-pool thread); docker's own
    /// output goes to ours. Returns what went wrong, or `nil`.
    static func load(_ tarball: String) async -> String? {
        let result: ExecutionResult<Void, FileDescriptorOutput, FileDescriptorOutput>
        do {
            result = try await Subprocess.run(
                .name("docker"), arguments: ["load", "--input", tarball],
                output: .currentStandardOutput, error: .currentStandardError)
        } catch {
            return "docker load could not start: \(error)"
        }
        switch result.terminationStatus {
        case .exited(0): return nil
        case .exited(let code): return "docker load --input \(tarball) exited \(code)"
        case .signaled(let signal): return "docker load --input \(tarball) was killed by signal \(signal)"
        }
    }
}
