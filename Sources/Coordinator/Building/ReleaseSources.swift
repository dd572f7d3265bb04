import Crypto
import Foundation
import Shared
import Worker

/// The sources of a release, read once before any host is contacted: the scanned context for each
/// Dockerfile in use, its content digest, and each slot's ``SourceFingerprint``.
struct ReleaseSources: Sendable {
    /// What each Dockerfile's build ships.
    var sources: [String: BuildSource]
    /// The fingerprint each slot's image is labelled with.
    var fingerprints: [BuildSlot: SourceFingerprint]

    /// A context or Dockerfile that cannot be used; exit 2.
    struct Problem: CoordinatorFailure {
        let description: String
        var exitCode: CoordinatorExitCode { .usage }
    }

    static func prepare(_ request: ReleaseRequest) async throws(Problem) -> ReleaseSources {
        let slots = request.plan.assignments.map(\.slot)
        let arguments = Dictionary(request.buildArguments.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
        var sources: [String: BuildSource] = [:]
        var digests: [String: (context: String, dockerfile: [UInt8])] = [:]
        for dockerfile in Set(slots.map(request.dockerfile(for:))) {
            if request.isGitContext {
                sources[dockerfile] = .git(url: request.contextPath)
                digests[dockerfile] = (request.contextPath, Array(dockerfile.utf8))
                continue
            }
            do {
                let context = try BuildContext.scan(root: request.contextPath, dockerfile: dockerfile)
                sources[dockerfile] = .context(context)
                let bytes = FileManager.default.contents(atPath: request.contextPath + "/" + context.dockerfile) ?? Data()
                digests[dockerfile] = (try await contentDigest(of: context), Array(bytes))
            } catch {
                throw Problem(description: "--context \(MessageText.quoted(request.contextPath)) with --file "
                    + "\(MessageText.quoted(dockerfile)): \(error)")
            }
        }
        var fingerprints: [BuildSlot: SourceFingerprint] = [:]
        for slot in slots {
            let source = digests[request.dockerfile(for: slot)]!
            fingerprints[slot] = SourceFingerprint(
                contextDigest: source.context, dockerfile: source.dockerfile, buildArgs: arguments,
                platform: slot.platform, windowsVersion: slot.windowsVersion)
        }
        return ReleaseSources(sources: sources, fingerprints: fingerprints)
    }

    /// SHA-256 of the context archive exactly as it would be shipped.
    private static func contentDigest(of context: BuildContext) async throws -> String {
        var hasher = SHA256()
        for try await chunk in context.archive() { hasher.update(data: chunk) }
        return "sha256:" + hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
