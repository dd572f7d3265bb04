import Foundation
import Shared
import TestSupport
import Testing

/// Bounded property tests of the inventory decoder: 20,000 seeded documents (mutated valid inventories,
/// random bytes, deep nesting, huge strings and numbers, hostile keys and escapes). Nothing may crash or
/// hang (every case has a time bound); an accepted document decodes the same way twice; a refused one
/// gets one bounded line that names the file.
@Suite("Fuzz: inventory decoder")
struct FuzzInventoryDecoderTests {
    static let cases = 20_000
    static let caseLimit: Duration = .seconds(2)
    /// The longest refusal we accept: hostile values are shortened in messages, so none is near 64 KiB.
    static let messageLimit = 2_048

    static let valid = Array(
        """
        { "defaults": { "user": "builder", "labels": { "pool": "p" } },
          "hosts": [ { "name": "a-1", "address": "a.example.com", "port": 22, "platforms": ["linux/amd64"],
                       "crossPlatforms": ["windows/amd64"], "windowsVersion": "ltsc2022", "capacity": 2,
                       "labels": { "k": "v" }, "identityFiles": ["~/.ssh/id"], "workDir": "/var/tmp/c",
                       "builder": "buildx", "builderInstance": "b1", "shell": "sh", "agent": false,
                       "knownHostsFile": "/etc/k" },
                     { "name": "w", "address": "[::1]", "platforms": ["windows/amd64"],
                       "windowsVersion": "ltsc2019" } ] }
        """.utf8)

    static let tokens: [String] = [
        "{", "}", "[", "]", ":", ",", "\"", "\\", "\\u0000", "\\ud800", "\\udc00", "\\u00e9", "\\n", "null", "true",
        "false", "-0", "1e999999", "9223372036854775808", "0.5", "\"hosts\"", "\"name\"", "\"platforms\"",
        "\"linux/amd64\"", "\"labels\"", "\"$(touch /tmp/x)\"", "\"\u{202E}\"", "/*", "//", " ", "\n", "\u{FEFF}", "é",
    ]

    @Test("20,000 seeded documents: no crash, no hang, one bounded line per refusal")
    func randomDocuments() async throws {
        // CPU-bound: runs off the cooperative pool (see OffPool), expectations checked on it afterwards.
        let (accepted, outcome) = try await OffPool.run { () -> (Int, BoundedCases.Outcome) in
            var random = SplitMix64(seed: 0x1DE7_0F00)
            var accepted = 0
            let outcome = BoundedCases.run(count: Self.cases, limit: Self.caseLimit) { index in
                let bytes = Self.document(&random, index: index)
                do {
                    let first = try Inventory.decode(bytes, file: "fuzz.json")
                    accepted += 1
                    return try first == Inventory.decode(bytes, file: "fuzz.json") ? nil : "two decodings differ"
                } catch let error as InventoryError {
                    let text = error.description
                    let clear = text.hasPrefix("fuzz.json") && !error.message.isEmpty && text.count <= Self.messageLimit
                        && !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
                    return clear ? nil : "unclear refusal (\(text.count) characters): \(text.prefix(300).debugDescription)"
                } catch {
                    return "unexpected error type: \(error)"
                }
            }
            return (accepted, outcome)
        }
        print("fuzz inventory decoder: \(Self.cases) documents, \(accepted) accepted, slowest \(outcome.slowest)")
        #expect(outcome.failures.isEmpty, "\(outcome.failures.prefix(10))")
        #expect(accepted > 0 && accepted < Self.cases / 2)
    }

    @Test(
        "nesting at every depth up to 100,000 is read or refused, never a stack overflow",
        arguments: [10, 63, 64, 65, 512, 5_000, 100_000])
    func deepNesting(depth: Int) {
        for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
            let text =
                "{\"hosts\":" + String(repeating: open, count: depth) + "1" + String(repeating: close, count: depth)
                + "}"
            #expect(throws: InventoryError.self) { try Inventory.decode(Array(text.utf8), file: "deep.json") }
        }
    }

    /// One generated document; the kind rotates so every shape is well represented.
    static func document(_ random: inout SplitMix64, index: Int) -> [UInt8] {
        switch index % 5 {
        case 0:
            return (0..<Int(random.next() % 300)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        case 1:
            var bytes = valid
            random.mutate(&bytes)
            return bytes
        case 2:
            var bytes = valid
            let at = Int(random.next() % UInt64(bytes.count))
            let insert = (0..<Int(random.next() % 6) + 1).map { _ in tokens[Int(random.next() % UInt64(tokens.count))] }
            bytes.insert(contentsOf: Array(insert.joined().utf8), at: at)
            return bytes
        case 3:
            // A valid shape with one hostile value in a random string field (or as a label key).
            let fields = [
                "name", "address", "user", "builderInstance", "workDir", "knownHostsFile", "shell", "builder",
                "windowsVersion",
            ]
            let field = fields[Int(random.next() % UInt64(fields.count))]
            let value = hostileValue(&random, index: index)
            var host: [String: Any] = [
                "name": "h", "address": "h.example.com", "platforms": ["linux/amd64"], "labels": [value: value],
                "identityFiles": [value],
            ]
            host[field] = value
            return Array((try? JSONSerialization.data(withJSONObject: ["hosts": [host]])) ?? Data())
        default:
            let pieces = (0..<Int(random.next() % 40) + 1).map { _ in tokens[Int(random.next() % UInt64(tokens.count))]
            }
            return Array(("{\"hosts\":[" + pieces.joined() + "]}").utf8)
        }
    }

    static func hostileValue(_ random: inout SplitMix64, index: Int) -> String {
        if index % 500 == 3 { return String(repeating: "$(touch /tmp/x)\n\u{202E}", count: 4_096) }
        let alphabet = Array("'\"`$()\\;|&%!^\n\r\t\u{0}\u{7F}\u{1B}\u{202E}\u{301}é日🚀/ .:-_~#[]{}*?<>=")
        return String((0..<Int(random.next() % 24)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
    }
}
