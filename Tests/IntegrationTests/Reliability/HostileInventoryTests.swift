import Foundation
import Shared
import TestSupport
import Testing

/// Hostile strings in every inventory string field. Each string goes through the inventory decoder that
/// `coordinator` runs; a refusal must name the field in one clear, bounded line (and a sample of refusals is
/// replayed through the `coordinator` executable, whose message must be the same); an accepted string must
/// come out byte for byte, and a sample of accepted strings runs end to end: one `coordinator hosts check`
/// against the fleet's scale hosts, where the literal value is proven by its effect (the SSH key and
/// known_hosts file exist only under the hostile name; the work directory appears under its hostile name).
/// The canary never appears.
@Suite("Hostile input: inventory fields", .serialized)
struct HostileInventoryTests {
    /// How one field is set in a host entry and read back from the decoded host.
    struct Field: Sendable {
        var name: String
        /// Where a refusal must point (`hosts[0].platforms[0]`, `defaults.user`).
        var path: String
        var set: @Sendable (inout [String: Any], inout [String: Any], String) -> Void
        var read: @Sendable (BuildHost, String) -> Bool
    }

    /// A local path made from a hostile string: deep enough below the run's folder that `../..` stays inside.
    static func localPath(_ root: String, _ kind: String, _ text: String) -> String {
        "\(root)/\(kind)/x/y/z/\(text)"
    }

    /// A field set to the string itself at `key` of the host entry.
    static func plain(_ key: String, read: @escaping @Sendable (BuildHost) -> String?) -> Field {
        Field(name: key, path: "hosts[0].\(key)", set: { host, _, text in host[key] = text }, read: { read($0) == $1 })
    }

    /// A local file field set to ``localPath(_:_:_:)`` of the string (as a one-element array when `array`).
    static func local(
        _ key: String, root: String, array: Bool = false, read: @escaping @Sendable (BuildHost) -> [String]
    ) -> Field {
        Field(
            name: key, path: "hosts[0].\(key)" + (array ? "[0]" : ""),
            set: { host, _, text in
                host["identityFiles"] = key.hasPrefix("identityFile") ? nil : host["identityFiles"]
                let path = localPath(root, key, text)
                host[key] = array ? [path] : path
            }, read: { read($0) == [localPath(root, key, $1)] })
    }

    /// `builderInstance` of a buildx host, given in the host entry or in `defaults`.
    static func builderInstance(inDefaults: Bool) -> Field {
        let name = inDefaults ? "defaults.builderInstance" : "builderInstance"
        return Field(
            name: name, path: inDefaults ? name : "hosts[0].builderInstance",
            set: { host, defaults, text in
                host["builder"] = "buildx"
                if inDefaults { defaults["builderInstance"] = text } else { host["builderInstance"] = text }
            }, read: { $0.builderInstance == $1 })
    }

    static func fields(root: String) -> [Field] {
        [
            plain("name") { $0.name },
            Field(
                name: "address", path: "hosts[0].address", set: { host, _, text in host["address"] = text },
                read: { host, text in host.address == text || "[\(host.address)]" == text }),
            plain("user") { $0.user },
            local("identityFile", root: root) { $0.identityFiles },
            local("identityFiles", root: root, array: true) { $0.identityFiles },
            local("knownHostsFile", root: root) { $0.knownHostsFile.map { [$0] } ?? [] },
            Field(
                name: "platforms", path: "hosts[0].platforms[0]", set: { host, _, text in host["platforms"] = [text] },
                read: { $0.platforms.map(\.description) == [$1] }),
            Field(
                name: "crossPlatforms", path: "hosts[0].crossPlatforms[0]",
                set: { host, _, text in host["crossPlatforms"] = [text] },
                read: { $0.crossPlatforms.map(\.description) == [$1] }),
            plain("builder") { $0.builder.rawValue },
            builderInstance(inDefaults: false),
            plain("shell") { $0.shell.rawValue },
            Field(
                name: "windowsVersion", path: "hosts[0].windowsVersion",
                set: { host, _, text in
                    host["crossPlatforms"] = ["windows/amd64"]
                    host["windowsVersion"] = text
                }, read: { $0.windowsVersion?.rawValue == $1 }),
            local("workDir", root: root) { [$0.workDir] },
            Field(
                name: "labels (key)", path: "hosts[0].labels", set: { host, _, text in host["labels"] = [text: "v"] },
                read: { $0.labels == [$1: "v"] }),
            Field(
                name: "labels (value)", path: "hosts[0].labels", set: { host, _, text in host["labels"] = ["k": text] },
                read: { $0.labels == ["k": $1] }),
            Field(
                name: "defaults.user", path: "defaults.user",
                set: { host, defaults, text in
                    host["user"] = nil
                    defaults["user"] = text
                }, read: { $0.user == $1 }),
            Field(
                name: "defaults.workDir", path: "defaults.workDir",
                set: { host, defaults, text in
                    host["workDir"] = nil
                    defaults["workDir"] = localPath(root, "dwd", text)
                }, read: { $0.workDir == localPath(root, "dwd", $1) }),
            builderInstance(inDefaults: true),
        ]
    }

