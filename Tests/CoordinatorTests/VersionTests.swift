import Foundation
import TestSupport
import Testing

@Suite("coordinator --version")
struct VersionTests {
    @Test("prints the version and the commit stamped at build time, and exits 0")
    func version() async throws {
        let result = try await CoordinatorBinary.run(["--version"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = result.trimmedStdout
        #expect(line.wholeMatch(of: /coordinator [0-9A-Za-z._+-]+ \(commit ([0-9a-f]{4,40}|unknown)\)/) != nil, "\(line)")
    }
}
