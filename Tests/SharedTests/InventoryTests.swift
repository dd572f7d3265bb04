import Foundation
import Shared
import TestSupport
import Testing

@Suite("Inventory decoding")
struct InventoryTests {
    static func decode(_ json: String) throws(InventoryError) -> Inventory {
        try Inventory.decode(Array(json.utf8), file: "inv.json")
    }

    /// One host object inside a valid document, so each case changes one thing.
    static func oneHost(_ fields: String) -> String {
        """
        {
          "hosts": [
            { \(fields) }
          ]
        }
        """
    }

    static let base = #""name": "h1", "address": "h1.example.com", "platforms": ["linux/amd64"]"#

    @Test func decodesTheRepositoryExample() throws {
        let inventory = try Inventory.load(path: SourceTree.path("inventory.json"))
        #expect(inventory.hosts.map(\.name) == ["amd64-1", "arm64-1", "win2022"])
        let windows = try #require(inventory.host(named: "win2022"))
        #expect(windows.platforms == [.windowsAMD64])
        #expect(windows.windowsVersion == .ltsc2022)
        #expect(windows.shell == .powershell)
        #expect(windows.builder == .docker)
        let arm = try #require(inventory.host(named: "arm64-1"))
        #expect(arm.platforms == [.linuxARM64])
        #expect(arm.user == "builder")  // from defaults
        #expect(arm.capacity == 2)
        #expect(arm.shell == .sh)
        #expect(arm.workDir == "/var/tmp/coordinator")
        #expect(arm.identityFiles.count == 1 && !arm.identityFiles[0].hasPrefix("~"))
    }

