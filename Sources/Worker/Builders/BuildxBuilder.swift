import Foundation
import Shared

/// `docker buildx build`, the default builder.
///
/// Registry output: `--platform P -f F --build-arg … --provenance=false --sbom=false --metadata-file M
/// --push -t TAG` (a single-platform manifest, not a list), digest from the metadata's
/// `containerimage.digest`. Archive output: `--output type=docker|oci,dest=PATH` where the driver can
/// export; with the `docker` driver, which refuses that, `--load -t TAG` and `docker save`.
public struct BuildxBuilder: ImageBuilder {
    public var kind: BuilderKind { .buildx }

    /// Creates the builder.
    public init() {}

    public var pushMarkers: [String] { ["pushing layers", "pushing manifest"] }

    public func plan(_ invocation: BuildInvocation) throws -> BuildPlan {
        let shell = invocation.shell
        let request = invocation.request
        var script = RemoteScript([.makeRunDirectory(invocation.runDirectory)])
        // Secrets first: their exact byte counts are read before `docker login` reads the rest (the password).
        let secrets = BuildSecrets.add(request.buildSecrets, to: &script, invocation: invocation)
        let input = try secrets.input + DockerLogin.add(request.login, to: &script, invocation: invocation, builder: kind)
        let metadata = shell.join(invocation.runDirectory, "metadata.json")
        var arguments = ["docker", "buildx", "build"]
        if let instance = invocation.builderInstance {
            arguments += ["--builder", instance]
        }
        arguments += ["--progress=plain", "--platform", request.platform.description, "-f", invocation.dockerfilePath]
        arguments += try invocation.buildArgumentFlags()
        arguments += ["--provenance=false", "--sbom=false", "--metadata-file", metadata]
        arguments += invocation.commonFlags + secrets.flags
        let cache = request.cache.map { $0.buildxFlags(driver: invocation.buildxDriver) }
        arguments += cache?.flags ?? []
        var tarball: String?
        var afterBuild: [[String]] = []
        switch request.output {
        case .registry:
            arguments += ["--push", "-t", request.tag]
            // Inline cache: the image is pushed under the cache reference too (a tag of the cache repository).
            for tag in cache?.extraTags ?? [] { arguments += ["-t", tag] }
        case .tarball(let format):
            let path = invocation.tarballPath
            tarball = path
            if invocation.buildxDriver == nil || invocation.buildxDriver == "docker" {
                arguments += ["--load", "-t", request.tag]
                afterBuild = [["docker", "save", "-o", path, request.tag]]
            } else {
                guard !path.contains(","), !path.contains("\"") else {
                    throw BuilderError(builder: kind, message: "the archive path \(path) contains `,` or `\"`, which "
                        + "buildx's --output cannot hold; choose another workDir for the host")
                }
                arguments += ["--output", "type=\(format.rawValue),dest=\(path)", "-t", request.tag]
            }
        }
        // A local context is entered through the build slot's link, so that BuildKit sends only what changed.
        let stable = !invocation.contextIsURL && shell.family == .posix
        if stable {
            script.steps.append(.enterBuildContext(
                invocation.contextDirectory, key: "buildx-" + (invocation.builderInstance ?? "default")))
        }
        arguments.append(stable ? "." : invocation.contextDirectory)
        script.run(RemoteCommand(arguments))
        if stable {
            script.steps.append(.buildContextReceived)
        }
        for command in afterBuild {
            script.run(RemoteCommand(command))
        }
        return BuildPlan(
            script: script, standardInput: input, digestFile: metadata, tarball: tarball,
            secrets: request.secrets)
    }

    public func image(for invocation: BuildInvocation, digestFile: String?, log: String) throws -> BuiltImage {
        let metadata = try Self.parseMetadata(digestFile ?? "")
        if invocation.request.output == .registry, metadata.digest == nil {
            throw BuilderError(builder: kind, message: "the build wrote no containerimage.digest to its metadata file, "
                + "so the pushed manifest cannot be identified; check that buildx is 0.10 or newer")
        }
        return metadata
    }

    /// Reads buildx's `--metadata-file` JSON: `containerimage.digest` and, when present,
    /// `containerimage.descriptor` (media type and size). Fields of another type read as absent.
    public static func parseMetadata(_ text: String) throws -> BuiltImage {
        let blank = text.utf8.allSatisfy { $0 == 0x20 || (0x09...0x0D).contains($0) }
        guard !blank else { return BuiltImage(digest: nil) }
        // JSONDecoder reads only these fields; JSONSerialization would build every value of the file as objects.
        guard let metadata = try? JSONDecoder().decode(Metadata.self, from: Data(text.utf8)) else {
            throw BuilderError(builder: .buildx, message: "the metadata file is not a JSON object: \(text.prefix(200))")
        }
        if let digest = metadata.digest, !Digests.isValid(digest) {
            throw BuilderError(builder: .buildx, message: "containerimage.digest \(String(reflecting: digest)) is not a digest")
        }
        return BuiltImage(digest: metadata.digest, mediaType: metadata.mediaType, size: metadata.size)
    }

    /// The fields of the metadata file the build needs.
    private struct Metadata: Decodable {
        var digest: String?
        var mediaType: String?
        var size: Int64?

        private struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let object = try decoder.container(keyedBy: Key.self)
            digest = try? object.decodeIfPresent(String.self, forKey: Key(stringValue: "containerimage.digest"))
            let descriptor = try? object.nestedContainer(
                keyedBy: Key.self, forKey: Key(stringValue: "containerimage.descriptor"))
            mediaType = try? descriptor?.decodeIfPresent(String.self, forKey: Key(stringValue: "mediaType"))
            size = try? descriptor?.decodeIfPresent(Int64.self, forKey: Key(stringValue: "size"))
        }
    }
}

/// Checks on `sha256:<64 hex>` digests.
enum Digests {
    static func isValid(_ digest: String) -> Bool {
        guard digest.hasPrefix("sha256:") else { return false }
        let hex = digest.utf8.dropFirst(7)
        return hex.count == 64 && hex.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
