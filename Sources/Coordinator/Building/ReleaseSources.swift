import Foundation
import Shared
import Worker

/// The sources of a release, read once before any build starts (meanwhile only SSH connections are opened,
/// ``SSHPreconnect``): the scanned context for each Dockerfile in use, its content digest, and each slot's
/// ``SourceFingerprint``.
struct ReleaseSources: Sendable {
    /// What each Dockerfile's build ships.
    var sources: [String: BuildSource]
    /// The fingerprint each slot's image is labelled with.
    var fingerprints: [BuildSlot: SourceFingerprint]
    /// For a git context, per Dockerfile: the URL pinned to the commit its ref names now.
    var pinnedGit: [String: GitContextURL] = [:]
    /// Per Dockerfile: why resume is off (a git ref that could not be resolved here).
    var resumeOff: [String: String] = [:]
    /// Per Dockerfile: its digest (nil for a git context, read by the host) and the context's, for provenance.
    var sourceDigests: [String: ReleaseFacts.SourceDigests] = [:]

    /// A context or Dockerfile that cannot be used; exit 2.
    struct Problem: CoordinatorFailure {
        let description: String
        var exitCode: CoordinatorExitCode { .usage }
    }

    /// Scans the contexts and fingerprints every slot. A context whose metadata fingerprint is in `cache` is
    /// not read again (its archive digest is known); otherwise its archive is hashed once and remembered, and
    /// that read also makes the manifest a POSIX host's incremental sync needs (``BuildContext/contentDigest(cache:manifests:)``).
    static func prepare(_ request: ReleaseRequest, cache: ContextDigestCache) async throws(Problem) -> ReleaseSources {
        let slots = request.plan.assignments.map(\.slot)
        let arguments = Dictionary(request.buildArguments.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
        var sources: [String: BuildSource] = [:]
        var digests: [String: (context: String, dockerfile: [UInt8])] = [:]
        var pinned: [String: GitContextURL] = [:]
        var resumeOff: [String: String] = [:]
        for dockerfile in Set(slots.map(request.dockerfile(for:))) {
            if request.isGitContext {
                // What is built is the commit the ref names now (which also fixes the Dockerfile's content).
                let context = GitContextURL(parsing: request.contextPath)
                sources[dockerfile] = .git(url: request.contextPath)
                switch await GitRevision.resolve(context) {
                case .success(let commit):
                    pinned[dockerfile] = context.pinned(to: commit)
                    digests[dockerfile] = (
                        "git:\(context.repositoryWithoutCredentials)@\(commit):\(context.subdirectory ?? "")",
                        Array(dockerfile.utf8))
                case .failure(let unresolved):
                    resumeOff[dockerfile] = "the git ref could not be resolved to a commit here (\(unresolved))"
                    digests[dockerfile] = ("git-unresolved:" + UUID().uuidString, Array(dockerfile.utf8))
                }
                continue
            }
            do {
                let context = try BuildContext.scan(
                    root: request.contextPath, dockerfile: dockerfile, ownOutputs: request.ownOutputs)
                sources[dockerfile] = .context(context)
                let hosts = request.plan.assignments.filter { request.dockerfile(for: $0.slot) == dockerfile }
                    .flatMap { [$0.host] + $0.alternates }
                let windowsHost = hosts.contains { $0.shell.isWindows }
                if windowsHost, let bad = NTFSNames.problem(in: context.paths) {
                    throw Problem(description: "--context \(MessageText.quoted(request.contextPath)): the file "
                        + "\(MessageText.quoted(bad.path)) cannot be sent to a Windows host: \(bad.reason); rename it "
                        + "or leave it out with .dockerignore")
                }
                let bytes = FileManager.default.contents(atPath: request.contextPath + "/" + context.dockerfile) ?? Data()
                // The files' own digests only where a POSIX host may sync the context from them.
                let manifests = hosts.contains { !$0.shell.isWindows } ? ContextManifests.shared : nil
                digests[dockerfile] = (
                    "sha256:" + (try await context.contentDigest(cache: cache, manifests: manifests)), Array(bytes))
            } catch let problem as Problem {
                throw problem
            } catch {
                throw Problem(description: "--context \(MessageText.quoted(request.contextPath)) with --file "
                    + "\(MessageText.quoted(dockerfile)): \(error)")
            }
        }
        // Secrets: a host whose builder takes none (classic docker build) is refused when the slot's Dockerfile
        // mounts one (a git context's Dockerfile cannot be read here, so it may).
        if !request.secrets.isEmpty {
            for assignment in request.plan.assignments {
                let dockerfile = request.dockerfile(for: assignment.slot)
                let mounts = request.isGitContext || SecretMounts.present(in: digests[dockerfile]!.dockerfile)
                for host in [assignment.host] + assignment.alternates where host.builder == .docker && mounts {
                    throw Problem(description: "--secret: \(assignment.slot.platform) may be built on \(host.name), "
                        + "whose builder (docker, the classic docker build) takes no build secrets, and "
                        + "\(dockerfile) mounts one (RUN --mount=type=secret); build it on a buildx, buildah or "
                        + "podman host, or remove \(host.name) from the inventory for this release")
                }
            }
        }
        var fingerprints: [BuildSlot: SourceFingerprint] = [:]
        for slot in slots {
            let source = digests[request.dockerfile(for: slot)]!
            fingerprints[slot] = SourceFingerprint(
                contextDigest: source.context, dockerfile: source.dockerfile, buildArgs: arguments,
                platform: slot.platform, windowsVersion: slot.windowsVersion, target: request.target(for: slot),
                labels: request.labels, annotations: request.manifestAnnotations, secretIDs: request.secrets.map(\.id))
        }
        let sourceDigests = digests.mapValues { source in
            ReleaseFacts.SourceDigests(
                dockerfile: request.isGitContext ? nil : Digest(of: source.dockerfile).description,
                context: source.context)
        }
        return ReleaseSources(
            sources: sources, fingerprints: fingerprints, pinnedGit: pinned, resumeOff: resumeOff,
            sourceDigests: sourceDigests)
    }

    /// What `builder` builds for a Dockerfile, the label value its image gets, and a note for the progress when
    /// the image will not be reused by a later run: a git context goes pinned to its commit where the builder
    /// can build commits; elsewhere (buildah, podman) the builder clones the ref's head, which may have moved,
    /// so the label says so and never matches a fingerprint.
    func source(for slot: BuildSlot, dockerfile: String, builder: BuilderKind)
        -> (source: BuildSource, label: String, note: String?)
    {
        let source = sources[dockerfile]!
        let fingerprint = fingerprints[slot]!.value
        guard case .git(let url) = source else { return (source, fingerprint, nil) }
        if let reason = resumeOff[dockerfile] {
            return (source, "unresolved git ref", "resume is off for this platform: \(reason)")
        }
        guard let pinned = pinnedGit[dockerfile] else { return (source, fingerprint, nil) }
        guard builder.buildsGitCommits else {
            let ref = GitContextURL(parsing: url).ref ?? "HEAD"
            return (source, "unpinned git ref \(ref)",
                    "\(builder.rawValue) cannot build a git commit: it clones \(ref), which may have moved past "
                        + "\(pinned.ref ?? ""); a later run will rebuild this platform rather than reuse it")
        }
        return (.git(url: pinned.url), fingerprint, nil)
    }
}
