import Foundation
import Shared
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `coordinator build` on the fleet's hosts that are prepared as the README tells users: `docker-user-1`
/// (a non-root user in the docker group, buildx) and `podman-1` (a non-root user, rootless podman). Each
/// build gets an inventory holding only that host, so the build cannot land on a root host; the pushed
/// images are checked with skopeo (platform, digest, the layers' file modes).
@Suite("coordinator build on the non-root hosts", .serialized)
struct UserHostBuildTests {
    /// A scratch project whose inventory is the fleet's entry for one host.
    struct Project {
        let directory: String
        let host: Fleet.TestHost
        let fleet: Fleet

        init(fleet: Fleet, host: Fleet.TestHost) throws {
            self.fleet = fleet
            self.host = host
            directory = NSTemporaryDirectory() + "user-host-test-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let data = try Data(contentsOf: URL(fileURLWithPath: try fleet.value("TESTBED_INVENTORY")))
            let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let entries = (root["hosts"] as? [[String: Any]] ?? []).filter { $0["name"] as? String == host.name }
            try #require(entries.count == 1, "the fleet's inventory has no host \(host.name): re-run `scripts/testbed up`")
            try JSONSerialization.data(withJSONObject: ["hosts": entries]).write(to: URL(fileURLWithPath: inventory))
        }

        var inventory: String { directory + "/inventory.json" }
        var context: String { directory + "/context" }
        var report: String { directory + "/report.json" }

        /// Writes `contents` to `path` under the context, creating its directory.
        func write(_ path: String, _ contents: String, mode: Int = 0o644) throws {
            let url = URL(fileURLWithPath: context + "/" + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try contents.write(to: url, atomically: false, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
        }

        /// Sets a path's mode with chmod(2): FileManager drops set-user-ID, set-group-ID and sticky bits.
        func chmod(_ path: String, _ mode: mode_t) throws {
            let full = context + "/" + path
            try #require(Glibc.chmod(full, mode) == 0, "chmod \(String(mode, radix: 8)) \(full): errno \(errno)")
        }

        /// `coordinator build` of the context for linux/amd64, pushing `image:v1`.
        func build(image: String) async throws -> Shell.Result {
            try await CoordinatorBinary.run(
                ["build", "--progress", "plain", "--inventory", inventory, "--image", image, "--tag", "v1",
                 "--platform", "linux/amd64", "--context", context, "--json", report],
                environment: ["DOCKER_CONFIG": directory + "/docker-config"], directory: directory,
                timeout: .seconds(600))
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    static func image(_ fleet: Fleet, _ what: String) throws -> String {
        "\(try fleet.value("TESTBED_REGISTRY"))/itest/\(what)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Checks what the build pushed: the report names the host and a digest, that digest is the bytes of
    /// the per-platform tag and the list's only entry, and the image's config says linux/amd64.
    /// Returns the digest.
    static func verifyPushed(_ project: Project, image: String) async throws -> String {
        let reportData = try Data(contentsOf: URL(fileURLWithPath: project.report))
        let report = try #require(try JSONSerialization.jsonObject(with: reportData) as? [String: Any])
        #expect(report["status"] as? String == "succeeded")
        let platforms = report["platforms"] as? [[String: Any]] ?? []
        #expect(platforms.map { $0["host"] as? String } == [project.host.name])
        let digest = try #require(platforms.first?["digest"] as? String)
        #expect(digest.hasPrefix("sha256:"))

        let raw = try await Shell.run(["skopeo", "inspect", "--tls-verify=false", "--raw", "docker://\(image):v1-linux-amd64"])
        #expect(raw.succeeded, "\(raw.stderr)")
        #expect(Digest(of: raw.stdoutData).description == digest, "the tag's bytes are not the reported digest")

        let list = try await Shell.run(["skopeo", "inspect", "--tls-verify=false", "--raw", "docker://\(image):v1"])
        #expect(list.succeeded, "\(list.stderr)")
        let index = try JSONSerialization.jsonObject(with: list.stdoutData) as? [String: Any] ?? [:]
        let entries = index["manifests"] as? [[String: Any]] ?? []
        #expect(entries.map { $0["digest"] as? String } == [digest])
        let platform = entries.first?["platform"] as? [String: Any]
        #expect(platform?["os"] as? String == "linux" && platform?["architecture"] as? String == "amd64")

        let config = try await Shell.run([
            "skopeo", "inspect", "--tls-verify=false", "--config", "docker://\(image)@\(digest)",
        ])
        #expect(config.succeeded, "\(config.stderr)")
        let configJSON = try JSONSerialization.jsonObject(with: config.stdoutData) as? [String: Any] ?? [:]
        #expect(configJSON["os"] as? String == "linux")
        #expect(configJSON["architecture"] as? String == "amd64")
        return digest
    }

    /// The image's layers, in order, as files: `skopeo copy` of `reference` into a new folder under `directory`.
    static func layerBlobs(of reference: String, in directory: String) async throws -> [String] {
        let copy = directory + "/image-\(UUID().uuidString)"
        let copied = try await Shell.run(
            ["skopeo", "copy", "-q", "--src-tls-verify=false", "docker://" + reference, "dir:" + copy])
        try #require(copied.succeeded, "skopeo copy \(reference): \(copied.stderr)")
        let manifest = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: copy + "/manifest.json"))) as? [String: Any] ?? [:]
        return try (manifest["layers"] as? [[String: Any]] ?? []).map { layer in
            let digest = try #require(layer["digest"] as? String)
            return copy + "/" + String(digest.dropFirst("sha256:".count))
        }
    }

    /// Every entry of the image's layers as `tar -tv` lists it: path to its mode string (`-rwxrwxr-x`).
    static func layerModes(_ reference: String, in directory: String) async throws -> [String: String] {
        var modes: [String: String] = [:]
        for blob in try await layerBlobs(of: reference, in: directory) {
            let listing = try await Shell.run(["tar", "--numeric-owner", "-tvf", blob])
            try #require(listing.succeeded, "tar -tvf \(blob): \(listing.stderr)")
            for line in listing.stdout.split(separator: "\n") {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count >= 6 else { continue }
                var path = String(fields[5])
                if path.hasSuffix("/") { path.removeLast() }
                modes[path] = String(fields[0])
            }
        }
        return modes
    }

    @Test("a multi-stage Dockerfile with RUN steps builds and pushes as the host's non-root user",
          arguments: Fleet.userHosts)
    func multiStage(host: Fleet.TestHost) async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet, host: host)
        defer { project.remove() }
        let base = try fleet.value("TESTBED_BASE_IMAGE")
        // The fleet's engine has no bridge network (RUN needs --network=none there); podman 4.3 (buildah 1.28)
        // refuses any RUN flag but --mount and gives RUN steps slirp4netns.
        let run = host.builder == "podman" ? "RUN" : "RUN --network=none"
        try project.write("Dockerfile", """
            FROM \(base) AS build
            COPY input.txt /input.txt
            \(run) tr a-z A-Z < /input.txt > /built.txt && id -u >> /built.txt
            FROM \(base)
            COPY --from=build /built.txt /built.txt
            \(run) grep -qx HELLO /built.txt && mkdir /checked
            """)
        try project.write("input.txt", "hello\n")
        let image = try Self.image(fleet, "user-host-stages")
        let result = try await project.build(image: image)
        #expect(result.status == 0, "\(host.name): \(result.stdout)\n\(result.stderr)")
        let digest = try await Self.verifyPushed(project, image: image)
        let modes = try await Self.layerModes("\(image)@\(digest)", in: project.directory)
        #expect(modes["built.txt"] == "-rw-r--r--", "\(modes.filter { !$0.key.contains("/") })")
        #expect(modes["checked"]?.hasPrefix("d") == true, "the final stage's RUN step left no /checked")
    }

