import Foundation
import Shared
import TestSupport
import Testing

/// `--provenance attach|sign` on the fleet: verified by cosign, docker buildx imagetools, skopeo and the OCI schema.
extension BuildCommandTests {
    /// A cosign key pair made for the test, its password in `environment`.
    struct SigningKey {
        let directory: String
        let environment: [String: String]
        var privateKey: String { directory + "/cosign.key" }
        var publicKey: String { directory + "/cosign.pub" }

        init() async throws {
            directory = NSTemporaryDirectory() + "signing-key-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            environment = ["COSIGN_PASSWORD": "pw-\(UUID().uuidString)"]
            let made = try await Shell.run(
                ["cosign", "generate-key-pair"], environment: environment, directory: directory)
            #expect(made.succeeded, "\(made.stderr)")
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// The docker CLI's configuration for buildx, outside every project (buildx writes state there).
    static let buildxConfig = NSTemporaryDirectory() + "signing-buildx-config"

    static let cosignRegistryFlags = ["--allow-insecure-registry", "--allow-http-registry"]

    static func cosign(_ arguments: [String], environment: [String: String] = [:]) async throws -> Shell.Result {
        try await Shell.run(["cosign"] + arguments, environment: environment, timeout: .seconds(120))
    }

    /// The statements `cosign verify-attestation` verified, decoded from their DSSE payloads.
    static func verifiedStatements(_ output: String) -> [[String: Any]] {
        output.split(separator: "\n").compactMap { line in
            guard let envelope = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let payload = (envelope["payload"] as? String).flatMap({ Data(base64Encoded: $0) })
            else { return nil }
            return try? JSONSerialization.jsonObject(with: payload) as? [String: Any]
        }
    }

    @Test("--provenance sign: buildx, buildah and cross-built Windows platforms signed, attested and verified")
    func signedRelease() async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet)
        defer { project.remove() }
        let key = try await SigningKey()
        defer { key.remove() }
        let image = "\(try fleet.value("TESTBED_REGISTRY"))/signing/rel-\(UUID().uuidString.prefix(8).lowercased())"
        // Outside the context, which must stay the same for the resume at the end.
        let json = NSTemporaryDirectory() + "signed-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: json) }
        let secretValue = "s3cret-\(UUID().uuidString)"
        let release = {
            try await project.build([
                "--inventory", try fleet.value("TESTBED_INVENTORY"), "--image", image, "--tag", "v1",
                "--platform", "linux/amd64,linux/arm64,windows/amd64", "--build-arg", "VERSION=signed",
                "--secret", "id=token,env=SIGNING_TEST_SECRET", "--json", json,
                "--provenance", "sign", "--sign-key", key.privateKey, "--cosign-arg=--tlog-upload=false",
            ], environment: key.environment.merging(["SIGNING_TEST_SECRET": secretValue]) { own, _ in own },
                timeout: .seconds(900))
        }
        let result = try await release()
        #expect(result.status == 0, "\(result.stderr)")

        let reportText = try String(contentsOfFile: json, encoding: .utf8)
        let report = try JSONSerialization.jsonObject(with: Data(reportText.utf8)) as? [String: Any] ?? [:]
        #expect(report["provenance"] as? String == "sign")
        #expect(report["signaturesVerified"] as? Bool == true)
        #expect((report["listSignature"] as? String)?.hasPrefix("sha256:") == true, "\(report)")
        let listDigest = try #require(report["listDigest"] as? String)
        let platforms = report["platforms"] as? [[String: Any]] ?? []
        #expect(platforms.count == 3)

