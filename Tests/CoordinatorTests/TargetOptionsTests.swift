import Shared
import Testing

@testable import Coordinator

@Suite("Target options and Velero variables")
struct TargetOptionsTests {
    static func resolve(_ arguments: [String], env: [String: String] = [:]) throws -> BuildTarget {
        try TargetOptions.parse(arguments).resolve(environment: env)
    }

    @Test func flags() throws {
        let target = try Self.resolve([
            "--image", "127.0.0.1:5000/velero/velero", "--tag", "v1", "--platform", "linux/amd64,linux/aarch64",
        ])
        #expect(target.image == "127.0.0.1:5000/velero/velero")
        #expect(target.version == "v1")
        #expect(target.platforms == [.linuxAMD64, .linuxARM64])
        #expect(target.windowsVersions == [.ltsc2022])
        #expect(target.bin == "velero")
    }

    @Test func veleroVariablesFillAbsentFlags() throws {
        let env = [
            "REGISTRY": "registry.example.com/velero", "BIN": "velero", "VERSION": "main",
            "BUILD_OS": "linux,windows", "BUILD_ARCH": "amd64,arm64", "BUILD_WINDOWS_VERSION": "ltsc2019",
        ]
        let target = try Self.resolve([], env: env)
        #expect(target.image == "registry.example.com/velero/velero")
        #expect(target.version == "main")
        // BUILD_ARCH does not apply to Windows, which is amd64 only.
        #expect(target.platforms == [.linuxAMD64, .linuxARM64, .windowsAMD64])
        #expect(target.windowsVersions == [.ltsc2019])
        #expect(target.slots.map(\.tag) == ["main-linux-amd64", "main-linux-arm64", "main-windows-ltsc2019-amd64"])

        // Flags win over the environment.
        let flagged = try Self.resolve(["--tag", "v2", "--os", "linux", "--arch", "arm64"], env: env)
        #expect(flagged.version == "v2")
        #expect(flagged.platforms == [.linuxARM64])
    }

    @Test(arguments: [
        ([String](), [String: String](), "no image: pass --image REGISTRY/REPO, or set REGISTRY and BIN"),
        (["--image", "r.io/a"], [:], "no version: pass --tag VERSION, or set VERSION"),
        (["--image", "r.io/a", "--tag", "v1"], [:], "no platforms: pass --platform"),
        (["--image", "r.io/a", "--tag", "v1", "--platform", "linux/amd64", "--os", "linux"], [:],
         "give either --platform or --os/--arch, not both"),
        (["--image", "r.io/a", "--tag", "v1", "--platform", "linux/arm65"], [:],
         "--platform: \"linux/arm65\" is not a platform"),
        (["--image", "r.io/a", "--tag", "v1", "--os", "linux", "--arch", "arm65"], [:],
         "--os/--arch: \"linux/arm65\" is not a platform"),
        (["--image", "r.io/a", "--tag", "v1"], ["BUILD_OS": "lnux"], "BUILD_OS/BUILD_ARCH: \"lnux/amd64\" is not a platform"),
        (["--image", "r.io/a", "--tag", "v1", "--platform", "windows/amd64", "--windows-version", "ltsc2023"], [:],
         "--windows-version: \"ltsc2023\" is not a Windows version"),
        (["--image", "r.io/A", "--tag", "v1", "--platform", "linux/amd64"], [:],
         "--image \"r.io/A\": \"A\" is not a valid repository path component"),
        (["--image", "r.io/a:v1", "--tag", "v1", "--platform", "linux/amd64"], [:],
         "give the repository without a tag"),
        (["--image", "r.io/a", "--tag", "v1;rm", "--platform", "linux/amd64"], [:],
         "--tag \"v1;rm\" gives the per-platform tag \"v1;rm-linux-amd64\", which may hold only"),
        (["--image", "r.io/a", "--platform", "linux/amd64"], ["VERSION": String(repeating: "x", count: 120)],
         "which is longer than 128 characters"),
    ] as [([String], [String: String], String)])
    func refuses(arguments: [String], env: [String: String], message: String) {
        #expect {
            try Self.resolve(arguments, env: env)
        } throws: { error in
            guard let error = error as? UsageError else { return false }
            return error.description.contains(message)
        }
    }

    @Test(arguments: [
        ("localhost:5000/app", nil), ("registry.example.com/velero/velero", nil), ("velero/velero", nil),
        ("a__b/c-d.e", nil), ("[::1]:5000/app", nil),
        ("r.io/-a", "not a valid repository path component"), ("r.io//a", "empty path component"),
        ("r.io/a@sha256:00", "without a digest"),
    ] as [(String, String?)])
    func repositoryRules(image: String, problem: String?) {
        let found = ImageNameRules.problem(withRepository: image)
        if let problem {
            #expect(found?.contains(problem) == true, "\(String(describing: found))")
        } else {
            #expect(found == nil)
        }
    }
}
