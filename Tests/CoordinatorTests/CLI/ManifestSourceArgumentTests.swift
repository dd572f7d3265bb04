import Shared
import Testing

@testable import Coordinator

@Suite("manifest create arguments")
struct ManifestSourceArgumentTests {
    static let target = try! ImageReference(parsing: "127.0.0.1:5000/velero/velero:v1")
    static let digest = "sha256:" + String(repeating: "cd", count: 32)

    @Test(
        "[PLATFORM=]REFERENCE, with :TAG and @DIGEST relative to the target",
        arguments: [
            ("linux/arm64=127.0.0.1:5000/velero/velero:v1-linux-arm64", "linux/arm64", "127.0.0.1:5000/velero/velero:v1-linux-arm64"),
            ("linux/aarch64=:v1-linux-arm64", "linux/arm64", "127.0.0.1:5000/velero/velero:v1-linux-arm64"),
            ("windows/amd64=@\(digest)", "windows/amd64", "127.0.0.1:5000/velero/velero@\(digest)"),
            (":v1-linux-amd64", nil, "127.0.0.1:5000/velero/velero:v1-linux-amd64"),
            ("localhost:5001/other/repo:t", nil, "localhost:5001/other/repo:t"),
        ] as [(String, String?, String)])
    func parses(_ text: String, platform: String?, reference: String) throws {
        let source = try ManifestSourceArgument(parsing: text, target: Self.target)
        #expect(source.platform?.description == platform)
        #expect(source.reference.description == reference)
    }

    @Test("bad platforms and references are refused, quoting the SOURCE", arguments: ["linux=:v1", "linux/arm64=:-bad", "linux/arm64=x/UPPER"])
    func refuses(_ text: String) {
        #expect {
            try ManifestSourceArgument(parsing: text, target: Self.target)
        } throws: { error in
            "\(error)".contains(text)
        }
    }

    @Test("--windows-version takes LTSC names and builds", arguments: [("ltsc2022", "10.0.20348"), ("LTSC2019", "10.0.17763"), ("2025", "10.0.26100"), ("10.0.20348.2527", "10.0.20348.2527"), ("10.0.25398", "10.0.25398")])
    func windowsVersion(_ text: String, build: String) throws {
        #expect(try WindowsBuildArgument.build(text) == build)
    }

    @Test("--windows-version refuses anything else")
    func badWindowsVersion() {
        #expect(throws: ManifestArgumentError.self) { try WindowsBuildArgument.build("2023") }
        #expect(throws: ManifestArgumentError.self) { try WindowsBuildArgument.build("10.0.x") }
    }
}
