import Foundation
import Shared

/// Classic `docker build` + `docker push`, what Windows Server hosts usually run.
///
/// The digest comes from the push output (`TAG: digest: sha256:… size: N`), and otherwise from
/// `docker image inspect --format '{{json .RepoDigests}}'`, written to a file after the push. Archive
/// output: `docker save -o PATH TAG`.
public struct DockerBuilder: ImageBuilder {
    public var kind: BuilderKind { .docker }

    /// Creates the builder.
    public init() {}

    public var pushMarkers: [String] { ["The push refers to repository"] }

    public func plan(_ invocation: BuildInvocation) throws -> BuildPlan {
        let request = invocation.request
        var script = RemoteScript([.makeRunDirectory(invocation.runDirectory)])
        let input = try DockerLogin.add(request.login, to: &script, invocation: invocation, builder: kind)
        // `--platform` is for a "multi-platform capable" server (docker build reference; API 1.38, experimental
        // mode on the 18.x/19.x engines some Windows Servers still run). A Windows engine builds only its own
        // OS's images, so on a Windows host the flag is left out for a Windows platform; elsewhere it stays.
        let native = invocation.shell.family == .windows && request.platform.isWindows
        var build = ["docker", "build"] + (native ? [] : ["--platform", request.platform.description])
            + ["-f", invocation.dockerfilePath]
        build += try invocation.buildFlagsThenTagAndContext()
        script.run(RemoteCommand(build))
        var digestFile: String?
        var tarball: String?
        switch request.output {
        case .registry:
            let repoDigests = invocation.shell.join(invocation.runDirectory, "repodigests.json")
            digestFile = repoDigests
            script.run(RemoteCommand(["docker", "push", request.tag]))
            script.run(RemoteCommand(
                ["docker", "image", "inspect", "--format", "{{json .RepoDigests}}", request.tag],
                outputFile: repoDigests))
        case .tarball:
            tarball = invocation.tarballPath
            script.run(RemoteCommand(["docker", "save", "-o", invocation.tarballPath, request.tag]))
        }
        return BuildPlan(
            script: script, standardInput: input, digestFile: digestFile, tarball: tarball,
            secrets: request.secrets)
    }

    public func image(for invocation: BuildInvocation, digestFile: String?, log: String) throws -> BuiltImage {
        guard invocation.request.output == .registry else {
            return BuiltImage(digest: nil)
        }
        if let pushed = Self.parsePushOutput(log) {
            return pushed
        }
        let repository = ImageReference.repository(of: invocation.request.tag)
        if let digest = Self.parseRepoDigests(digestFile ?? "", repository: repository) {
            return BuiltImage(digest: digest)
        }
        throw BuilderError(builder: kind, message: "neither the push output nor RepoDigests name a digest for "
            + "\(repository); check that `docker push` reached the registry")
    }

    /// The last `digest: sha256:… size: N` line of `docker push` output.
    public static func parsePushOutput(_ log: String) -> BuiltImage? {
        var found: BuiltImage?
        for line in log.split(whereSeparator: \.isNewline) {
            let words = line.split(separator: " ")
            guard let index = words.firstIndex(of: "digest:"), index + 1 < words.count else { continue }
            let digest = String(words[index + 1])
            guard Digests.isValid(digest) else { continue }
            var size: Int64?
            if index + 3 < words.count, words[index + 2] == "size:" {
                size = Int64(words[index + 3])
            }
            found = BuiltImage(digest: digest, size: size)
        }
        return found
    }

    /// The digest in `docker image inspect --format '{{json .RepoDigests}}'` output for `repository`.
    public static func parseRepoDigests(_ text: String, repository: String) -> String? {
        guard let data = text.data(using: .utf8),
            let entries = try? JSONSerialization.jsonObject(with: data) as? [String]
        else { return nil }
        for entry in entries {
            let parts = entry.split(separator: "@", maxSplits: 1).map(String.init)
            if parts.count == 2, parts[0] == repository, Digests.isValid(parts[1]) {
                return parts[1]
            }
        }
        return nil
    }
}
