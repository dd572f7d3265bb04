/// A host entry to add to an inventory file, as `coordinator hosts add` writes it: only the keys it
/// knows, in a fixed order (name, address, port, user, identity files, platforms, cross platforms,
/// builder, shell, windowsVersion). Unset optional keys are left out, so the file's `defaults` apply.
public struct InventoryEntry: Hashable, Sendable {
    public var name: String
    public var address: String
    public var port: Int?
    public var user: String?
    /// Written as `identityFile` when there is one, `identityFiles` when there are several.
    public var identityFiles: [String]
    public var platforms: [Platform]
    public var crossPlatforms: [Platform]
    public var builder: BuilderKind?
    public var shell: ShellKind?
    public var windowsVersion: WindowsVersion?

    /// Creates an entry.
    public init(
        name: String, address: String, port: Int? = nil, user: String? = nil, identityFiles: [String] = [],
        platforms: [Platform], crossPlatforms: [Platform] = [], builder: BuilderKind? = nil,
        shell: ShellKind? = nil, windowsVersion: WindowsVersion? = nil
    ) {
        self.name = name
        self.address = address
        self.port = port
        self.user = user
        self.identityFiles = identityFiles
        self.platforms = platforms
        self.crossPlatforms = crossPlatforms
        self.builder = builder
        self.shell = shell
        self.windowsVersion = windowsVersion
    }

    /// The keys and their JSON values, in the order written.
    public var members: [(key: String, value: String)] {
        var members: [(String, String)] = [("name", JSONText.string(name)), ("address", JSONText.string(address))]
        if let port { members.append(("port", String(port))) }
        if let user { members.append(("user", JSONText.string(user))) }
        if identityFiles.count == 1 {
            members.append(("identityFile", JSONText.string(identityFiles[0])))
        } else if !identityFiles.isEmpty {
            members.append(("identityFiles", JSONText.array(identityFiles.map(JSONText.string))))
        }
        members.append(("platforms", JSONText.array(platforms.map { JSONText.string($0.description) })))
        if !crossPlatforms.isEmpty {
            members.append(("crossPlatforms", JSONText.array(crossPlatforms.map { JSONText.string($0.description) })))
        }
        if let builder { members.append(("builder", JSONText.string(builder.rawValue))) }
        if let shell { members.append(("shell", JSONText.string(shell.rawValue))) }
        if let windowsVersion { members.append(("windowsVersion", JSONText.string(windowsVersion.rawValue))) }
        return members.map { (key: $0.0, value: $0.1) }
    }

    /// The entry as a JSON object: one member per line, the braces at `indent` and the members one
    /// `unit` further in; or all on one line when `unit` is nil.
    public func json(indent: String = "", unit: String? = "  ") -> String {
        let members = self.members.map { "\(JSONText.string($0.key)): \($0.value)" }
        guard let unit else { return "{ " + members.joined(separator: ", ") + " }" }
        return "{\n" + members.map { indent + unit + $0 }.joined(separator: ",\n") + "\n" + indent + "}"
    }
}

/// Writing JSON literals by hand, for text edits that keep the rest of a file as it is.
enum JSONText {
    /// `value` as a JSON string: `"` and `\` escaped, control characters as `\n`, `\t` or `\u00XX`.
    static func string(_ value: String) -> String {
        var text = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\u{2028}" || scalar == "\u{2029}":
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }

    /// `["a", "b"]` from values already rendered.
    static func array(_ values: [String]) -> String {
        "[" + values.joined(separator: ", ") + "]"
    }
}
