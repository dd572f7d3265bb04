import Foundation
import TestSupport
import Testing

/// `--label`, `--target` and `--windows-target` on buildx (amd64-1, arm64-1) and buildah (wincross-1, the
/// cross-built Windows image), read back with skopeo; labels and target enter the resume fingerprint.
extension BuildCommandTests {
    @Test("--label on every builder, --target picks the stage, and both enter the resume fingerprint")
    func labelsAndTarget() async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet, dockerfile: """
            FROM scratch AS release
            LABEL stage=release
            COPY hello.txt /hello.txt
            FROM scratch AS debug
            LABEL stage=debug
            COPY id.txt /id.txt

            """)
        defer { project.remove() }
        let canary = project.directory + "/canary"
        let description = "two words; $(touch \(canary)) `touch \(canary)` \"quoted\" 'single'"
        let image = try Self.image(fleet)
        func release(_ team: String) async throws -> [String: Any]? {
            // Outside the context: a report written into it would change the next run's fingerprint.
            let json = NSTemporaryDirectory() + "labels-report-\(UUID().uuidString).json"
            defer { try? FileManager.default.removeItem(atPath: json) }
            let result = try await project.build([
                "--inventory", try fleet.value("TESTBED_INVENTORY"), "--image", image, "--tag", "v1",
                "--platform", "linux/amd64,linux/arm64,windows/amd64", "--target", "release",
                "--label", "org.opencontainers.image.description=\(description)", "--label", "team=\(team)",
                "--json", json,
            ])
            #expect(result.status == 0, "\(result.stderr)")
            return try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        }
        _ = try await release("a")
        for (os, arch) in [("linux", "amd64"), ("linux", "arm64"), ("windows", "amd64")] {
            let tag = os == "windows" ? "v1-windows-ltsc2022-amd64" : "v1-\(os)-\(arch)"
            let config = try await Self.inspect("\(image):\(tag)", os: os, arch: arch)
            let labels = (config["config"] as? [String: Any])?["Labels"] as? [String: String] ?? [:]
            #expect(labels["org.opencontainers.image.description"] == description, "\(tag): \(labels)")
            #expect(labels["team"] == "a", "\(tag): \(labels)")
            #expect(labels["org.coordinator.source-fingerprint"]?.hasPrefix("sha256:") == true, "\(tag): \(labels)")
            // The Linux Dockerfile's release stage; the Windows one has a single stage (no --windows-target).
            if os == "linux" { #expect(labels["stage"] == "release", "\(tag): \(labels)") }
        }
        #expect(!FileManager.default.fileExists(atPath: canary), "a label value ran in a shell")

        let same = try await release("a")
        let outcomes = (same?["platforms"] as? [[String: Any]] ?? []).map { $0["outcome"] as? String }
        #expect(outcomes == ["reused", "reused", "reused"], "the same labels and target must resume")
        let changed = try await release("b")
        let rebuilt = (changed?["platforms"] as? [[String: Any]] ?? []).map { $0["outcome"] as? String }
        #expect(rebuilt == ["built", "built", "built"], "a changed label must rebuild")
    }

    @Test("bad --label and --target values are refused before any host, naming the option")
    func labelAndTargetRefusals() async throws {
        let fleet = try Fleet.require()
        let project = try Project(fleet: fleet)
        defer { project.remove() }
        let base = try project.fleetBase()
        let cases: [([String], String)] = [
            (["--label", "=x"], "--label \"=x\" needs a key"),
            (["--label", "novalue"], "--label \"novalue\" needs a key"),
            (["--label", "org.coordinator.source-fingerprint=x"], "coordinator's own"),
            (["--target", "9lives"], "--target \"9lives\" is not a stage name"),
            (["--windows-target", "a b"], "--windows-target \"a b\" is not a stage name"),
        ]
        try await project.expectRefusals(base, cases)
    }
}
