import Foundation
import Shared
import Testing

@testable import Coordinator

@Suite("provenance statements and attestation manifests")
struct ProvenanceTests {
    static let digest = "sha256:" + String(repeating: "ab", count: 32)

    static func facts(git: Bool = false) -> ReleaseFacts {
        var facts = ReleaseFacts(
            image: "127.0.0.1:5000/signing/app", invocationID: "run-1", buildArgs: ["GOPROXY": "https://proxy"],
            labels: ["team": "a"], secretIDs: ["token"],
            dockerfiles: ["Dockerfile": .init(
                dockerfile: "sha256:" + String(repeating: "1", count: 64),
                context: "sha256:" + String(repeating: "2", count: 64))])
        if git {
            facts.gitSource = "https://git.example/app.git"
            facts.gitRevision = String(repeating: "c", count: 40)
        }
        return facts
    }

    static let host = BuildHostFacts(
        host: "wincross-1", builderKind: "buildah", builderVersion: "1.39.3", operatingSystem: "linux",
        architecture: "x86_64", windowsBuild: nil, startedOn: Date(timeIntervalSince1970: 1_800_000_000),
        finishedOn: Date(timeIntervalSince1970: 1_800_000_060))

    static func statement(git: Bool = false) -> ProvenanceStatement {
        ProvenanceFactory.statement(
            release: facts(git: git), digest: digest, platform: "windows/amd64", windowsVersion: "ltsc2022",
            tags: ["127.0.0.1:5000/signing/app:v1-windows-ltsc2022-amd64"], dockerfile: "Dockerfile", target: "final",
            host: host)
    }

    @Test("an in-toto v1 statement with a SLSA v1 predicate about the image digest")
    func statementShape() throws {
        let bytes = try Self.statement().encoded()
        let json = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(json["_type"] as? String == "https://in-toto.io/Statement/v1")
        #expect(json["predicateType"] as? String == "https://slsa.dev/provenance/v1")
        let subject = try #require((json["subject"] as? [[String: Any]])?.first)
        #expect((subject["digest"] as? [String: String])?["sha256"] == String(repeating: "ab", count: 32))
        let predicate = try #require(json["predicate"] as? [String: Any])
        let definition = try #require(predicate["buildDefinition"] as? [String: Any])
        #expect(definition["buildType"] as? String == ProvenanceStatement.buildType)
        let external = try #require(definition["externalParameters"] as? [String: Any])
        #expect(external["platform"] as? String == "windows/amd64")
        #expect(external["windowsVersion"] as? String == "ltsc2022")
        #expect(external["target"] as? String == "final")
        #expect(external["secretIds"] as? [String] == ["token"])
        #expect((external["buildArgs"] as? [String: String])?["GOPROXY"] == "https://proxy")
        let internalParameters = try #require(definition["internalParameters"] as? [String: Any])
        #expect(internalParameters["host"] as? String == "wincross-1")
        #expect((internalParameters["builder"] as? [String: Any])?["kind"] as? String == "buildah")
        let run = try #require(predicate["runDetails"] as? [String: Any])
        let metadata = try #require(run["metadata"] as? [String: Any])
        #expect(metadata["invocationId"] as? String == "run-1")
        #expect(metadata["startedOn"] as? String == "2027-01-15T08:00:00Z")
        #expect(((run["builder"] as? [String: Any])?["id"] as? String) == CoordinatorIdentity.builderID)
    }

    @Test("resolved dependencies: the context digest, and the git source and commit for a git context")
    func dependencies() throws {
        let plain = Self.statement().predicate.buildDefinition.resolvedDependencies
        #expect(plain.map(\.name) == ["context"])
        #expect(plain[0].digest == ["sha256": String(repeating: "2", count: 64)])
        let git = Self.statement(git: true).predicate.buildDefinition.resolvedDependencies
        #expect(git.last?.uri == "git+https://git.example/app.git")
        #expect(git.last?.digest == ["gitCommit": String(repeating: "c", count: 40)])
    }

    @Test("the same facts give the same bytes; a secret's value is never a field")
    func deterministic() throws {
        #expect(try Self.statement().encoded() == Self.statement().encoded())
        let text = String(decoding: try Self.statement().encoded(), as: UTF8.self)
        #expect(!text.contains("secretValue"))
        #expect(text.contains("\"secretIds\":[\"token\"]"))
    }