    @Test func fullHostWithDefaultsAndOverrides() throws {
        let inventory = try Self.decode(
            """
            {
              "defaults": { "user": "builder", "port": 2200, "capacity": 3, "labels": { "site": "a", "pool": "x" } },
              "hosts": [
                { "name": "cross-1", "address": "[::1]", "port": 2222, "identityFile": "~/.ssh/id_ecdsa",
                  "agent": false, "knownHostsFile": "~/kh", "platforms": ["linux/x86_64"],
                  "crossPlatforms": ["windows/amd64"], "windowsVersion": "ltsc2022", "builder": "buildah",
                  "builderInstance": "multi", "labels": { "pool": "y" } },
                { "name": "b", "address": "10.0.0.7", "platforms": ["linux/arm64"] }
              ]
            }
            """)
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        let cross = inventory.hosts[0]
        #expect(cross.address == "::1")
        #expect(cross.port == 2222)
        #expect(cross.user == "builder")
        #expect(cross.identityFiles == [home + "/.ssh/id_ecdsa"])
        #expect(cross.knownHostsFile == home + "/kh")
        #expect(cross.agent == false)
        #expect(cross.buildMode(for: .linuxAMD64) == .native)
        #expect(cross.buildMode(for: .windowsAMD64) == .cross)
        #expect(cross.buildMode(for: .linuxARM64) == nil)
        #expect(cross.shell == .sh)
        #expect(cross.builderInstance == "multi")
        #expect(cross.capacity == 3)
        #expect(cross.labels == ["site": "a", "pool": "y"])
        #expect(inventory.hosts[1].port == 2200)
        #expect(inventory.hosts[1].agent == true)
        #expect(inventory.hosts[1].builder == .buildx)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let json: String
        let path: String
        let line: Int?
        let message: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "not JSON", json: "{ hosts: [] }", path: "", line: 1, message: "not valid JSON: expected a quoted key"),
        Case(name: "trailing comma", json: "{\n \"hosts\": [],\n}", path: "", line: 3, message: "trailing comma before }"),
        Case(name: "duplicate JSON key", json: oneHost(base + #", "port": 1, "port": 2"#), path: "", line: 3,
             message: "duplicate key \"port\""),
        Case(name: "top-level typo", json: #"{ "host": [] }"#, path: "host", line: 1,
             message: "unknown key \"host\"; did you mean \"hosts\"?"),
        Case(name: "no hosts key", json: "{}", path: "", line: 1, message: "missing required key \"hosts\""),
        Case(name: "hosts not an array", json: #"{ "hosts": {} }"#, path: "hosts", line: 1,
             message: "expected an array of host objects, found an object"),
        Case(name: "empty hosts", json: #"{ "hosts": [] }"#, path: "hosts", line: 1, message: "lists no hosts"),
        Case(name: "host not an object", json: #"{ "hosts": [ "a" ] }"#, path: "hosts[0]", line: 1,
             message: "expected an object, found a string"),
        Case(name: "unknown host key", json: oneHost(base + #", "platfroms": []"#), path: "hosts[0].platfroms", line: 3,
             message: "unknown key \"platfroms\"; did you mean \"platforms\"?"),
        Case(name: "unknown defaults key", json: #"{ "defaults": { "usr": "x" }, "hosts": [] }"#, path: "defaults.usr",
             line: 1, message: "did you mean \"user\"?"),
        Case(name: "missing name", json: oneHost(#""address": "a", "platforms": ["linux/amd64"]"#), path: "hosts[0]",
             line: 3, message: "missing required key \"name\""),
        Case(name: "bad name", json: oneHost(#""name": "a b", "address": "a", "platforms": ["linux/amd64"]"#),
             path: "hosts[0].name", line: 3, message: "\"a b\" is not a valid host name"),
        Case(name: "missing address", json: oneHost(#""name": "a", "platforms": ["linux/amd64"]"#), path: "hosts[0]",
             line: 3, message: "missing required key \"address\""),
        Case(name: "bad address", json: oneHost(#""name": "a", "address": "x;rm -rf /", "platforms": ["linux/amd64"]"#),
             path: "hosts[0].address", line: 3, message: "is not a hostname, IPv4 or IPv6 address"),
        Case(name: "bad IPv6", json: oneHost(#""name": "a", "address": "[::g]", "platforms": ["linux/amd64"]"#),
             path: "hosts[0].address", line: 3, message: "is not a hostname, IPv4 or IPv6 address"),
        Case(name: "port out of range", json: oneHost(base + #", "port": 70000"#), path: "hosts[0].port", line: 3,
             message: "70000 is out of range: the SSH port must be 1...65535"),
        Case(name: "port zero", json: oneHost(base + #", "port": 0"#), path: "hosts[0].port", line: 3,
             message: "0 is out of range"),
        Case(name: "port as string", json: oneHost(base + #", "port": "22""#), path: "hosts[0].port", line: 3,
             message: "expected a whole number (the SSH port), found a string"),
        Case(name: "bad user", json: oneHost(base + #", "user": "a b""#), path: "hosts[0].user", line: 3,
             message: "\"a b\" is not a valid user name"),
        Case(name: "missing platforms", json: oneHost(#""name": "a", "address": "a""#), path: "hosts[0]", line: 3,
             message: "missing required key \"platforms\""),
        Case(name: "empty platforms", json: oneHost(#""name": "a", "address": "a", "platforms": []"#),
             path: "hosts[0].platforms", line: 3, message: "empty: list the platforms"),
        Case(name: "platforms not array", json: oneHost(#""name": "a", "address": "a", "platforms": "linux/amd64""#),
             path: "hosts[0].platforms", line: 3, message: "expected an array of strings, found a string"),
        Case(name: "bad platform", json: oneHost(#""name": "a", "address": "a", "platforms": ["linux/amd64", "linux/arm65"]"#),
             path: "hosts[0].platforms[1]", line: 3,
             message: "\"linux/arm65\" is not a platform: unknown architecture \"arm65\"; did you mean linux/arm64?"),
        Case(name: "duplicate platform", json: oneHost(#""name": "a", "address": "a", "platforms": ["linux/amd64", "linux/x86_64"]"#),
             path: "hosts[0].platforms[1]", line: 3, message: "linux/amd64 is listed twice"),
        Case(name: "native and cross", json: oneHost(base + #", "crossPlatforms": ["linux/amd64"]"#),
             path: "hosts[0].crossPlatforms", line: 3, message: "listed in both platforms and crossPlatforms"),
        Case(name: "windows without version", json: oneHost(#""name": "w", "address": "w", "platforms": ["windows/amd64"]"#),
             path: "hosts[0]", line: 3, message: "builds a windows platform but has no \"windowsVersion\""),
        Case(name: "cross windows without version", json: oneHost(base + #", "crossPlatforms": ["windows/amd64"]"#),
             path: "hosts[0]", line: 3, message: "has no \"windowsVersion\""),
        Case(name: "version without windows", json: oneHost(base + #", "windowsVersion": "ltsc2022""#),
             path: "hosts[0].windowsVersion", line: 3, message: "the host builds no windows platform"),
        Case(name: "unknown windows version",
             json: oneHost(#""name": "w", "address": "w", "platforms": ["windows/amd64"], "windowsVersion": "ltsc2023""#),
             path: "hosts[0].windowsVersion", line: 3, message: "\"ltsc2023\" is not a Windows version"),
        Case(name: "capacity zero", json: oneHost(base + #", "capacity": 0"#), path: "hosts[0].capacity", line: 3,
             message: "0 is out of range: the number of concurrent builds must be 1...64"),
        Case(name: "capacity fraction", json: oneHost(base + #", "capacity": 1.5"#), path: "hosts[0].capacity", line: 3,
             message: "expected a whole number (the number of concurrent builds), found 1.5"),
        Case(name: "builder typo", json: oneHost(base + #", "builder": "buildz""#), path: "hosts[0].builder", line: 3,
             message: "\"buildz\" is not a builder; did you mean buildx?"),
        Case(name: "shell unknown", json: oneHost(base + #", "shell": "zsh""#), path: "hosts[0].shell", line: 3,
             message: "\"zsh\" is not a shell; did you mean sh? (one of sh, powershell, cmd)"),
        Case(name: "buildah on Windows",
             json: oneHost(#""name": "w", "address": "w", "platforms": ["windows/amd64"], "windowsVersion": "ltsc2022", "shell": "cmd", "builder": "buildah""#),
             path: "hosts[0].builder", line: 3, message: "buildah does not run on Windows hosts"),
        Case(name: "buildx on a Windows shell",
             json: oneHost(#""name": "w", "address": "w", "platforms": ["windows/amd64"], "windowsVersion": "ltsc2022", "builder": "buildx""#),
             path: "hosts[0].builder", line: 3, message: "buildx is not supported on a Windows host (shell powershell or cmd)"),
        Case(name: "bad builder instance", json: oneHost(base + #", "builderInstance": "a b""#),
             path: "hosts[0].builderInstance", line: 3, message: "is not a valid builder name"),
        Case(name: "relative workDir", json: oneHost(base + #", "workDir": "tmp/x""#), path: "hosts[0].workDir", line: 3,
             message: "must be an absolute path"),
        Case(name: "quote in workDir", json: oneHost(base + #", "workDir": "/tmp/'x""#), path: "hosts[0].workDir", line: 3,
             message: "must be an absolute path without control characters or quotes (nor any of $ % ! ^ & | ; < > * ?), "
                + "of at most 1024 characters"),
        Case(name: "both identity keys", json: oneHost(base + #", "identityFile": "a", "identityFiles": ["b"]"#),
             path: "hosts[0].identityFile", line: 3, message: "give either identityFile or identityFiles"),
        Case(name: "agent not a bool", json: oneHost(base + #", "agent": "yes""#), path: "hosts[0].agent", line: 3,
             message: "expected true or false, found a string"),
        Case(name: "label not a string", json: oneHost(base + #", "labels": { "rack": 1 }"#),
             path: "hosts[0].labels.rack", line: 3, message: "expected a string, found a number"),
        Case(name: "duplicate host names",
             json: "{ \"hosts\": [\n { \(base) },\n { \(base) }\n] }", path: "hosts[1].name", line: 3,
             message: "duplicate host name \"h1\" (also hosts[0]); host names must be unique"),
    ]

    @Test(arguments: cases)
    func refuses(_ testCase: Case) {
        do {
            _ = try Self.decode(testCase.json)
            Issue.record("accepted: \(testCase.json)")
        } catch {
            #expect(error.path == testCase.path)
            #expect(error.location?.line == testCase.line)
            #expect(error.message.contains(testCase.message), "message was: \(error.message)")
            #expect(error.description.hasPrefix("inv.json:"))
            if !testCase.path.isEmpty { #expect(error.description.contains(": \(testCase.path): ")) }
        }
    }

    @Test func errorPointsAtTheLineAndColumnOfTheValue() {
        let json = """
            {
              "hosts": [
                { "name": "a", "address": "a", "platforms": ["linux/amd64"] },
                { "name": "b", "address": "b", "platforms": ["linux/amd64"] },
                { "name": "c", "address": "c",
                  "platforms": ["linux/arm65"] }
              ]
            }
            """
        #expect {
            try Self.decode(json)
        } throws: { error in
            (error as? InventoryError)?.description
                == "inv.json:6:21: hosts[2].platforms[0]: \"linux/arm65\" is not a platform: unknown architecture \"arm65\"; did you mean linux/arm64?"
        }
    }

    @Test func unreadableFiles() throws {
        #expect(throws: InventoryError.self) { try Inventory.load(path: "/nonexistent/inventory.json") }
        do {
            _ = try Inventory.load(path: "/nonexistent/inventory.json")
        } catch {
            #expect(error.description == "/nonexistent/inventory.json: no such file; pass --inventory with the path of your inventory.json")
        }
        do {
            _ = try Inventory.load(path: NSTemporaryDirectory())
        } catch {
            #expect(error.message.contains("is a directory"))
        }
        let binary = NSTemporaryDirectory() + "/inventory-binary-\(getpid()).json"
        _ = FileManager.default.createFile(atPath: binary, contents: Data([0xFF, 0x00, 0x01]))
        defer { try? FileManager.default.removeItem(atPath: binary) }
        do {
            _ = try Inventory.load(path: binary)
            Issue.record("binary file accepted")
        } catch {
            #expect(error.message.hasPrefix("not valid JSON"))
        }
    }

    @Test func tildeExpansion() {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        #expect(expandTilde("~") == home)
        #expect(expandTilde("~/.ssh/id") == home + "/.ssh/id")
        #expect(expandTilde("/abs/~x") == "/abs/~x")
        #expect(expandTilde("~other/x") == "~other/x")
    }

    @Test func windowsHostDefaultsToPowerShellAndWindowsWorkDir() throws {
        let inventory = try Self.decode(
            Self.oneHost(#""name": "w", "address": "w", "platforms": ["windows/amd64"], "windowsVersion": "2022""#))
        #expect(inventory.hosts[0].shell == .powershell)
        #expect(inventory.hosts[0].workDir == "C:/ProgramData/coordinator")
        #expect(inventory.hosts[0].windowsVersion == .ltsc2022)
    }
}
