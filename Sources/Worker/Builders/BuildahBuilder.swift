import Foundation
import Shared

/// `buildah build` + `buildah push` (and the same with `podman`), daemonless, on Linux hosts.
///
/// `--platform` and, for Windows images, `--os-version` set the config's platform fields, so a Linux host
/// can cross-build a Windows image whose stages have no `RUN`. The pushed digest is read from
/// `push --digestfile`; `--format docker|oci` picks the manifest type. Archive output:
/// `push TAG docker-archive:PATH:TAG` or `oci-archive:PATH:TAG`. Credentials go to a private `--authfile`.
public struct BuildahBuilder: ImageBuilder {
    /// `buildah` or `podman`.
    public let program: String

    /// Creates the builder for `buildah` or `podman`.
    public init(program: String) {
        self.program = program
    }

    public var kind: BuilderKind { program == "podman" ? .podman : .buildah }

    public var pushMarkers: [String] { ["Successfully tagged"] }

    public func plan(_ invocation: BuildInvocation) throws -> BuildPlan {
        let shell = invocation.shell
        let request = invocation.request
        guard shell.family == .posix else {
            throw BuilderError(builder: kind, message: "\(program) runs on Linux hosts only, but this host's shell is "
                + "\(shell.kind.rawValue); use the docker or buildx builder for Windows hosts")
        }
        var script = RemoteScript([.makeRunDirectory(invocation.runDirectory)])
        let tls = request.insecureRegistry ? ["--tls-verify=false"] : []
        var authentication: [String] = []
        // Secrets first: their exact byte counts are read before `login` reads the rest (the password).
        let secrets = BuildSecrets.add(request.buildSecrets, to: &script, invocation: invocation)
        var input = secrets.input
        if let login = request.login {
            let directory = shell.join(invocation.runDirectory, "auth")
            let file = shell.join(directory, "auth.json")
            script.steps.append(.makeDirectory(directory, privateToUser: true))
            script.removeOnExit.append(directory)
            authentication = ["--authfile", file]
            script.run(RemoteCommand(
                [program, "login"] + authentication + tls
                    + ["--username", login.username, "--password-stdin", login.server],
                readsScriptInput: true))
            input += Array(login.password.utf8)
        }
        var build = [program, "build", "--platform", request.platform.description]
        if let osVersion = request.osVersion {
            build += ["--os-version", osVersion]
        }
        build += ["--format", request.manifestFormat.rawValue, "-f", invocation.dockerfilePath]
        build += request.annotations.keys.sorted().flatMap { ["--annotation", $0 + "=" + request.annotations[$0]!] }
        build += try invocation.buildFlagsThenTagAndContext(
            extra: tls + authentication + secrets.flags + (request.cache?.buildahFlags ?? []))
        script.run(RemoteCommand(build))
        var digestFile: String?
        var tarball: String?
        switch request.output {
        case .registry:
            let file = shell.join(invocation.runDirectory, "digest")
            digestFile = file
            let format = request.manifestFormat == .docker ? "v2s2" : "oci"
            script.run(RemoteCommand(
                [program, "push"] + tls + authentication
                    + ["--digestfile", file, "--format", format, request.tag, "docker://" + request.tag]))
        case .tarball(let format):
            let path = invocation.tarballPath
            guard !path.contains(":") else {
                throw BuilderError(builder: kind, message: "the archive path \(path) contains `:`, which "
                    + "\(format.rawValue)-archive: references cannot hold; choose another workDir for the host")
            }
            tarball = path
            script.run(RemoteCommand([program, "push", request.tag, "\(format.rawValue)-archive:\(path):\(request.tag)"]))
        }
        script.run(RemoteCommand([program, "rmi", request.tag], allowFailure: true))
        return BuildPlan(
            script: script, standardInput: input, digestFile: digestFile, tarball: tarball,
            secrets: request.secrets)
    }

    public func image(for invocation: BuildInvocation, digestFile: String?, log: String) throws -> BuiltImage {
        guard invocation.request.output == .registry else {
            return BuiltImage(digest: nil, mediaType: nil)
        }
        let digest = (digestFile ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard Digests.isValid(digest) else {
            throw BuilderError(builder: kind, message: "the push wrote \(String(reflecting: digest)) to its digest file "
                + "instead of a sha256 digest; check the push output above")
        }
        return BuiltImage(digest: digest, mediaType: invocation.request.manifestFormat.mediaType)
    }
}
