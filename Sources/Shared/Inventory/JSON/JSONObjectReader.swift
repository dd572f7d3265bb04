/// Reads typed fields out of a ``LocatedJSON`` object while tracking the JSON path, so that every
/// error names the field, its line and a fix. Unknown keys are refused with a suggestion.
struct JSONObjectReader {
    let file: String
    let path: String
    let node: LocatedJSON
    private let members: [String: LocatedJSON.Member]

    init(file: String, path: String, node: LocatedJSON) throws(InventoryError) {
        self.file = file
        self.path = path
        self.node = node
        guard case .object(let list) = node.value else {
            throw InventoryError(
                file: file, path: path, location: node.location,
                message: "expected an object, found \(node.kindName)")
        }
        self.members = Dictionary(list.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
    }

    func error(_ key: String?, _ message: String, at location: SourceLocation? = nil) -> InventoryError {
        InventoryError(
            file: file, path: childPath(key), location: location ?? key.flatMap { members[$0]?.value.location }
                ?? node.location, message: message)
    }

    /// The JSON path of `key` below this object (see ``path(_:key:)``).
    func childPath(_ key: String?) -> String {
        key.map { Self.path(path, key: $0) } ?? path
    }

    /// `parent.key`, or `parent["a b"]` for a key that is not a plain name (quoted and escaped, so a hostile
    /// key cannot break the message).
    static func path(_ parent: String, key: String) -> String {
        let plain = !key.isEmpty && key.count <= 64
            && key.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII && (scalar.properties.isAlphabetic || "0123456789_-".unicodeScalars.contains(scalar))
            }
        guard plain else { return "\(parent)[\(MessageText.quoted(key, limit: 64))]" }
        return parent.isEmpty ? key : "\(parent).\(key)"
    }

    /// Refuses keys outside `allowed`, suggesting the closest allowed key.
    func refuseUnknownKeys(allowed: [String]) throws(InventoryError) {
        guard case .object(let list) = node.value else { return }
        for member in list where !allowed.contains(member.key) {
            var message = "unknown key \(MessageText.quoted(member.key))"
            if let close = closestMatch(to: member.key, among: allowed, maximumDistance: 4) {
                message += "; did you mean \"\(close)\"?"
            } else {
                message += " (allowed: \(allowed.joined(separator: ", ")))"
            }
            throw InventoryError(file: file, path: childPath(member.key), location: member.keyLocation, message: message)
        }
    }

    func has(_ key: String) -> Bool {
        if let member = members[key], case .null = member.value.value { return false }
        return members[key] != nil
    }

    func node(_ key: String) -> LocatedJSON? {
        guard let member = members[key] else { return nil }
        if case .null = member.value.value { return nil }
        return member.value
    }

    func string(_ key: String) throws(InventoryError) -> String? {
        guard let value = node(key) else { return nil }
        guard case .string(let text) = value.value else {
            throw error(key, "expected a string, found \(value.kindName)")
        }
        return text
    }

    func requiredString(_ key: String, hint: String) throws(InventoryError) -> String {
        guard let text = try string(key) else {
            throw error(nil, "missing required key \"\(key)\" (\(hint))")
        }
        return text
    }

    func bool(_ key: String) throws(InventoryError) -> Bool? {
        guard let value = node(key) else { return nil }
        guard case .bool(let flag) = value.value else {
            throw error(key, "expected true or false, found \(value.kindName)")
        }
        return flag
    }

    func integer(_ key: String, in range: ClosedRange<Int>, meaning: String) throws(InventoryError) -> Int? {
        guard let value = node(key) else { return nil }
        guard case .number(let literal) = value.value, let number = Int(literal) else {
            throw error(key, "expected a whole number (\(meaning)), found \(value.kindName == "a number" ? value.literal : value.kindName)")
        }
        guard range.contains(number) else {
            throw error(key, "\(number) is out of range: \(meaning) must be \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    /// An array of strings, each with its own path (`key[2]`) for errors.
    func strings(_ key: String) throws(InventoryError) -> [(text: String, path: String, location: SourceLocation)]? {
        guard let value = node(key) else { return nil }
        guard case .array(let elements) = value.value else {
            throw error(key, "expected an array of strings, found \(value.kindName)")
        }
        var result: [(text: String, path: String, location: SourceLocation)] = []
        for (offset, element) in elements.enumerated() {
            let elementPath = "\(childPath(key))[\(offset)]"
            guard case .string(let text) = element.value else {
                throw InventoryError(
                    file: file, path: elementPath, location: element.location,
                    message: "expected a string, found \(element.kindName)")
            }
            result.append((text, elementPath, element.location))
        }
        return result
    }

    /// An object whose values are all strings.
    func stringMap(_ key: String) throws(InventoryError) -> [String: String]? {
        guard let value = node(key) else { return nil }
        guard case .object(let list) = value.value else {
            throw error(key, "expected an object of strings, found \(value.kindName)")
        }
        var result: [String: String] = [:]
        for member in list {
            guard case .string(let text) = member.value.value else {
                throw InventoryError(
                    file: file, path: Self.path(childPath(key), key: member.key), location: member.value.location,
                    message: "expected a string, found \(member.value.kindName)")
            }
            result[member.key] = text
        }
        return result
    }
}

extension LocatedJSON {
    /// The literal text of a number, for messages.
    var literal: String {
        if case .number(let text) = value { return text }
        return kindName
    }
}
