import Foundation
import Shared
import Subprocess
import Worker

/// Resolves a git context's ref to the commit it names now, with `git ls-remote` on this machine, so that
/// the release fingerprints and builds that commit: after new commits on the same branch a re-run must
/// rebuild, never reuse the image of the old commit.
enum GitRevision {
    /// The commit `context.ref` (the remote's HEAD when `nil`) names, or why it could not be resolved.
    static func resolve(_ context: GitContextURL) async -> Result<String, Unresolved> {
        let ref = context.ref ?? "HEAD"
        if GitContextURL.isCommit(ref) { return .success(ref) }
        let output: ExecutionResult<Void, BytesOutput, BytesOutput>
        do {
            // No prompt for credentials (a CI job has no terminal); a hung remote is bounded by the timeout.
            output = try await Subprocess.run(
                .name("git"), arguments: ["ls-remote", context.repository, ref],
                environment: .inherit.updating(["GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"]),
                output: .bytes(limit: 4 << 20), error: .bytes(limit: 64 << 10))
        } catch {
            return .failure(Unresolved(reason: "git ls-remote could not run here: \(error)"))
        }
        guard case .exited(0) = output.terminationStatus else {
            let message = String(decoding: output.standardError, as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").last.map(String.init) ?? ""
            return .failure(Unresolved(reason: "git ls-remote \(context.repositoryWithoutCredentials) failed: \(message)"))
        }
        let refs = parse(String(decoding: output.standardOutput, as: UTF8.self))
        guard let commit = pick(ref, from: refs) else {
            return .failure(Unresolved(
                reason: "\(context.repositoryWithoutCredentials) has no branch or tag \(MessageText.quoted(ref))"))
        }
        return .success(commit)
    }

    /// Why a ref could not be resolved here.
    struct Unresolved: Error, Hashable, Sendable, CustomStringConvertible {
        var reason: String
        var description: String { reason }
    }

    /// `SHA<TAB>REFNAME` lines.
    static func parse(_ text: String) -> [String: String] {
        var refs: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t", maxSplits: 1)
            guard fields.count == 2, GitContextURL.isCommit(String(fields[0])) else { continue }
            refs[String(fields[1])] = String(fields[0])
        }
        return refs
    }

    /// The commit `ref` names among `refs`, as git would pick it: HEAD, a full ref name, a branch, then a
    /// tag (its peeled commit for an annotated tag).
    static func pick(_ ref: String, from refs: [String: String]) -> String? {
        if ref == "HEAD" { return refs["HEAD"] }
        if ref.hasPrefix("refs/") { return refs[ref + "^{}"] ?? refs[ref] }
        return refs["refs/heads/" + ref] ?? refs["refs/tags/" + ref + "^{}"] ?? refs["refs/tags/" + ref]
    }
}

/// A local build context that is a git checkout: where it comes from and which commit is checked out, for the
/// list's `org.opencontainers.image.source` and `.revision`.
enum GitCheckout {
    /// The origin URL (without credentials) and HEAD's commit of the checkout holding `directory`, each nil when
    /// unknown (not a checkout, no origin, no git).
    static func describe(_ directory: String) async -> (source: String?, revision: String?) {
        let revision = await git(["-C", directory, "rev-parse", "--verify", "-q", "HEAD"])
        guard let revision, GitContextURL.isCommit(revision) else { return (nil, nil) }
        let origin = await git(["-C", directory, "config", "--get", "remote.origin.url"])
        return (origin.map { GitContextURL(parsing: $0).repositoryWithoutCredentials }, revision)
    }

    private static func git(_ arguments: [String]) async -> String? {
        guard let output = try? await Subprocess.run(
            .name("git"), arguments: Arguments(arguments), output: .string(limit: 64 << 10), error: .discarded),
            case .exited(0) = output.terminationStatus
        else { return nil }
        let text = output.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}
