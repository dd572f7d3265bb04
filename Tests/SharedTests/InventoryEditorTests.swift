import Foundation
import Shared
import Testing

@Suite("InventoryEditor: adding a host by editing the file's text")
struct InventoryEditorTests {
    static let entry = InventoryEntry(
        name: "new-1", address: "10.0.0.9", port: 2222, user: "builder", identityFiles: ["~/.ssh/id_ed25519"],
        platforms: [Platform(os: "linux", architecture: "arm64")], builder: .buildx, shell: .sh)

    static func add(_ text: String?, _ entry: InventoryEntry = entry) throws -> (String, InventoryEditor.Edit) {
        let edit = try InventoryEditor.adding(entry, to: text.map { Array($0.utf8) }, file: "inv.json")
        return (String(decoding: edit.bytes, as: UTF8.self), edit)
    }

    @Test("the rest of the file is kept byte for byte; the entry goes last, indented like the others")
    func preservesTheFile() throws {
        let original = """
            {
                "defaults": {"user": "root",   "agent": false},
                "hosts": [
                    {
                        "platforms": ["linux/amd64"],
                        "name": "a",   "address": "a.example"
                    }
                ]
            }

            """
        let (text, edit) = try Self.add(original)
        let newEntry = """
            ,
                    {
                        "name": "new-1",
                        "address": "10.0.0.9",
                        "port": 2222,
                        "user": "builder",
                        "identityFile": "~/.ssh/id_ed25519",
                        "platforms": ["linux/arm64"],
                        "builder": "buildx",
                        "shell": "sh"
                    }
            """
        let insertAt = try #require(original.range(of: "\n    ]"))
        var expected = original
        expected.insert(contentsOf: newEntry, at: insertAt.lowerBound)
        #expect(text == expected)
        #expect(edit.inventory.hosts.map(\.name) == ["a", "new-1"])
        #expect(edit.host.platforms == [Platform(os: "linux", architecture: "arm64")])
        #expect(edit.host.agent == false, "the file's defaults apply to the new host")
    }

    @Test("indentation styles: two spaces, tabs, CRLF line endings", arguments: [
        ("{\n  \"hosts\": [\n    {\"name\": \"a\", \"address\": \"a\", \"platforms\": [\"linux/amd64\"]}\n  ]\n}\n", "    {\n      \"name\": \"new-1\""),
        ("{\n\t\"hosts\": [\n\t\t{\n\t\t\t\"name\": \"a\", \"address\": \"a\", \"platforms\": [\"linux/amd64\"]\n\t\t}\n\t]\n}", "\t\t{\n\t\t\t\"name\": \"new-1\""),
        ("{\r\n  \"hosts\": [\r\n    {\"name\": \"a\", \"address\": \"a\", \"platforms\": [\"linux/amd64\"]}\r\n  ]\r\n}\r\n", "},\r\n    {\r\n      \"name\": \"new-1\""),
    ])
    func indentationStyles(original: String, expectedFragment: String) throws {
        let (text, edit) = try Self.add(original)
        #expect(text.contains(expectedFragment), "\(text)")
        #expect(text.hasPrefix(String(original[..<original.range(of: "}")!.upperBound])))
        #expect(edit.inventory.hosts.count == 2)
        if original.contains("\r\n") {
            #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "no bare LF in a CRLF file")
        }
    }

    @Test("hosts on one line: the new one joins them on that line")
    func oneLineArray() throws {
        let original = #"{"hosts": [{"name": "a", "address": "a", "platforms": ["linux/amd64"]}]}"#
        let (text, _) = try Self.add(original)
        #expect(text.hasPrefix(#"{"hosts": [{"name": "a", "address": "a", "platforms": ["linux/amd64"]}, { "name": "new-1", "#))
        #expect(text.hasSuffix(#""shell": "sh" }]}"#))
    }

    @Test("a missing, empty or blank file becomes a new inventory", arguments: [nil, "", "  \n"] as [String?])
    func newFile(original: String?) throws {
        let (text, edit) = try Self.add(original)
        #expect(text.hasPrefix("{\n  \"hosts\": [\n    {\n      \"name\": \"new-1\",\n"))
        #expect(text.hasSuffix("\n    }\n  ]\n}\n"))
        #expect(edit.inventory.hosts.map(\.name) == ["new-1"])
    }

    @Test("an empty hosts array and a file with only defaults get the entry")
    func emptyHostsAndDefaultsOnly() throws {
        let (empty, _) = try Self.add("{\n  \"hosts\": []\n}\n")
        #expect(empty.hasPrefix("{\n  \"hosts\": [\n    {\n      \"name\": \"new-1\""))
        #expect(empty.hasSuffix("    }\n  ]\n}\n"))
        let original = "{\n    \"defaults\": { \"user\": \"root\" }\n}\n"
        let (defaultsOnly, edit) = try Self.add(original)
        #expect(defaultsOnly.hasPrefix("{\n    \"defaults\": { \"user\": \"root\" },\n    \"hosts\": [\n        {\n"))
        #expect(edit.host.user == "builder")
    }

    @Test("a duplicate name is refused, naming it")
    func duplicateName() throws {
        let original = #"{"hosts": [{"name": "new-1", "address": "b", "platforms": ["linux/amd64"]}]}"#
        let error = try #require(throws: InventoryEditError.self) { try Self.add(original) }
        #expect(error.kind == .duplicateName)
        #expect(error.description.contains("already has a host named \"new-1\""))
    }

    @Test("a duplicate address and port is refused, even when the port comes from defaults")
    func duplicateAddress() throws {
        let original = #"{"defaults": {"port": 2222}, "hosts": [{"name": "old", "address": "10.0.0.9", "platforms": ["linux/amd64"]}]}"#
        var entry = Self.entry
        entry.port = nil
        let error = try #require(throws: InventoryEditError.self) { try Self.add(original, entry) }
        #expect(error.kind == .duplicateAddress)
        #expect(error.description.contains("\"old\" at 10.0.0.9 port 2222"))
        entry.port = 2223
        #expect(try Self.add(original, entry).1.inventory.hosts.count == 2)
    }

    @Test("an invalid file is refused, not rewritten", arguments: [
        "{\"hosts\": [", "[1, 2]", "{\"hosts\": {}}", "{\"hosts\": [{\"name\": \"a\"}]}",
    ])
    func invalidFile(original: String) throws {
        #expect(throws: InventoryEditError.self) { try Self.add(original) }
    }

    @Test("values are escaped, and a Windows cross entry with its release loads")
    func escapingAndWindows() throws {
        let entry = InventoryEntry(
            name: "wx", address: "::1", identityFiles: ["/keys/a \"b\".key", "/keys/c\\d"],
            platforms: [Platform(os: "linux", architecture: "amd64")],
            crossPlatforms: [Platform(os: "windows", architecture: "amd64")], builder: .buildah, shell: .sh,
            windowsVersion: .ltsc2022)
        let (text, edit) = try Self.add(nil, entry)
        #expect(text.contains(#""identityFiles": ["/keys/a \"b\".key", "/keys/c\\d"]"#))
        #expect(edit.host.identityFiles == ["/keys/a \"b\".key", "/keys/c\\d"])
        #expect(edit.host.windowsVersion == .ltsc2022)
        #expect(edit.host.crossPlatforms == [Platform(os: "windows", architecture: "amd64")])
    }
}