    @Test("BuildKit's attestation layout: unknown/unknown entry, reference annotations, in-toto layer")
    func attestationManifest() throws {
        let statement = try Self.statement().encoded()
        let image = try Digest(parsing: Self.digest)
        let attestation = try AttestationManifest(statement: statement, imageDigest: image)
        #expect(attestation.entry.platform == ImagePlatform(architecture: "unknown", os: "unknown"))
        #expect(attestation.entry.isAttestationManifest)
        #expect(attestation.entry.attestedDigest == image)
        #expect(attestation.entry.digest == Digest(of: attestation.manifest))
        let manifest = try CanonicalJSON.decode(ImageManifest.self, from: attestation.manifest)
        #expect(manifest.mediaType == MediaType.ociManifest)
        #expect(manifest.config.mediaType == MediaType.ociConfig)
        #expect(manifest.config.digest == Digest(of: attestation.config))
        #expect(manifest.layers.count == 1)
        #expect(manifest.layers[0].mediaType == "application/vnd.in-toto+json")
        #expect(manifest.layers[0].digest == Digest(of: statement))
        #expect(manifest.layers[0].annotations?["in-toto.io/predicate-type"] == "https://slsa.dev/provenance/v1")
        let config = String(decoding: attestation.config, as: UTF8.self)
        #expect(config.contains("\"architecture\":\"unknown\"") && config.contains("\"os\":\"unknown\""))
    }

    @Test("a resumed platform's predicate is taken from its stored statement, unchanged")
    func predicateOfStoredStatement() throws {
        let statement = Self.statement()
        let predicate = try #require(ReleaseProvenance.predicate(of: try statement.encoded()))
        #expect(predicate == (try statement.encodedPredicate()))
    }

    @Test("attestations force an OCI index and follow their image")
    func indexWithAttestations() throws {
        let child = Children.child(.dockerManifest, Children.amd64)
        let attestation = try AttestationManifest(
            statement: try Self.statement().encoded(), imageDigest: child.manifest.digest)
        var withAttestation = child
        withAttestation.attestations = [attestation.entry]
        #expect(ManifestListBuilder.kind(for: [withAttestation]) == .ociIndex)
        let index = ManifestListBuilder.build([withAttestation])
        #expect(index.manifests.map(\.digest) == [child.manifest.digest, attestation.entry.digest])
    }
}

@Suite("cosign command lines")
struct CosignSettingsTests {
    static let reference = "127.0.0.1:5000/signing/app@sha256:" + String(repeating: "a", count: 64)

    @Test("a key file, --cosign-arg and an insecure registry")
    func keyFile() {
        let settings = CosignSettings(
            key: "/keys/cosign.key", signArguments: ["--tlog-upload=false"], insecureRegistry: true)
        #expect(settings.signCommand(for: Self.reference) == [
            "sign", "--yes", "--key", "/keys/cosign.key", "--allow-insecure-registry", "--allow-http-registry",
            "--tlog-upload=false", Self.reference,
        ])
        #expect(settings.attestCommand(for: Self.reference, predicateFile: "/p.json").prefix(6) == [
            "attest", "--yes", "--type", "slsaprovenance1", "--predicate", "/p.json",
        ])
        let verify = settings.verifyAttestationCommand(for: Self.reference, verificationKey: "/tmp/cosign.pub")
        #expect(verify.contains("--insecure-ignore-tlog=true"))
        #expect(verify.contains("--allow-http-registry"))
        #expect(verify.last == Self.reference)
        #expect(!settings.keyIsURI)
    }

    @Test("keyless verification accepts this run's identity unless one is given; a CA file goes on")
    func keyless() {
        let settings = CosignSettings(key: nil, registryCACertificate: "/ca.pem")
        let verify = settings.verifyCommand(for: Self.reference, verificationKey: nil)
        #expect(verify.contains("--certificate-identity-regexp"))
        #expect(!verify.contains("--insecure-ignore-tlog=true"))
        #expect(settings.signCommand(for: Self.reference).contains("--registry-cacert"))
        let pinned = CosignSettings(verifyArguments: ["--certificate-identity=me@example.com"])
        let pinnedVerify = pinned.verifyCommand(for: Self.reference, verificationKey: nil)
        #expect(!pinnedVerify.contains("--certificate-identity-regexp"))
        #expect(CosignSettings(key: "awskms:///alias/release").keyIsURI)
    }
}
