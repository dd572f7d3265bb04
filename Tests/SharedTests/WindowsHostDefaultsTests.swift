import Shared
import Testing

@Suite("Windows host defaults")
struct WindowsHostDefaultsTests {
    @Test("a Windows-shell host defaults to the classic docker builder, even under a buildx default; Linux hosts keep buildx")
    func dockerByDefault() throws {
        let json = """
            {
              "defaults": { "builder": "buildx" },
              "hosts": [
                { "name": "w", "address": "w", "platforms": ["windows/amd64"], "windowsVersion": "ltsc2022" },
                { "name": "c", "address": "c", "platforms": ["windows/amd64"], "windowsVersion": "ltsc2022", "shell": "cmd" },
                { "name": "l", "address": "l", "platforms": ["linux/amd64"], "crossPlatforms": ["windows/amd64"],
                  "windowsVersion": "ltsc2022", "builder": "buildah" },
                { "name": "x", "address": "x", "platforms": ["linux/arm64"] }
              ]
            }
            """
        let inventory = try Inventory.decode(Array(json.utf8), file: "inventory.json")
        #expect(inventory.hosts.map(\.builder) == [.docker, .docker, .buildah, .buildx])
    }
}