    /// A valid host entry for scale host `index` (1...24), with a cheap probe (buildah).
    static func entry(_ fleet: Fleet, root: String, name: String, index: Int) throws -> [String: Any] {
        [
            "name": name, "address": "127.0.1.\(index)", "port": Int(try fleet.value("TESTBED_SSH_PORT")) ?? 2222,
            "user": "root", "identityFiles": [try fleet.value("TESTBED_SSH_KEY")], "agent": false,
            "knownHostsFile": try fleet.value("TESTBED_KNOWN_HOSTS"), "platforms": ["linux/amd64"],
            "builder": "buildah",
            "workDir": root + "/work",
        ]
    }

    static func inventoryBytes(hosts: [[String: Any]], defaults: [String: Any]) throws -> Data {
        var top: [String: Any] = ["hosts": hosts]
        if !defaults.isEmpty { top["defaults"] = defaults }
        return try JSONSerialization.data(withJSONObject: top)
    }

    @Test("every inventory string field: 240 hostile strings each, refused clearly or kept literally; no injection")
    func inventoryFields() async throws {
        let fleet = try Fleet.require()
        let corpus = HostileCorpus()
        let root = "/tmp/coordinator-hostile-\(corpus.id)"
        try FileManager.default.createDirectory(atPath: root + "/home", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let strings = corpus.strings
        var phases = PhaseClock()
        var figures: [HostileFigures] = []
        var accepted: [String: [String]] = [:]
        var samples: [(file: String, expected: String)] = []

        for field in Self.fields(root: root) {
            var tally = HostileFigures(field: field.name)
            for (index, text) in strings.enumerated() {
                // CPU-bound: hand the pool to the other tests between strings.
                await Task.yield()
                var host = try Self.entry(fleet, root: root, name: "h", index: 1)
                var defaults: [String: Any] = [:]
                field.set(&host, &defaults, text)
                let file = "\(root)/inventories/\(field.name.filter(\.isLetter))-\(index).json"
                let bytes = try Self.inventoryBytes(hosts: [host], defaults: defaults)
                tally.tried += 1
                do {
                    let inventory = try Inventory.decode(Array(bytes), file: file)
                    #expect(field.read(inventory.hosts[0], text), "\(field.name): \(text.debugDescription) changed")
                    tally.literal += 1
                    accepted[field.name, default: []].append(text)
                } catch {
                    #expect(error.path.hasPrefix(field.path), "\(field.name): refusal points at \(error.path)")
                    #expect(
                        isClearRefusal(error.description, naming: field.path),
                        "\(field.name): unclear refusal \(error.description.prefix(300).debugDescription)")
                    tally.rejected += 1
                    if HostileCorpus.executableSample(index, salt: field.name.count) {
                        try FileManager.default.createDirectory(
                            atPath: root + "/inventories", withIntermediateDirectories: true)
                        try bytes.write(to: URL(fileURLWithPath: file))
                        samples.append((file, "error: invalid inventory: \(error.description)\n"))
                        tally.viaExecutable += 1
                    }
                }
            }
            figures.append(tally)
        }

        phases.mark("decoder")
        // Refusals through the executable: exit 2 and the very message the decoder gave.
        let home = root + "/home"
        let outcomes = try await concurrently(samples) { sample in
            try await CoordinatorBinary.run(
                ["hosts", "check", "--inventory", sample.file], environment: ["HOME": home])
        }
        for (sample, result) in zip(samples, outcomes) {
            #expect(
                result.status == 2 && result.stderr == sample.expected,
                "\(sample.file): exit \(result.status), \(result.stderr.prefix(300).debugDescription)")
        }
        corpus.expectNoInjection("refused inventories")
        phases.mark("executable refusals")

