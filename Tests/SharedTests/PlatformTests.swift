import Shared
import Testing

@Suite("Platform parsing and naming")
struct PlatformTests {
    @Test(arguments: [
        ("linux/amd64", "linux/amd64"),
        ("linux/x86_64", "linux/amd64"),
        ("LINUX/AMD64", "linux/amd64"),
        ("linux/aarch64", "linux/arm64"),
        ("linux/arm64/v8", "linux/arm64/v8"),
        ("linux/armv7l", "linux/arm/v7"),
        ("linux/arm", "linux/arm/v7"),
        ("linux/arm/v6", "linux/arm/v6"),
        ("linux/armv6l", "linux/arm/v6"),
        ("linux/i686", "linux/386"),
        ("windows/amd64", "windows/amd64"),
        ("windows/x64", "windows/amd64"),
    ])
    func normalises(input: String, expected: String) throws {
        #expect(try Platform(parsing: input).description == expected)
    }

    @Test func reportedArchitectures() throws {
        #expect(try Platform(os: "Linux", reportedArchitecture: "aarch64\n") == .linuxARM64)
        #expect(try Platform(os: "windows", reportedArchitecture: "AMD64") == .windowsAMD64)
        #expect(try Platform(os: "linux", reportedArchitecture: "armv7l") == Platform(os: "linux", architecture: "arm", variant: "v7"))
    }

    @Test(arguments: [
        ("linux/arm65", "unknown architecture \"arm65\"", "linux/arm64"),
        ("linux", "expected OS/ARCH", nil),
        ("linux//amd64", "expected OS/ARCH", "linux/amd64"),
        ("lnux/amd64", "unknown OS \"lnux\"", "linux/amd64"),
        ("linux/arm64/v3", "\"v3\" is not a variant of arm64", "linux/arm64"),
        ("plan9/amd64", "unknown OS", nil),
    ] as [(String, String, String?)])
    func refuses(input: String, reason: String, suggestion: String?) {
        #expect {
            try Platform(parsing: input)
        } throws: { error in
            guard let error = error as? PlatformError else { return false }
            return error.description.contains(reason) && error.suggestion == suggestion
                && (suggestion == nil || error.description.hasSuffix("did you mean \(suggestion!)?"))
        }
    }

    @Test(arguments: [
        ("linux/arm64,linux/arm64/v8", "linux/arm64/v8", "same platform as linux/arm64"),
        ("linux/amd64/v1, linux/amd64", "linux/amd64", "same platform as linux/amd64/v1"),
    ])
    func listsRefuseTwoNamesForOneBuiltPlatform(list: String, refused: String, reason: String) {
        #expect {
            try Platform.parseList(list)
        } throws: { error in
            guard let error = error as? PlatformError else { return false }
            return error.text == refused && error.description.contains(reason)
                && error.description.contains("request only one of them")
        }
    }

    @Test func variantsThatBuildersKeepAreDistinct() throws {
        let list = try Platform.parseList("linux/amd64,linux/amd64/v2,linux/arm/v6,linux/arm/v7,linux/arm64/v9")
        #expect(list.count == 5)
        #expect(Platform.linuxARM64.builderCanonical == .linuxARM64)
        #expect(try Platform(parsing: "linux/arm64/v8").builderCanonical == .linuxARM64)
    }

    @Test func listsKeepOrderAndDropDuplicates() throws {
        let list = try Platform.parseList("linux/arm64, linux/amd64,linux/aarch64,,windows/amd64")
        #expect(list.map(\.description) == ["linux/arm64", "linux/amd64", "windows/amd64"])
    }

    @Test(arguments: [
        (Platform.linuxARM64, nil, "v1.2-linux-arm64", "_output/velero-v1.2-linux-arm64.tar"),
        (Platform.linuxAMD64, nil, "v1.2-linux-amd64", "_output/velero-v1.2-linux-amd64.tar"),
        (Platform(os: "linux", architecture: "arm", variant: "v7"), nil, "v1.2-linux-arm-v7",
         "_output/velero-v1.2-linux-arm-v7.tar"),
        (Platform.windowsAMD64, WindowsVersion.ltsc2022, "v1.2-windows-ltsc2022-amd64",
         "_output/velero-v1.2-windows-ltsc2022-amd64.tar"),
        (Platform.windowsAMD64, WindowsVersion.ltsc2019, "v1.2-windows-ltsc2019-amd64",
         "_output/velero-v1.2-windows-ltsc2019-amd64.tar"),
        // A Linux platform ignores a Windows version.
        (Platform.linuxAMD64, WindowsVersion.ltsc2022, "v1.2-linux-amd64", "_output/velero-v1.2-linux-amd64.tar"),
    ] as [(Platform, WindowsVersion?, String, String)])
    func naming(platform: Platform, windows: WindowsVersion?, tag: String, tarball: String) {
        #expect(platform.tag(version: "v1.2", windowsVersion: windows) == tag)
        #expect(platform.tarballPath(bin: "velero", version: "v1.2", windowsVersion: windows) == tarball)
    }
}

@Suite("Windows versions")
struct WindowsVersionTests {
    @Test(arguments: [
        (WindowsVersion.ltsc2019, "10.0.17763"), (.ltsc2022, "10.0.20348"), (.ltsc2025, "10.0.26100"),
    ])
    func buildNumbers(version: WindowsVersion, build: String) {
        #expect(version.build == build)
        #expect(WindowsVersion(build: build) == version)
        #expect(WindowsVersion(build: build + ".2322") == version)
        #expect(WindowsVersion(parsing: version.rawValue) == version)
    }

    @Test func parsesYearsAndRefusesUnknown() {
        #expect(WindowsVersion(parsing: "2022") == .ltsc2022)
        #expect(WindowsVersion(parsing: "LTSC2025") == .ltsc2025)
        #expect(WindowsVersion(parsing: "ltsc2016") == nil)
        #expect(WindowsVersion(build: "10.0.14393.1") == nil)
        #expect(WindowsVersion(build: "10.0") == nil)
        guard case .failure(let error) = WindowsVersion.parseList("ltsc2022,ltsc2023") else {
            Issue.record("ltsc2023 was accepted")
            return
        }
        #expect(error.description.contains("\"ltsc2023\" is not a Windows version"))
        #expect(error.description.contains("did you mean"))
    }
}
