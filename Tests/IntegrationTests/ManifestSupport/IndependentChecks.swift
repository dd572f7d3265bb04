import Foundation
import Shared
import Testing
import TestSupport

/// Checks of pushed lists by clients that share no code with ours: skopeo, the docker CLI, and the OCI JSON
/// schema (python3 jsonschema).
enum IndependentChecks {
    /// The exact bytes skopeo reads for `reference`.
    static func rawManifest(_ reference: ImageReference, on registry: FleetRegistry) async throws -> [UInt8] {
        Array(try await ExternalTool.check(["skopeo", "inspect", "--raw"] + registry.containersToolFlags + ["docker://\(reference)"]).stdoutData)
    }

    /// The digest of the image config skopeo resolves `reference` to when asking for `os/architecture[/variant]`.
    static func resolvedConfigDigest(
        _ reference: ImageReference, platform: String, on registry: FleetRegistry
    ) async throws -> Digest {
        let parts = platform.split(separator: "/").map(String.init)
        var flags = ["--override-os", parts[0], "--override-arch", parts[1]]
        if parts.count > 2 { flags += ["--override-variant", parts[2]] }
        let config = try await ExternalTool.check(
            ["skopeo", "inspect", "--config", "--raw"] + flags + registry.containersToolFlags + ["docker://\(reference)"])
        return Digest(of: config.stdoutData)
    }

    /// `docker manifest inspect --insecure`, decoded.
    static func dockerManifestInspect(_ reference: ImageReference, on registry: FleetRegistry) async throws -> ImageIndex {
        let output = try await ExternalTool.check(
            ["docker", "manifest", "inspect", "--insecure", reference.description], environment: registry.dockerEnvironment)
        return try CanonicalJSON.decode(ImageIndex.self, from: Array(output.stdoutData))
    }

    /// Validates `bytes` against the OCI image index schema; returns the validator's complaints (empty when valid).
    static func schemaProblems(ofIndex bytes: [UInt8]) async throws -> [String] {
        let fixtures = URL(fileURLWithPath: SourceTree.path("Tests/Fixtures"))
        let document = NSTemporaryDirectory() + "index-" + UUID().uuidString + ".json"
        try Data(bytes).write(to: URL(fileURLWithPath: document))
        defer { try? FileManager.default.removeItem(atPath: document) }
        let output = try await Shell.run([
            "python3", fixtures.appendingPathComponent("validate-oci-schema.py").path,
            fixtures.appendingPathComponent("oci-schema/image-index-schema.json").path, document,
        ])
        guard output.status == 0 || output.status == 1 else {
            throw ExternalTool.Failure(description: "the schema validator failed: \(output.stderr)")
        }
        return output.stdout.split(separator: "\n").map(String.init)
    }

    /// Every check at once for a list that should hold `children` (platform → child manifest) at `reference`.
    static func verifyList(
        _ reference: ImageReference, pushed: [UInt8], children: [(platform: String, manifest: ManifestDocument)],
        windowsVersion: String?, on registry: FleetRegistry
    ) async throws {
        let raw = try await rawManifest(reference, on: registry)
        #expect(raw == pushed, "skopeo reads the exact bytes pushed")
        let problems = try await schemaProblems(ofIndex: pushed)
        #expect(problems == [], "the list validates against image-index-schema.json")
        let docker = try await dockerManifestInspect(reference, on: registry)
        // docker's output has no annotations: attestation manifests show as unknown/unknown.
        let images = docker.manifests.filter { !($0.platform?.isUnknown ?? false) }
        #expect(Set(images.map(\.digest)) == Set(children.map(\.manifest.digest)), "docker sees every child")
        for entry in images where entry.platform?.os == "windows" {
            #expect(entry.platform?.osVersion == windowsVersion, "docker sees os.version on the Windows entry")
        }
        for child in children {
            guard case .image(let image) = child.manifest.content else {
                Issue.record("child for \(child.platform) is not an image manifest")
                continue
            }
            let resolved = try await resolvedConfigDigest(reference, platform: child.platform, on: registry)
            #expect(resolved == image.config.digest, "skopeo resolves \(child.platform) to its child")
        }
    }
}
