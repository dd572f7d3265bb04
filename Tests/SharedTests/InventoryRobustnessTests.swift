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

    // CPU-bound: runs off the cooperative pool (see OffPool), expectations checked on it afterwards.
    @Test func randomMutationsNeverCrash() async throws {
        let (accepted, refused, silent) = try await OffPool.run { () -> (Int, Int, Int) in
            var generator = SplitMix64(seed: 42)
            var accepted = 0, refused = 0, silent = 0
            for _ in 0..<5_000 {
                var bytes = Self.valid
                generator.mutate(&bytes, copyLength: 8)
                do {
                    _ = try Inventory.decode(bytes, file: "fuzz.json")
                    accepted += 1
                } catch let error as InventoryError {
                    refused += 1
                    if error.message.isEmpty { silent += 1 }
                } catch {
                    silent += 1
                }
            }
            return (accepted, refused, silent)
        }
        #expect(accepted + refused == 5_000)
        #expect(refused > 0)
        #expect(silent == 0, "errors without a message")
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: InventoryError.self) { try Inventory.decode(Array(deep.utf8), file: "deep.json") }
    }

    static let stringFields = ["name", "address", "user", "builderInstance", "workDir", "knownHostsFile"]

    @Test(arguments: stringFields)
    func hostileStringsAreRefusedOrKeptLiterally(field: String) async throws {
        // CPU-bound: runs off the cooperative pool (see OffPool), expectations checked on it afterwards.
        let failures = try await OffPool.run { () -> [String] in
            var failures: [String] = []
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
                    if !(value == hostile || (field == "knownHostsFile" && hostile.hasPrefix("~"))) {
                        failures.append("\(field): changed \(hostile.debugDescription)")
                    }
                    if field != "knownHostsFile",
                        hostile.unicodeScalars.contains(where: { ";|&$`'\"\n\u{0}".unicodeScalars.contains($0) }) {
                        failures.append("\(field): accepted shell metacharacters in \(hostile.debugDescription)")
                    }
                } catch let error as InventoryError {
                    if !error.path.hasSuffix(field) { failures.append("\(field): \(error)") }
                }
            }
            return failures
        }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
    }

    /// Labels never reach a shell (they are shown in plans and reports): a hostile key or value is kept
    /// byte for byte, or refused naming `labels`.
    @Test(arguments: ["key", "value"])
    func hostileLabelsAreRefusedOrKeptLiterally(part: String) async throws {
        let failures = try await OffPool.run { () -> [String] in
            var failures: [String] = []
            for hostile in HostileStrings.generate() {
                let labels = part == "key" ? [hostile: "v"] : ["k": hostile]
                let host: [String: Any] = ["name": "h", "address": "h.example.com", "platforms": ["linux/amd64"],
                                           "labels": labels]
                let data = try JSONSerialization.data(withJSONObject: ["hosts": [host]])
                do {
                    let decoded = try Inventory.decode(Array(data), file: "hostile.json").hosts[0].labels
                    if decoded != labels { failures.append("labels \(part): changed \(hostile.debugDescription)") }
                } catch let error as InventoryError {
                    if !error.path.contains("labels") { failures.append("labels \(part): \(error)") }
                }
            }
            return failures
        }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
    }
}
