import Foundation
import Shared
import Subprocess

/// Runs the local `cosign` CLI through swift-subprocess (never on a cooperative-pool thread). Its environment is
/// this process's (so `COSIGN_PASSWORD`, cloud KMS credentials and the OIDC token of a CI job reach it, and
/// nothing else does); nothing of it goes to a build host.
struct Cosign: Sendable {
    let settings: CosignSettings

    /// What a cosign call printed.
    struct Output: Sendable {
        var standardOutput: String
        var standardError: String
    }

    /// A cosign call that failed: the command (which holds no secret: the password is in the environment) and
    /// what cosign said.
    struct Failure: Error, Sendable, CustomStringConvertible {
        var command: String
        var message: String
        var description: String { "\(command) failed: \(message)" }
    }

    /// Runs `cosign ARGUMENTS`.
    @discardableResult
    func run(_ arguments: [String]) async throws(Failure) -> Output {
        let command = ([settings.executable] + arguments).joined(separator: " ")
        let result: ExecutionResult<Void, BytesOutput, BytesOutput>
        do {
            result = try await Subprocess.run(
                .name(settings.executable), arguments: Arguments(arguments),
                environment: .inherit, output: .bytes(limit: 16 << 20), error: .bytes(limit: 1 << 20))
        } catch {
            throw Failure(command: command, message: "it could not start: \(error)")
        }
        let output = Output(
            standardOutput: String(decoding: result.standardOutput, as: UTF8.self),
            standardError: String(decoding: result.standardError, as: UTF8.self))
        switch result.terminationStatus {
        case .exited(0): return output
        case .exited(let code):
            let lines = output.standardError.split(separator: "\n").suffix(4).joined(separator: "\n  ")
            throw Failure(command: command, message: "exit \(code)\n  \(lines)")
        case .signaled(let signal): throw Failure(command: command, message: "killed by signal \(signal)")
        }
    }

    /// Why cosign cannot be used here (missing), with how to install it; nil when `cosign version` runs.
    static func availabilityProblem(executable: String = "cosign") async -> String? {
        let result = try? await Subprocess.run(
            .name(executable), arguments: ["version"], output: .discarded, error: .discarded)
        if case .exited(0) = result?.terminationStatus { return nil }
        return "--provenance sign needs the cosign CLI (2.x) on this machine, and `\(executable) version` does not "
            + "run here; install it (Debian/Ubuntu: apt-get install cosign, or scripts/install-deps; elsewhere "
            + "https://docs.sigstore.dev/cosign/system_config/installation/) or use --provenance attach"
    }
}
