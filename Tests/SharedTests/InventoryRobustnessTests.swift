import Foundation
import Shared
import TestSupport
import Testing

/// The inventory decoder against hostile and random input: it never crashes, and every string
/// that reaches a host field either is refused with an error naming that field or passes through
/// byte for byte.
@Suite("Inventory robustness")
struct InventoryRobustnessTests {
    static let valid = Array("""
        { "defaults": { "user": "builder" },
          "hosts": [ { "name": "a-1", "address": "a.example.com", "port": 22, "platforms": ["linux/amd64"],
                       "crossPlatforms": ["windows/amd64"], "windowsVersion": "ltsc2022", "capacity": 2,
                       "labels": { "k": "v" }, "identityFiles": ["~/.ssh/id"], "workDir": "/var/tmp/c" } ] }
        """.utf8)

    @Test func randomMutationsNeverCrash() {
        var generator = SplitMix64(seed: 42)
        var accepted = 0
        var refused = 0
        for _ in 0..<5_000 {
            var bytes = Self.valid
            generator.mutate(&bytes, copyLength: 8)
            do {
                _ = try Inventory.decode(bytes, file: "fuzz.json")
                accepted += 1
            } catch {
                #expect(!error.message.isEmpty)
                refused += 1
            }
        }
        #expect(accepted + refused == 5_000)
        #expect(refused > 0)
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: InventoryError.self) { try Inventory.decode(Array(deep.utf8), file: "deep.json") }
    }

    static let stringFields = ["name", "address", "user", "builderInstance", "workDir", "knownHostsFile"]

    @Test(arguments: stringFields)
    func hostileStringsAreRefusedOrKeptLiterally(field: String) throws {
        for hostile in HostileStrings.generate() {
            var host: [String: Any] = ["name": "h", "address": "h.example.com", "platforms": ["linux/amd64"]]
            host[field] = hostile
            let data = try JSONSerialization.data(withJSONObject: ["hosts": [host]])
            do {
                let inventory = try Inventory.decode(Array(data), file: "hostile.json")
                let decoded = inventory.hosts[0]
                let value: String? = switch field {
                case "name": decoded.name
                case "address": decoded.address
                case "user": decoded.user
                case "builderInstance": decoded.builderInstance
                case "workDir": decoded.workDir
                default: decoded.knownHostsFile
                }
                // Accepted values are kept exactly (the local known_hosts path may expand a leading ~).
                #expect(value == hostile || (field == "knownHostsFile" && hostile.hasPrefix("~")), "\(field): \(hostile.debugDescription)")
                if field != "knownHostsFile" {
                    #expect(!hostile.unicodeScalars.contains { ";|&$`'\"\n\u{0}".unicodeScalars.contains($0) })
                }
            } catch {
                #expect(error.path.hasSuffix(field), "\(field): \(error)")
            }
        }
    }
}