        // The list and every platform image by digest pass cosign verify with the public key.
        let verifyFlags = ["--key", key.publicKey, "--insecure-ignore-tlog"] + Self.cosignRegistryFlags
        let list = try await Self.cosign(["verify"] + verifyFlags + ["\(image)@\(listDigest)"])
        #expect(list.succeeded, "list: \(list.stderr)")
        print("cosign verify \(image)@\(listDigest):\n\(list.stderr)\(list.stdout)")
        for platform in platforms {
            let name = platform["platform"] as? String ?? "?"
            let digest = try #require(platform["digest"] as? String)
            let host = try #require(platform["host"] as? String)
            let provenance = platform["provenance"] as? [String: Any] ?? [:]
            #expect(provenance["status"] as? String == "attached", "\(name): \(provenance)")
            #expect(provenance["verified"] as? Bool == true, "\(name): \(provenance)")
            #expect((provenance["signature"] as? String)?.hasPrefix("sha256:") == true, "\(name): \(provenance)")
            #expect((provenance["signedAttestation"] as? String)?.hasPrefix("sha256:") == true, "\(name)")
            let verified = try await Self.cosign(["verify"] + verifyFlags + ["\(image)@\(digest)"])
            #expect(verified.succeeded, "\(name): \(verified.stderr)")
            let attested = try await Self.cosign(
                ["verify-attestation", "--type", "slsaprovenance1"] + verifyFlags + ["\(image)@\(digest)"])
            #expect(attested.succeeded, "\(name): \(attested.stderr)")
            if name == "windows/amd64" { print("cosign verify-attestation \(image)@\(digest):\n\(attested.stderr)") }
            let statements = Self.verifiedStatements(attested.stdout)
            #expect(!statements.isEmpty, "\(name): \(attested.stdout)")
            for statement in statements {
                let predicate = statement["predicate"] as? [String: Any]
                let definition = predicate?["buildDefinition"] as? [String: Any]
                let internalParameters = definition?["internalParameters"] as? [String: Any]
                #expect(internalParameters?["host"] as? String == host, "\(name): \(statement)")
                let builder = internalParameters?["builder"] as? [String: Any]
                #expect(builder?["version"] as? String != nil, "\(name): the builder's version: \(statement)")
                let external = definition?["externalParameters"] as? [String: Any]
                #expect(external?["platform"] as? String == name)
                #expect(external?["secretIds"] as? [String] == ["token"])
                #expect((external?["buildArgs"] as? [String: String])?["VERSION"] == "signed")
            }
            for statement in statements {
                let text = String(decoding: try JSONSerialization.data(withJSONObject: statement), as: UTF8.self)
                #expect(!text.contains(secretValue), "\(name): a secret value in the predicate")
            }
        }

        // buildx reads each platform's provenance from the attached index.
        let inspect = try await Shell.run(
            ["docker", "buildx", "imagetools", "inspect", "\(image):v1", "--format", "{{ json .Provenance }}"],
            environment: ["DOCKER_HOST": try fleet.value("DOCKER_HOST"),
                          "DOCKER_CONFIG": Self.buildxConfig])
        #expect(inspect.succeeded, "\(inspect.stderr)")
        for host in ["amd64-1", "arm64-1", "wincross-1"] {
            #expect(inspect.stdout.contains("\"host\": \"\(host)\""), "buildx: \(inspect.stdout)")
        }
        for platform in ["linux/amd64", "linux/arm64", "windows/amd64"] {
            #expect(inspect.stdout.contains("\"\(platform)\""), "buildx: \(inspect.stdout)")
        }
        #expect(!inspect.stdout.contains(secretValue))
        #expect(!reportText.contains(secretValue))
        // The key's password stays in the local cosign's environment: not in the report, the logs or an error.
        let password = try #require(key.environment["COSIGN_PASSWORD"])
        #expect(!reportText.contains(password) && !result.stderr.contains(password) && !result.stdout.contains(password))
        let logs = project.directory + "/_output/logs"
        for file in try FileManager.default.contentsOfDirectory(atPath: logs) {
            let log = try String(contentsOfFile: logs + "/" + file, encoding: .utf8)
            #expect(!log.contains(password) && !log.contains(secretValue), "\(file)")
        }

