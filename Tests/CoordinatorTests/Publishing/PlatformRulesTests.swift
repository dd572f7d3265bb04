import Shared
import Testing

@testable import Coordinator

@Suite("Platform derivation and matching")
struct PlatformRulesTests {
    static let source = try! ImageReference(parsing: "127.0.0.1:5000/t/app:v1")

    static func slot(_ expected: String?, windows: String? = nil) -> ManifestSlot {
        ManifestSlot(expected: expected.map { try! Platform(parsing: $0) }, source: source, hostWindowsVersion: windows)
    }

    @Test(
        "matching ignores default variants and normalises architecture names",
        arguments: [
            ("linux/arm64", "arm64", "v8", true), ("linux/arm64", "arm64", nil, true), ("linux/arm64/v8", "arm64", nil, true),
            ("linux/arm64", "aarch64", nil, true), ("linux/amd64", "x86_64", nil, true), ("linux/amd64", "amd64", "v1", true),
            ("linux/amd64", "amd64", "v3", false), ("linux/arm/v7", "arm", nil, true), ("linux/arm/v7", "arm", "v7", true),
            ("linux/arm/v6", "arm", "v7", false), ("linux/arm64", "amd64", nil, false), ("windows/amd64", "amd64", nil, false),
        ] as [(String, String, String?, Bool)])
    func matching(_ expected: String, architecture: String, variant: String?, matches: Bool) throws {
        let actual = ImagePlatform(architecture: architecture, os: expected.hasPrefix("windows") && matches ? "windows" : "linux", variant: variant)
        #expect(PlatformRules.matches(actual, expected: try Platform(parsing: expected)) == matches)
    }

    @Test("the entry platform comes from the config, with its variant and os.features")
    func fromConfig() throws {
        let config = ImageConfiguration(architecture: "aarch64", os: "Linux", variant: "v8")
        let platform = try PlatformRules.entryPlatform(config: config, slot: Self.slot("linux/arm64"))
        #expect(platform == ImagePlatform(architecture: "arm64", os: "linux", variant: "v8"))
    }

    @Test("Windows: os.version from the config, else the host's known build, else an error")
    func windowsVersion() throws {
        let withVersion = ImageConfiguration(architecture: "amd64", os: "windows", osVersion: "10.0.20348.2527", osFeatures: ["win32k"])
        let derived = try PlatformRules.entryPlatform(config: withVersion, slot: Self.slot("windows/amd64", windows: "10.0.20348"))
        #expect(derived.osVersion == "10.0.20348.2527")
        #expect(derived.osFeatures == ["win32k"])
        let bare = ImageConfiguration(architecture: "amd64", os: "windows")
        #expect(try PlatformRules.entryPlatform(config: bare, slot: Self.slot("windows/amd64", windows: "10.0.17763")).osVersion == "10.0.17763")
        #expect {
            try PlatformRules.entryPlatform(config: bare, slot: Self.slot("windows/amd64"))
        } throws: { error in
            "\(error)".contains("no os.version") && "\(error)".contains(Self.source.description)
        }
    }

    @Test("Windows: a config build other than the host's is refused, naming both")
    func windowsMismatch() {
        let config = ImageConfiguration(architecture: "amd64", os: "windows", osVersion: "10.0.17763.5000")
        #expect {
            try PlatformRules.entryPlatform(config: config, slot: Self.slot("windows/amd64", windows: "10.0.20348"))
        } throws: { error in
            "\(error)".contains("10.0.17763.5000") && "\(error)".contains("10.0.20348")
        }
    }

    @Test("identity: Windows builds tell entries apart, revisions and default variants do not")
    func identity() {
        let ltsc2019 = ImagePlatform(architecture: "amd64", os: "windows", osVersion: "10.0.17763.1")
        let ltsc2022 = ImagePlatform(architecture: "amd64", os: "windows", osVersion: "10.0.20348.1")
        let ltsc2022b = ImagePlatform(architecture: "amd64", os: "windows", osVersion: "10.0.20348.2527")
        #expect(PlatformRules.identity(ltsc2019) != PlatformRules.identity(ltsc2022))
        #expect(PlatformRules.identity(ltsc2022) == PlatformRules.identity(ltsc2022b))
        #expect(
            PlatformRules.identity(ImagePlatform(architecture: "arm64", os: "linux", variant: "v8"))
                == PlatformRules.identity(ImagePlatform(architecture: "arm64", os: "linux")))
    }
}