    /// What Docker's context tar keeps and `docker build` puts in the image (checked with docker buildx on
    /// this machine): every mode bit of files and directories, set-user-ID, set-group-ID and sticky included.
    static let contextModes: [(path: String, mode: mode_t, listed: String)] = [
        ("run.sh", 0o775, "-rwxrwxr-x"),
        ("shared", 0o777, "drwxrwxrwx"),
        ("setgid", 0o2775, "drwxrwsr-x"),
        ("sticky", 0o1777, "drwxrwxrwt"),
        ("secret.txt", 0o600, "-rw-------"),
        ("setuid.sh", 0o4755, "-rwsr-xr-x"),
        ("group.sh", 0o2750, "-rwxr-s---"),
    ]

    @Test("file modes of the context reach the image as docker build keeps them, unpacked by a non-root user",
          arguments: Fleet.userHosts)
    func contextModes(host: Fleet.TestHost) async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet, host: host)
        defer { project.remove() }
        try project.write("Dockerfile", "FROM \(try fleet.value("TESTBED_BASE_IMAGE"))\nCOPY . /ctx/\n")
        try project.write("run.sh", "#!/bin/sh\necho run\n")
        try project.write("shared/a.txt", "a\n")
        try project.write("setgid/b.txt", "b\n")
        try project.write("sticky/c.txt", "c\n")
        try project.write("secret.txt", "not really a secret\n")
        try project.write("setuid.sh", "#!/bin/sh\n")
        try project.write("group.sh", "#!/bin/sh\n")
        // A distinct context per run, so no host reuses a context it unpacked before.
        try project.write("id.txt", UUID().uuidString)
        for entry in Self.contextModes { try project.chmod(entry.path, entry.mode) }

        let image = try Self.image(fleet, "user-host-modes")
        let result = try await project.build(image: image)
        #expect(result.status == 0, "\(host.name): \(result.stdout)\n\(result.stderr)")
        let digest = try await Self.verifyPushed(project, image: image)
        let modes = try await Self.layerModes("\(image)@\(digest)", in: project.directory)
        for entry in Self.contextModes {
            let check = {
                #expect(modes["ctx/" + entry.path] == entry.listed,
                        "\(host.name): ctx/\(entry.path) is \(modes["ctx/" + entry.path] ?? "missing"), want \(entry.listed)")
            }
            if host.builder == "podman", entry.mode & 0o6000 != 0 {
                // The context on the host keeps these bits (the unit test and docker-user-1 show it), but rootless
                // podman 4.3's COPY chowns to the image's root inside the user namespace, and the kernel clears
                // set-user-ID and set-group-ID on that chown: `podman build` by hand loses them too.
                withKnownIssue("rootless podman 4.3 COPY drops set-user-ID and set-group-ID bits") { check() }
            } else {
                check()
            }
        }
        #expect(modes["ctx/shared/a.txt"] == "-rw-r--r--")
    }
}