        // skopeo still resolves every platform; the index validates against the OCI schema.
        for (os, arch) in [("linux", "amd64"), ("linux", "arm64"), ("windows", "amd64")] {
            let config = try await Self.inspect("\(image):v1", os: os, arch: arch)
            #expect(config["os"] as? String == os && config["architecture"] as? String == arch)
        }
        let raw = try await Shell.run(["skopeo", "inspect", "--tls-verify=false", "--raw", "docker://\(image):v1"])
        #expect(Digest(of: raw.stdoutData).description == listDigest)
        #expect(try await IndependentChecks.schemaProblems(ofIndex: Array(raw.stdoutData)) == [])
        let index = try CanonicalJSON.decode(ImageIndex.self, from: Array(raw.stdoutData))
        #expect(index.mediaType == MediaType.ociIndex)
        #expect(index.manifests.filter(\.isAttestationManifest).count == 3)

        // A platform tag re-pointed at an image nobody signed fails cosign verify of that tag.
        let copied = try await Shell.run([
            "skopeo", "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
            "docker://" + (try fleet.value("TESTBED_BASE_IMAGE")), "docker://\(image):v1-linux-arm64",
        ])
        #expect(copied.succeeded, "\(copied.stderr)")
        let repointed = try await Self.cosign(["verify"] + verifyFlags + ["\(image):v1-linux-arm64"])
        #expect(!repointed.succeeded, "a re-pointed tag must not verify: \(repointed.stdout)")
        let stillList = try await Self.cosign(["verify"] + verifyFlags + ["\(image):v1"])
        #expect(stillList.succeeded, "the list's signature covers digests: \(stillList.stderr)")

