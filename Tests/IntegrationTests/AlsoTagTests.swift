import Foundation
import TestSupport
import Testing

/// `--also-tag`: one list, pushed once per tag and read back; checked with skopeo.
extension BuildCommandTests {
    @Test("--also-tag pushes the same list under every tag; the report lists each")
    func alsoTag() async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet)
        defer { project.remove() }
        let image = try Self.image(fleet)
        let json = project.directory + "/report.json"
        let result = try await project.build([
            "--inventory", try fleet.value("TESTBED_INVENTORY"), "--image", image, "--tag", "v1.14.2",
            "--also-tag", "v1.14", "--also-tag", "latest", "--platform", "linux/amd64,linux/arm64", "--json", json,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("also tagged: \(image):v1.14\n"), "\(result.stdout)")
        #expect(result.stdout.contains("also tagged: \(image):latest\n"), "\(result.stdout)")

        var lists: [String] = []
        for tag in ["v1.14.2", "v1.14", "latest"] {
            let raw = try await Shell.run(["skopeo", "inspect", "--tls-verify=false", "--raw", "docker://\(image):\(tag)"])
            #expect(raw.succeeded, "\(tag): \(raw.stderr)")
            lists.append(raw.stdout)
        }
        #expect(Set(lists).count == 1, "the tags hold different lists")
        #expect(lists[0].contains("linux") && lists[0].contains("arm64"))

        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        #expect(report?["schemaVersion"] as? Int == 2)
        #expect(report?["listTags"] as? [String] == ["v1.14.2", "v1.14", "latest"])
        // Per-platform tags stay derived from --tag only.
        let platforms = report?["platforms"] as? [[String: Any]] ?? []
        #expect(Set(platforms.compactMap { $0["tag"] as? String })
            == ["\(image):v1.14.2-linux-amd64", "\(image):v1.14.2-linux-arm64"])
    }

    @Test("--also-tag refuses a bad tag, a repeat, the --tag itself and a non-registry output, before any host")
    func alsoTagRefusals() async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet)
        defer { project.remove() }
        let image = try Self.image(fleet)
        let base = ["--inventory", try fleet.value("TESTBED_INVENTORY"), "--image", image, "--tag", "v1",
                    "--platform", "linux/amd64"]
        let cases: [([String], String)] = [
            (["--also-tag", "bad tag!"], "--also-tag \"bad tag!\""),
            (["--also-tag", "x", "--also-tag", "x"], "--also-tag names a tag twice"),
            (["--also-tag", "v1"], "is the --tag itself"),
            (["--also-tag", "latest", "--output", "tar"], "needs --output registry"),
        ]
        try await project.expectRefusals(base, cases)
        #expect(try await !Self.listExists("\(image):v1"))
    }
}
