import Foundation
import TestSupport
import Testing

/// `--annotation`, `--list-format` and the default OCI annotations, read back with skopeo.
extension BuildCommandTests {
    @Test("index, manifest (buildah) and manifest-descriptor annotations, with the default ones of a git checkout")
    func annotations() async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet, dockerfile: "FROM scratch\nCOPY hello.txt /hello.txt\n")
        defer { project.remove() }
        // The context is a git checkout whose origin URL holds credentials: they must not reach the list.
        for arguments in [["init", "-q", "-b", "main", project.directory],
                          ["-C", project.directory, "add", "."],
                          ["-C", project.directory, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "one"],
                          ["-C", project.directory, "remote", "add", "origin", "https://bot:tok3n@git.example.com/org/app.git"]] {
            try await Self.git(arguments)
        }
        let head = try await Shell.run(["git", "-C", project.directory, "rev-parse", "HEAD"]).trimmedStdout
        let inventory = try project.inventory(try BuildSecretTests.buildahOnly(fleet))
        let image = try Self.image(fleet)
        let json = NSTemporaryDirectory() + "annotations-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: json) }
        let result = try await project.build([
            "--inventory", inventory, "--image", image, "--tag", "v1.2.3", "--platform", "linux/amd64",
            "--annotation", "index:org.example.team=release", "--annotation", "org.example.component=api",
            "--annotation", "manifest-descriptor:org.example.entry=yes", "--json", json,
        ])
        #expect(result.status == 0, "\(result.stderr)")

        let list = try await Self.rawJSON("\(image):v1.2.3")
        #expect(list["mediaType"] as? String == "application/vnd.oci.image.index.v1+json")
        let annotations = list["annotations"] as? [String: String] ?? [:]
        #expect(annotations["org.example.team"] == "release", "\(annotations)")
        #expect(annotations["org.opencontainers.image.version"] == "v1.2.3")
        #expect(annotations["org.opencontainers.image.source"] == "https://git.example.com/org/app.git", "\(annotations)")
        #expect(annotations["org.opencontainers.image.revision"] == head)
        #expect(annotations["org.opencontainers.image.created"]?.hasPrefix("20") == true, "\(annotations)")
        let entry = (list["manifests"] as? [[String: Any]])?.first
        #expect((entry?["annotations"] as? [String: String])?["org.example.entry"] == "yes", "\(String(describing: entry))")

        let manifest = try await Self.rawJSON("\(image):v1.2.3-linux-amd64")
        #expect(manifest["mediaType"] as? String == "application/vnd.oci.image.manifest.v1+json")
        #expect((manifest["annotations"] as? [String: String])?["org.example.component"] == "api", "\(manifest)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        #expect((report?["listAnnotations"] as? [String: String])?["org.example.team"] == "release")
        #expect(!(try String(contentsOfFile: json, encoding: .utf8)).contains("tok3n"))
    }

    @Test("--list-format oci and docker, --no-default-annotations, and the refusals")
    func listFormats() async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet)
        defer { project.remove() }
        let image = try Self.image(fleet)
        let base = ["--inventory", try fleet.value("TESTBED_INVENTORY"), "--image", image, "--platform", "linux/amd64"]

        var result = try await project.build(base + ["--tag", "oci", "--list-format", "oci"])
        #expect(result.status == 0, "\(result.stderr)")
        var list = try await Self.rawJSON("\(image):oci")
        #expect(list["mediaType"] as? String == "application/vnd.oci.image.index.v1+json")
        #expect((list["annotations"] as? [String: String])?["org.opencontainers.image.version"] == "oci")

        result = try await project.build(base + ["--tag", "bare", "--list-format", "oci", "--no-default-annotations"])
        #expect(result.status == 0, "\(result.stderr)")
        list = try await Self.rawJSON("\(image):bare")
        #expect(list["annotations"] == nil, "\(list)")

        result = try await project.build(base + ["--tag", "docker"])
        #expect(result.status == 0, "\(result.stderr)")
        list = try await Self.rawJSON("\(image):docker")
        #expect(list["mediaType"] as? String == "application/vnd.docker.distribution.manifest.list.v2+json")

        let refusals: [([String], String)] = [
            (["--tag", "x", "--annotation", "org.example.a=b"], "whose builder (buildx) pushes Docker v2 manifests"),
            (["--tag", "x", "--list-format", "docker", "--annotation", "index:a=b"], "need an OCI index"),
            (["--tag", "x", "--annotation", "bogus:a=b"], "\"bogus\" is not a type"),
            (["--tag", "x", "--annotation", "index:=b"], "needs a key"),
        ]
        try await project.expectRefusals(base, refusals)
        #expect(try await !Self.listExists("\(image):x"))
    }

    static func rawJSON(_ reference: String) async throws -> [String: Any] {
        let raw = try await Shell.run(["skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + reference])
        #expect(raw.succeeded, "\(reference): \(raw.stderr)")
        return try JSONSerialization.jsonObject(with: raw.stdoutData) as? [String: Any] ?? [:]
    }
}

extension BuildCommandTests {
    @Test("rootless podman: --label, --target and a manifest annotation on an OCI manifest")
    func podmanLabelsTargetAnnotations() async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet, dockerfile: """
            FROM scratch AS release
            LABEL stage=release
            COPY hello.txt /hello.txt
            FROM scratch AS debug
            LABEL stage=debug

            """)
        defer { project.remove() }
        let image = try Self.image(fleet)
        let result = try await project.build([
            "--inventory", try project.inventory(try BuildSecretTests.podmanOnly(fleet)), "--image", image,
            "--tag", "v1", "--platform", "linux/amd64", "--target", "release", "--label", "team=release",
            "--annotation", "org.example.component=api",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let config = try await Self.inspect("\(image):v1-linux-amd64", os: "linux", arch: "amd64")
        let labels = (config["config"] as? [String: Any])?["Labels"] as? [String: String] ?? [:]
        #expect(labels["team"] == "release" && labels["stage"] == "release", "\(labels)")
        let manifest = try await Self.rawJSON("\(image):v1-linux-amd64")
        #expect(manifest["mediaType"] as? String == "application/vnd.oci.image.manifest.v1+json")
        #expect((manifest["annotations"] as? [String: String])?["org.example.component"] == "api", "\(manifest)")
    }
}