        // Resume: linux/arm64 (its tag now holds another image) is rebuilt; the others keep their provenance,
        // found by digest in cosign's attestation and the list, verified, not made again.
        let firstProvenance = Dictionary(platforms.map {
            ($0["platform"] as? String ?? "", $0["provenance"] as? [String: Any] ?? [:])
        }) { first, _ in first }
        let again = try await release()
        #expect(again.status == 0, "\(again.stderr)")
        let second = try Self.report(json)
        #expect(second?["signaturesVerified"] as? Bool == true)
        for platform in second?["platforms"] as? [[String: Any]] ?? [] {
            let name = platform["platform"] as? String ?? "?"
            let provenance = platform["provenance"] as? [String: Any] ?? [:]
            if name == "linux/arm64" {
                #expect(platform["outcome"] as? String == "built", "\(name): \(platform)")
                #expect(provenance["status"] as? String == "attached")
            } else {
                #expect(platform["outcome"] as? String == "reused", "\(name): \(platform)")
                #expect(provenance["status"] as? String == "reused", "\(name): \(provenance)")
                #expect(provenance["attestationManifest"] as? String
                    == firstProvenance[name]?["attestationManifest"] as? String, "\(name): a new provenance was made")
                #expect(provenance["signedAttestation"] as? String
                    == firstProvenance[name]?["signedAttestation"] as? String, "\(name): attested again")
                #expect(provenance["signature"] as? String
                    == firstProvenance[name]?["signature"] as? String, "\(name): signed again")
            }
            #expect(provenance["verified"] as? Bool == true, "\(name): \(provenance)")
        }
    }

    @Test("--provenance attach without cosign; resume keeps the provenance; none stays a Docker list; refusals")
    func attachedProvenance() async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet)
        defer { project.remove() }
        let image = "\(try fleet.value("TESTBED_REGISTRY"))/signing/att-\(UUID().uuidString.prefix(8).lowercased())"
        let base = ["--inventory", try fleet.value("TESTBED_INVENTORY"), "--image", image, "--platform", "linux/amd64"]
        // Outside the context, which must stay the same for the resume.
        let json = NSTemporaryDirectory() + "attach-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: json) }
        var result = try await project.build(base + ["--tag", "v1", "--provenance", "attach", "--json", json])
        #expect(result.status == 0, "\(result.stderr)")
        let first = try Self.provenance(json)
        #expect(first?["status"] as? String == "attached")

        let inspect = try await Shell.run(
            ["docker", "buildx", "imagetools", "inspect", "\(image):v1", "--format", "{{ json .Provenance }}"],
            environment: ["DOCKER_HOST": try fleet.value("DOCKER_HOST"),
                          "DOCKER_CONFIG": Self.buildxConfig])
        #expect(inspect.succeeded && inspect.stdout.contains("\"amd64-1\""), "\(inspect.stdout)\(inspect.stderr)")

        // Resume: the platform is reused and its provenance found again by digest, not made anew.
        result = try await project.build(base + ["--tag", "v1", "--provenance", "attach", "--json", json])
        #expect(result.status == 0, "\(result.stderr)")
        let second = try Self.provenance(json)
        #expect(second?["status"] as? String == "reused", "\(String(describing: second))")
        #expect(second?["statement"] as? String == first?["statement"] as? String)
        #expect(second?["attestationManifest"] as? String == first?["attestationManifest"] as? String)

        // --provenance none: the Docker manifest list, no attestation.
        result = try await project.build(base + ["--tag", "plain", "--no-resume"])
        #expect(result.status == 0, "\(result.stderr)")
        let plain = try await Self.rawJSON("\(image):plain")
        #expect(plain["mediaType"] as? String == MediaType.dockerManifestList)
        #expect((plain["manifests"] as? [[String: Any]])?.count == 1)

        // A reused platform without provenance: reported missing, never made up; `sign` then moves no tag.
        result = try await project.build(base + ["--tag", "plain", "--provenance", "attach", "--json", json])
        #expect(result.status == 0, "\(result.stderr)")
        let missing = try Self.provenance(json)
        #expect(missing?["status"] as? String == "missing", "\(String(describing: missing))")
        #expect(missing?["statement"] == nil)
        let attachedList = try await Shell.run(
            ["skopeo", "inspect", "--tls-verify=false", "--raw", "docker://\(image):plain"])
        result = try await project.build(base + ["--tag", "plain", "--provenance", "sign"])
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("no provenance was found"), "\(result.stderr)")
        let unmoved = try await Shell.run(
            ["skopeo", "inspect", "--tls-verify=false", "--raw", "docker://\(image):plain"])
        #expect(unmoved.stdoutData == attachedList.stdoutData, "the list tag moved")

        // Signing that fails (the key's password is wrong): no list tag is moved or made, the report says why.
        let key = try await SigningKey()
        defer { key.remove() }
        result = try await project.build(
            base + ["--tag", "badkey", "--provenance", "sign", "--sign-key", key.privateKey, "--json", json,
                    "--cosign-arg=--tlog-upload=false"],
            environment: ["COSIGN_PASSWORD": "not-the-password"])
        #expect(result.status == 3, "\(result.stderr)")
        #expect(try await !Self.listExists("\(image):badkey"))
        let failed = try Self.report(json)
        #expect((failed?["error"] as? String)?.contains("no tag of") == true, "\(String(describing: failed))")
        #expect(failed?["listDigest"] == nil && failed?["signaturesVerified"] == nil)

        let refusals: [([String], String)] = [
            (["--provenance", "attach", "--list-format", "docker"], "needs an OCI index"),
            (["--provenance", "sign", "--output", "tar"], "needs --output registry"),
            (["--sign-key", "/x.key"], "are for --provenance sign"),
        ]
        for (extra, message) in refusals {
            let refused = try await project.build(base + ["--tag", "x"] + extra)
            #expect(refused.status == 2, "\(extra): \(refused.stderr)")
            #expect(refused.stderr.contains(message), "\(extra): \(refused.stderr)")
        }
        let noCosign = try await project.build(
            base + ["--tag", "x", "--provenance", "sign"], environment: ["PATH": "/nonexistent"])
        #expect(noCosign.status == 2 && noCosign.stderr.contains("apt-get install cosign"), "\(noCosign.stderr)")
        #expect(try await !Self.listExists("\(image):x"))
    }

    static func report(_ json: String) throws -> [String: Any]? {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
    }

    static func provenance(_ json: String) throws -> [String: Any]? {
        let report = try Self.report(json)
        return (report?["platforms"] as? [[String: Any]])?.first?["provenance"] as? [String: Any]
    }
}
