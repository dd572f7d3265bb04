import Foundation
import TestSupport
import Testing

/// `--cache registry`: a platform built on host A (wincross-1: buildah, root storage) exports its cache; the same
/// sources rebuilt on host B (podman-1: rootless podman as cpodman, storage of its own) with A unreachable pull it
/// and skip the slow step. Each platform has its own cache place; the release repository gets no cache tag.
extension BuildCommandTests {
    @Test("a standby host with storage of its own builds warm from the registry cache")
    func registryCacheAcrossHosts() async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet, dockerfile: """
            FROM \(try fleet.value("TESTBED_BASE_IMAGE"))
            COPY id.txt /id.txt
            RUN sleep 8; echo slow >/slow.txt

            """)
        defer { project.remove() }
        let image = try Self.image(fleet)
        let dir = try fleet.value("TESTBED_DIR")
        func host(_ name: String, _ address: String, user: String, builder: String, workDir: String,
                  port: Int = 2222, cross: String = "[]") throws -> String {
            """
            { "name": "\(name)", "address": "\(address)", "port": \(port), "user": "\(user)",
              "identityFiles": ["\(try fleet.value("TESTBED_SSH_KEY"))"], "agent": false,
              "knownHostsFile": "\(try fleet.value("TESTBED_KNOWN_HOSTS"))", "builder": "\(builder)",
              "platforms": ["linux/amd64"], "crossPlatforms": \(cross),
              \(cross == "[]" ? "" : "\"windowsVersion\": \"ltsc2022\",") "workDir": "\(workDir)" }
            """
        }
        let wincross = try fleet.value("TESTBED_HOST_WINCROSS")
        let hostA = try host("wincross-1", wincross, user: "root", builder: "buildah",
                             workDir: "\(dir)/hosts/wincross-1/work-cache", cross: "[\"windows/amd64\"]")
        // A made unusable: nothing listens on port 1, so the platform fails over to B.
        let deadA = try host("wincross-1", wincross, user: "root", builder: "buildah",
                             workDir: "\(dir)/hosts/wincross-1/work-cache", port: 1)
        let hostB = try host("podman-1", try fleet.value("TESTBED_HOST_PODMAN"),
                             user: try fleet.value("TESTBED_PODMAN_SSH_USER"), builder: "podman",
                             workDir: "\(dir)/hosts/podman-1/work")
        let onA = try project.inventory("{ \"hosts\": [ \(hostA) ] }")
        let first = try await project.build([
            "--inventory", onA, "--image", image, "--tag", "v1", "--platform", "linux/amd64,windows/amd64",
            "--cache", "registry",
        ])
        #expect(first.status == 0, "\(first.stderr)")

        let onB = try project.inventory("{ \"hosts\": [ \(deadA), \(hostB) ] }")
        let json = NSTemporaryDirectory() + "cache-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: json) }
        let second = try await project.build([
            "--inventory", onB, "--image", image, "--tag", "v2", "--platform", "linux/amd64", "--cache", "registry",
            "--retries", "3", "--json", json,
        ])
        #expect(second.status == 0, "\(second.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        let platform = (report?["platforms"] as? [[String: Any]])?.first
        #expect(platform?["host"] as? String == "podman-1")
        // The slow RUN step came from A's cache: pulled from the registry, not run (8 s).
        let slowStep = second.stderr.components(separatedBy: "RUN sleep 8").dropFirst().first ?? ""
        #expect(slowStep.contains("Cache pulled from remote \(image)-cache/linux-amd64"), "\(second.stderr)")
        #expect(slowStep.prefix(600).contains("Using cache"), "\(second.stderr)")
        let building = (platform?["phases"] as? [String: Double])?["building"] ?? 99
        #expect(building < 8, "the build took \(building) s: the slow step ran again")

        // Each platform has a cache place of its own; the release repository has no cache tag.
        for place in ["linux-amd64", "windows-ltsc2022-amd64"] {
            let tags = try await Shell.run(["skopeo", "list-tags", "--tls-verify=false", "docker://\(image)-cache/\(place)"])
            #expect(tags.succeeded && tags.stdout.contains("\"Tags\""), "\(place): \(tags.stderr)")
        }
        let released = try await Shell.run(["skopeo", "list-tags", "--tls-verify=false", "docker://\(image)"])
        let tags = Set(((try JSONSerialization.jsonObject(with: released.stdoutData) as? [String: Any])?["Tags"]
            as? [String]) ?? [])
        #expect(tags == ["v1", "v1-linux-amd64", "v1-windows-ltsc2022-amd64", "v2", "v2-linux-amd64"], "\(tags)")
    }

    @Test("buildx with the docker driver: inline cache pushed as the platform's cache reference, said in the progress")
    func registryCacheInlineOnBuildx() async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet)
        defer { project.remove() }
        let image = try Self.image(fleet)
        let arguments = ["--inventory", try fleet.value("TESTBED_INVENTORY"), "--image", image, "--platform",
                         "linux/amd64,linux/arm64", "--cache", "registry", "--no-resume"]
        let first = try await project.build(arguments + ["--tag", "v1"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("buildx's docker driver exports inline cache only"), "\(first.stderr)")
        // Each platform's cache place is a tag of the cache repository holding that platform's image.
        for (place, arch) in [("linux-amd64", "amd64"), ("linux-arm64", "arm64")] {
            let config = try await Self.inspect("\(image)-cache:\(place)", os: "linux", arch: arch)
            #expect(config["architecture"] as? String == arch, "\(place): \(config)")
        }
        // The next build imports it (--cache-from), and the COPY step comes from the cache.
        let second = try await project.build(arguments + ["--tag", "v2"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("importing cache manifest from \(image)-cache:linux-amd64"), "\(second.stderr)")
    }

    @Test("--cache refusals: another registry, --cache-repo alone, a non-registry output")
    func registryCacheRefusals() async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet)
        defer { project.remove() }
        let base = try project.fleetBase()
        let cases: [([String], String)] = [
            (["--cache", "registry", "--cache-repo", "other.example.com/cache"], "is on another registry"),
            (["--cache-repo", "\(try fleet.value("TESTBED_REGISTRY"))/cache"], "--cache-repo needs --cache registry"),
            (["--cache", "registry", "--output", "tar"], "needs --output registry"),
            (["--cache", "disk"], "disk"),
        ]
        try await project.expectRefusals(base, cases)
    }
}
