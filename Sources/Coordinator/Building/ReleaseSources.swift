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

    /// Scans the contexts and fingerprints every slot. A context whose metadata fingerprint is in `cache` is
    /// not read again (its archive digest is known); otherwise its archive is hashed once and remembered.
    static func prepare(_ request: ReleaseRequest, cache: ContextDigestCache) async throws(Problem) -> ReleaseSources {
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
                let context = try BuildContext.scan(
                    root: request.contextPath, dockerfile: dockerfile, ownOutputs: request.ownOutputs)
                sources[dockerfile] = .context(context)
                let windowsHost = request.plan.assignments.contains { assignment in
                    request.dockerfile(for: assignment.slot) == dockerfile
                        && ([assignment.host] + assignment.alternates).contains { $0.shell.isWindows }
                }
                if windowsHost, let bad = NTFSNames.problem(in: context.paths) {
                    throw Problem(description: "--context \(MessageText.quoted(request.contextPath)): the file "
                        + "\(MessageText.quoted(bad.path)) cannot be sent to a Windows host: \(bad.reason); rename it "
                        + "or leave it out with .dockerignore")
                }
                let bytes = FileManager.default.contents(atPath: request.contextPath + "/" + context.dockerfile) ?? Data()
                digests[dockerfile] = (try await contentDigest(of: context, cache: cache), Array(bytes))
            } catch let problem as Problem {
                throw problem
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
    private static func contentDigest(of context: BuildContext, cache: ContextDigestCache) async throws -> String {
        if let known = await cache.digest(for: context.fingerprint) {
            return "sha256:" + known.digest
        }
        let archive = context.archive()
        for try await _ in archive {}
        guard let digest = archive.summary.digest else {
            throw Problem(description: "the archive of \(context.root) ended without a digest")
        }
        await cache.record(fingerprint: context.fingerprint, digest: digest, bytes: archive.summary.bytes)
        return "sha256:" + digest
    }
}