        let endToEnd = try await runAccepted(accepted, fleet: fleet, root: root, corpus: corpus)
        figures.addViaExecutable(endToEnd)
        phases.mark("hosts check")
        figures.finish("Hostile input, inventory (one host entry per string):", phases: phases)
    }

    /// One `coordinator hosts check` over 16 scale hosts, each entry carrying accepted hostile strings in its
    /// identity file, known_hosts file and work directory (and the first all accepted labels); returns how
    /// many strings of each field it carried.
    private func runAccepted(
        _ accepted: [String: [String]], fleet: Fleet, root: String, corpus: HostileCorpus
    ) async throws -> [String: Int] {
        let key = try Data(contentsOf: URL(fileURLWithPath: try fleet.value("TESTBED_SSH_KEY")))
        let knownHosts = try Data(contentsOf: URL(fileURLWithPath: try fleet.value("TESTBED_KNOWN_HOSTS")))
        func creatable(_ field: String, _ contents: Data?) -> [String] {
            (accepted[field] ?? []).filter { text in
                let path = Self.localPath(root, field, text)
                guard staysInside(path, root: root) else { return false }
                return contents.map { createHostileFile(path, contents: $0) } ?? true
            }
        }
        let identityFile = creatable("identityFile", key)
        let identityFiles = creatable("identityFiles", key)
        let knownHostsFiles = creatable("knownHostsFile", knownHosts)
        let workDirs = creatable("workDir", nil)
        #expect(!identityFiles.isEmpty && !knownHostsFiles.isEmpty && !workDirs.isEmpty)

        var hosts: [[String: Any]] = []
        var expectations: [(name: String, workDir: String)] = []
        var used: [String: Set<String>] = [:]
        for index in 0..<16 {
            let name = "hostile-\(index)"
            var host = try Self.entry(fleet, root: root, name: name, index: index + 1)
            let identity = index % 2 == 0 ? identityFiles : identityFile
            if !identity.isEmpty {
                let text = identity[index / 2 % identity.count]
                let field = index % 2 == 0 ? "identityFiles" : "identityFile"
                host["identityFiles"] = [Self.localPath(root, field, text)]
                used[field, default: []].insert(text)
            }
            let knownHostsText = knownHostsFiles[index % knownHostsFiles.count]
            host["knownHostsFile"] = Self.localPath(root, "knownHostsFile", knownHostsText)
            used["knownHostsFile", default: []].insert(knownHostsText)
            let workDirText = workDirs[index % workDirs.count]
            host["workDir"] = Self.localPath(root, "workDir", workDirText)
            used["workDir", default: []].insert(workDirText)
            if index == 0 {
                let keys = accepted["labels (key)"] ?? []
                let values = accepted["labels (value)"] ?? []
                var labels: [String: String] = [:]
                for (offset, text) in keys.enumerated() {
                    labels[text] = values.isEmpty ? "v" : values[offset % values.count]
                }
                host["labels"] = labels
                used["labels (key)"] = Set(keys)
                used["labels (value)"] = Set(values.prefix(max(keys.count, 1)))
            }
            hosts.append(host)
            expectations.append((name, Self.localPath(root, "workDir", workDirText)))
        }
        let file = root + "/accepted.json"
        try Self.inventoryBytes(hosts: hosts, defaults: [:]).write(to: URL(fileURLWithPath: file))
        let result = try await CoordinatorBinary.run(
            ["hosts", "check", "--json", "--inventory", file], environment: ["HOME": root + "/home"])
        let rows = (try? JSONSerialization.jsonObject(with: result.stdoutData) as? [[String: Any]]) ?? []
        #expect(rows.count == hosts.count, "hosts check: exit \(result.status), \(result.stderr.prefix(500))")
        for expectation in expectations {
            let row = rows.first { $0["host"] as? String == expectation.name }
            // The key and known_hosts file exist only under their hostile names: authenticating proves both
            // names reached the SSH layer unchanged; the work directory appears under its hostile name.
            #expect(row?["authenticated"] as? Bool == true, "\(expectation.name): \(row?["problem"] ?? "no row")")
            var isDirectory: ObjCBool = false
            #expect(
                FileManager.default.fileExists(atPath: expectation.workDir, isDirectory: &isDirectory)
                    && isDirectory.boolValue,
                "\(expectation.name): no work directory \(expectation.workDir.debugDescription)")
        }
        corpus.expectNoInjection("hosts check over accepted hostile values")
        return used.mapValues(\.count)
    }
}
