import Shared

/// A `manifest` subcommand failure, reported as `error: …` with the documented exit code: 1 when an image is
/// not what it claims, 2 when the arguments must change, 3 when the registry or network failed.
struct ManifestFailure: CoordinatorFailure {
    let description: String
    let exitCode: CoordinatorExitCode

    init(_ error: any Error) {
        description = "\(error)"
        exitCode = Self.exitCode(for: error)
    }

    /// Runs `body`, turning what it throws into a ``ManifestFailure``.
    nonisolated(nonsending) static func reporting(_ body: nonisolated(nonsending) () async throws -> Void)
        async throws
    {
        do {
            try await body()
        } catch {
            throw ManifestFailure(error)
        }
    }

    static func exitCode(for error: any Error) -> CoordinatorExitCode {
        switch error {
        case let error as AssemblyError:
            switch error {
            case .refused(let errors):
                let codes = errors.map(exitCode(for:))
                return [.infrastructure, .buildFailed].first(where: codes.contains) ?? .usage
            case .childUnreadable, .copyFailed, .pushFailed, .verificationFailed, .notSigned: return .infrastructure
            case .platformMismatch, .notAnImage, .windowsVersionMismatch: return .buildFailed
            default: return .usage
            }
        case let error as RegistryError:
            switch error {
            case .authenticationFailed, .configuration: return .usage
            case .rejected where error.isNotFound: return .usage
            default: return .infrastructure
            }
        case is ManifestArgumentError, is ImageReferenceError: return .usage
        default: return .infrastructure
        }
    }
}
