import Foundation
import TestSupport
import Testing

extension BuildCommandTests.Project {
    /// Runs `coordinator build` with `base` plus each case's arguments and expects a usage error (exit 2, before
    /// any host is contacted) whose message contains the case's text.
    func expectRefusals(
        _ base: [String], _ cases: [([String], String)], environment: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        for (extra, message) in cases {
            let result = try await build(base + extra, environment: environment)
            #expect(result.status == 2, "\(extra): \(result.stderr)", sourceLocation: sourceLocation)
            #expect(result.stderr.contains(message), "\(extra): \(result.stderr)", sourceLocation: sourceLocation)
        }
    }

    /// `--inventory` (the fleet's), a fresh `--image`, `--tag v1`, `--platform linux/amd64`.
    func fleetBase() throws -> [String] {
        ["--inventory", try fleet.value("TESTBED_INVENTORY"), "--image", try BuildCommandTests.image(fleet),
         "--tag", "v1", "--platform", "linux/amd64"]
    }
}
