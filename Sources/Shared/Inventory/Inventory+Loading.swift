import Foundation

extension Inventory {
    /// Keys a host entry may have.
    static let hostKeys = [
        "name", "address", "port", "user", "identityFile", "identityFiles", "agent", "knownHostsFile",
        "platforms", "crossPlatforms", "builder", "builderInstance", "shell", "windowsVersion", "capacity",
        "workDir", "labels",
    ]
    /// Keys `defaults` may have: what several hosts usually share.
    static let defaultKeys = [
        "port", "user", "identityFile", "identityFiles", "agent", "knownHostsFile", "builder",
        "builderInstance", "capacity", "workDir", "labels",
    ]
    /// The most concurrent builds one host may be given.
    public static let maximumCapacity = 64

    /// Reads and validates the inventory at `path` (`~` is expanded).
    ///
    /// - Throws: ``InventoryError`` naming the file, JSON path and line, with a fix.
    public static func load(path: String) throws(InventoryError) -> Inventory {
        let expanded = expandTilde(path)
        guard let data = FileManager.default.contents(atPath: expanded) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: expanded, isDirectory: &isDirectory)
            let reason =
                !exists ? "no such file; pass --inventory with the path of your inventory.json"
                : isDirectory.boolValue ? "is a directory; pass the path of the inventory.json inside it"
                : "cannot be read; check its permissions"
            throw InventoryError(file: path, path: "", location: nil, message: reason)
        }
        return try decode(Array(data), file: path)
    }

    /// Validates an inventory held in memory; `file` names it in errors.
    public static func decode(_ bytes: [UInt8], file: String) throws(InventoryError) -> Inventory {
        let root: LocatedJSON
        do {
            root = try LocatedJSONParser.parse(bytes)
        } catch {
            throw InventoryError(
                file: file, path: "", location: error.location, message: "not valid JSON: \(error.message)")
        }
        let top = try JSONObjectReader(file: file, path: "", node: root)
        try top.refuseUnknownKeys(allowed: ["hosts", "defaults"])
        let defaults = try top.node("defaults").map { node throws(InventoryError) in
            let reader = try JSONObjectReader(file: file, path: "defaults", node: node)
            try reader.refuseUnknownKeys(allowed: defaultKeys)
            return reader
        }
        guard let hostsNode = top.node("hosts") else {
            throw top.error(nil, "missing required key \"hosts\": an array of build hosts (see the README)")
        }
        guard case .array(let entries) = hostsNode.value else {
            throw top.error("hosts", "expected an array of host objects, found \(hostsNode.kindName)")
        }
        guard !entries.isEmpty else {
            throw top.error("hosts", "the inventory lists no hosts; add at least one")
        }
        var hosts: [BuildHost] = []
        var firstByName: [String: String] = [:]
        for (offset, entry) in entries.enumerated() {
            let reader = try JSONObjectReader(file: file, path: "hosts[\(offset)]", node: entry)
            let host = try decodeHost(reader, defaults: defaults)
            if let earlier = firstByName[host.name] {
                throw reader.error(
                    "name", "duplicate host name \"\(host.name)\" (also \(earlier)); host names must be unique")
            }
            firstByName[host.name] = "hosts[\(offset)]"
            hosts.append(host)
        }
        return Inventory(hosts: hosts, source: file)
    }

    // swiftlint:disable:next function_body_length
    private static func decodeHost(
        _ reader: JSONObjectReader, defaults: JSONObjectReader?
    ) throws(InventoryError) -> BuildHost {
        try reader.refuseUnknownKeys(allowed: hostKeys)

        /// The host's own value, else the default's, with the reader that holds it (for errors).
        func pick(_ key: String) -> JSONObjectReader? {
            if reader.has(key) { return reader }
            if let defaults, defaults.has(key) { return defaults }
            return nil
        }

        let name = try reader.requiredString("name", hint: "a short unique name such as \"arm-1\"")
        guard HostValidation.isValidName(name) else {
            throw reader.error(
                "name",
                "\(MessageText.quoted(name)) is not a valid host name: use 1-63 letters, digits, '.', '_' or '-', "
                    + "starting with a letter or digit"
            )
        }
        let rawAddress = try reader.requiredString("address", hint: "a hostname, IPv4 or IPv6 address")
        guard let address = HostValidation.normalisedAddress(rawAddress) else {
            throw reader.error(
                "address",
                "\(MessageText.quoted(rawAddress)) is not a hostname, IPv4 or IPv6 address (IPv6 may be written [::1])")
        }
        let port = try pick("port")?.integer("port", in: 1...65535, meaning: "the SSH port")
        let user = try pick("user")?.string("user")
        if let user, !HostValidation.isValidUser(user) {
            throw (reader.has("user") ? reader : defaults!).error(
                "user",
                "\(MessageText.quoted(user)) is not a valid user name: no spaces, quotes, control or shell characters")
        }
        let identityFiles = try decodeIdentityFiles(pick("identityFiles") ?? pick("identityFile"))
        let agent = try pick("agent")?.bool("agent") ?? true
        let knownHostsFile = try pick("knownHostsFile")?.string("knownHostsFile").map(expandTilde)
        if let knownHostsFile, knownHostsFile.unicodeScalars.contains("\0") {
            throw (reader.has("knownHostsFile") ? reader : defaults!).error("knownHostsFile", Self.nulInPath)
        }

        guard reader.has("platforms") else {
            throw reader.error(nil, "missing required key \"platforms\": the platforms this host builds natively, e.g. [\"linux/arm64\"]")
        }
        let platforms = try decodePlatforms(reader, key: "platforms")
        guard !platforms.isEmpty else {
            throw reader.error("platforms", "empty: list the platforms this host builds natively, e.g. [\"linux/arm64\"]")
        }
        let crossPlatforms = try decodePlatforms(reader, key: "crossPlatforms")
        if let both = crossPlatforms.first(where: platforms.contains) {
            throw reader.error(
                "crossPlatforms", "\(both) is listed in both platforms and crossPlatforms; keep it in one")
        }

        let shell = try decodeEnum(ShellKind.self, reader, key: "shell")
        let windowsShell = (shell ?? (platforms.contains(where: \.isWindows) ? .powershell : .sh)).isWindows
        // A Windows host builds with the classic `docker build` unless it says otherwise: BuildKit does not build
        // Windows containers on the Docker/Mirantis engines Windows Server runs (Docker docs, "Building Windows
        // containers"; buildx needs a BuildKit that supports Windows, engine 27+ with containerd). The defaults'
        // builder is meant for the Linux hosts and is not applied to it.
        let builder = try decodeEnum(
            BuilderKind.self, windowsShell ? (reader.has("builder") ? reader : nil) : pick("builder"), key: "builder")
            ?? (windowsShell ? .docker : .buildx)
        let builderInstance = try pick("builderInstance")?.string("builderInstance")
        if let builderInstance, let problem = BuildHost.builderInstanceProblem(builderInstance) {
            throw (reader.has("builderInstance") ? reader : defaults!).error("builderInstance", problem)
        }
        if windowsShell, builder == .buildah || builder == .podman {
            throw reader.error("builder", "\(builder.rawValue) does not run on Windows hosts; use docker")
        }
        if windowsShell, builder == .buildx {
            throw reader.error("builder", "buildx is not supported on a Windows host (shell powershell or cmd): "
                + "BuildKit does not build Windows containers on the engines Windows Server runs; use docker (the "
                + "default there), or cross-build windows/amd64 from a Linux host with buildah")
        }

        let buildsWindows = (platforms + crossPlatforms).contains(where: \.isWindows)
        var windowsVersion: WindowsVersion?
        if let text = try reader.string("windowsVersion") {
            guard let version = WindowsVersion(parsing: text) else {
                throw reader.error("windowsVersion", WindowsVersionError(text: text).description)
            }
            guard buildsWindows else {
                throw reader.error(
                    "windowsVersion", "given, but the host builds no windows platform; remove it or add windows/amd64")
            }
            windowsVersion = version
        } else if buildsWindows {
            throw reader.error(
                nil,
                "builds a windows platform but has no \"windowsVersion\"; add e.g. \"windowsVersion\": \"ltsc2022\"")
        }

        let capacity = try pick("capacity")?.integer(
            "capacity", in: 1...maximumCapacity, meaning: "the number of concurrent builds") ?? 1
        let workDir = try pick("workDir")?.string("workDir")
        if let workDir, !HostValidation.isValidRemotePath(workDir) {
            throw (reader.has("workDir") ? reader : defaults!).error(
                "workDir",
                "\(MessageText.quoted(workDir)) must be an absolute path without control characters or quotes "
                    + "(nor any of $ % ! ^ & | ; < > * ?), of at most 1024 characters")
        }
        var labels = try defaults?.stringMap("labels") ?? [:]
        labels.merge(try reader.stringMap("labels") ?? [:]) { _, own in own }

        return BuildHost(
            name: name, address: address, port: port, user: user, identityFiles: identityFiles, agent: agent,
            knownHostsFile: knownHostsFile, platforms: platforms, crossPlatforms: crossPlatforms, builder: builder,
            builderInstance: builderInstance, shell: shell, windowsVersion: windowsVersion, capacity: capacity,
            workDir: workDir, labels: labels)
    }

    private static func decodeIdentityFiles(_ reader: JSONObjectReader?) throws(InventoryError) -> [String] {
        guard let reader else { return [] }
        if reader.has("identityFiles") {
            if reader.has("identityFile") {
                throw reader.error("identityFile", "give either identityFile or identityFiles, not both")
            }
            return try (reader.strings("identityFiles") ?? []).map { item throws(InventoryError) in
                guard !item.text.unicodeScalars.contains("\0") else {
                    throw InventoryError(
                        file: reader.file, path: item.path, location: item.location, message: nulInPath)
                }
                return expandTilde(item.text)
            }
        }
        let file = try reader.string("identityFile")
        if let file, file.unicodeScalars.contains("\0") {
            throw reader.error("identityFile", nulInPath)
        }
        return file.map { [expandTilde($0)] } ?? []
    }

    /// Why a local path with a NUL is refused: the C library would silently read the path cut at the NUL.
    static let nulInPath = "contains a NUL character (\\u0000), which no file name can hold; remove it"

    private static func decodePlatforms(_ reader: JSONObjectReader, key: String) throws(InventoryError) -> [Platform] {
        var result: [Platform] = []
        for item in try reader.strings(key) ?? [] {
            let platform: Platform
            do {
                platform = try Platform(parsing: item.text)
            } catch {
                throw InventoryError(file: reader.file, path: item.path, location: item.location, message: error.description)
            }
            guard !result.contains(platform) else {
                throw InventoryError(
                    file: reader.file, path: item.path, location: item.location,
                    message: "\(platform) is listed twice; remove the duplicate")
            }
            result.append(platform)
        }
        return result
    }

    private static func decodeEnum<Value: RawRepresentable & CaseIterable>(
        _: Value.Type, _ reader: JSONObjectReader?, key: String
    ) throws(InventoryError) -> Value? where Value.RawValue == String {
        guard let reader, let text = try reader.string(key) else { return nil }
        if let value = Value(rawValue: text.lowercased()) { return value }
        let names = Value.allCases.map(\.rawValue)
        var message = "\(MessageText.quoted(text)) is not a \(key); "
        if let close = closestMatch(to: text.lowercased(), among: names, maximumDistance: 3) {
            message += "did you mean \(close)? "
        }
        message += "(one of \(names.joined(separator: ", ")))"
        throw reader.error(key, message)
    }
}

/// Expands a leading `~` or `~/` to `$HOME`.
public func expandTilde(_ path: String) -> String {
    guard path == "~" || path.hasPrefix("~/") else { return path }
    let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
    return home + path.dropFirst()
}
