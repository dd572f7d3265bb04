/// Adds a host to an inventory file by editing its text: everything already there stays byte for byte
/// (formatting, key order, `defaults`), and the new entry goes at the end of the `hosts` array, indented
/// like the entries before it (or on the same line when they share one line).
///
/// The result is loaded with the real loader (``Inventory/decode(_:file:)``) before it is handed back, so
/// an edit never produces a file that `build` would refuse.
public enum InventoryEditor {
    /// An edited inventory: the new file's bytes, as loaded, and the new host with `defaults` applied.
    public struct Edit: Sendable {
        public var bytes: [UInt8]
        public var inventory: Inventory
        public var host: BuildHost
    }

    /// Adds `entry` to the inventory whose text is `existing` (`nil`, empty or blank: a new file).
    /// `file` names the inventory in errors.
    ///
    /// - Throws: ``InventoryEditError`` when the file is not an inventory, already has a host of that name
    ///   or that address and port, or would not load with the entry.
    public static func adding(
        _ entry: InventoryEntry, to existing: [UInt8]?, file: String
    ) throws(InventoryEditError) -> Edit {
        let bytes = try edited(entry, existing: existing ?? [], file: file)
        let inventory: Inventory
        do {
            inventory = try Inventory.decode(bytes, file: file)
        } catch {
            throw InventoryEditError(.invalidResult, "with the new entry, \(error)")
        }
        guard let host = inventory.hosts.last, host.name == entry.name else {
            throw InventoryEditError(.invalidResult, "\(file): the new entry is not the last host after the edit")
        }
        if let other = inventory.hosts.dropLast().first(where: {
            $0.address == host.address && $0.effectivePort == host.effectivePort
        }) {
            throw InventoryEditError(
                .duplicateAddress,
                "\(file) already has host \(MessageText.quoted(other.name)) at \(host.address) port "
                    + "\(host.effectivePort); one machine needs one entry (raise its \"capacity\" instead), "
                    + "or pass another --port")
        }
        return Edit(bytes: bytes, inventory: inventory, host: host)
    }

    private static func edited(
        _ entry: InventoryEntry, existing: [UInt8], file: String
    ) throws(InventoryEditError) -> [UInt8] {
        let text = JSONTextLayout(existing)
        guard !text.isBlank else {
            return Array("{\n  \"hosts\": [\n    \(entry.json(indent: "    ", unit: "  "))\n  ]\n}\n".utf8)
        }
        let root: LocatedJSON
        do {
            root = try LocatedJSONParser.parse(existing)
        } catch {
            throw InventoryEditError(
                .notAnInventory, "\(file):\(error.location): not valid JSON (\(error.message)); fix it, or pass "
                    + "--inventory with another file")
        }
        guard case .object(let members) = root.value else {
            throw InventoryEditError(
                .notAnInventory, "\(file): the document is \(root.kindName), not an inventory object {\"hosts\": [...]}")
        }
        guard let hosts = members.first(where: { $0.key == "hosts" }) else {
            return try addingHostsMember(entry, to: text, root: root, members: members)
        }
        guard case .array(let elements) = hosts.value.value else {
            throw InventoryEditError(
                .notAnInventory, "\(file):\(hosts.value.location): \"hosts\" is \(hosts.value.kindName), not an array")
        }
        if !elements.isEmpty {
            let inventory: Inventory
            do {
                inventory = try Inventory.decode(existing, file: file)
            } catch {
                throw InventoryEditError(.invalidExisting, "\(error); fix the inventory before adding a host")
            }
            if inventory.host(named: entry.name) != nil {
                throw InventoryEditError(
                    .duplicateName, "\(file) already has a host named \(MessageText.quoted(entry.name)); choose "
                        + "another NAME, or remove the old entry first")
            }
        }
        let open = text.offset(of: hosts.value.location)
        let close = text.matchingClose(open)
        let unit = text.indentUnit
        guard let last = elements.last else {
            let keyIndent = text.indentation(ofLineAt: text.offset(of: hosts.keyLocation))
            let inside = "\n" + keyIndent + unit + entry.json(indent: keyIndent + unit, unit: unit)
                + "\n" + keyIndent
            return text.replacing(open + 1..<close, with: inside)
        }
        let end = text.endOfValue(before: close)
        let lastStart = text.offset(of: last.location)
        if text.line(of: lastStart) == text.line(of: open) {
            return text.replacing(end..<end, with: ", " + entry.json(unit: nil))
        }
        let indent = text.indentation(ofLineAt: lastStart)
        let entryUnit = memberIndentUnit(of: last, elementIndent: indent, text: text) ?? unit
        return text.replacing(end..<end, with: "," + "\n" + indent + entry.json(indent: indent, unit: entryUnit))
    }

    /// A document without `hosts` (only `defaults`, or `{}`): the array is added as its last member.
    private static func addingHostsMember(
        _ entry: InventoryEntry, to text: JSONTextLayout, root: LocatedJSON, members: [LocatedJSON.Member]
    ) throws(InventoryEditError) -> [UInt8] {
        let open = text.offset(of: root.location)
        let close = text.matchingClose(open)
        let unit = text.indentUnit
        let keyIndent = members.last.map { text.indentation(ofLineAt: text.offset(of: $0.keyLocation)) } ?? unit
        let member = "\"hosts\": [" + "\n" + keyIndent + unit + entry.json(indent: keyIndent + unit, unit: unit)
            + "\n" + keyIndent + "]"
        guard !members.isEmpty else {
            return text.replacing(open + 1..<close, with: "\n" + unit + member + "\n")
        }
        let end = text.endOfValue(before: close)
        return text.replacing(end..<end, with: "," + "\n" + keyIndent + member)
    }

    /// How far the members of an existing entry stand in from its brace, when one of them starts a line.
    private static func memberIndentUnit(of element: LocatedJSON, elementIndent: String, text: JSONTextLayout) -> String? {
        guard case .object(let members) = element.value else { return nil }
        let elementLine = element.location.line
        guard let member = members.first(where: { $0.keyLocation.line != elementLine }) else { return nil }
        let indent = text.indentation(ofLineAt: text.offset(of: member.keyLocation))
        guard indent.hasPrefix(elementIndent), indent.count > elementIndent.count else { return nil }
        return String(indent.dropFirst(elementIndent.count))
    }
}

/// Why `hosts add` did not edit an inventory.
public struct InventoryEditError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case notAnInventory, invalidExisting, duplicateName, duplicateAddress, invalidResult
    }

    public var kind: Kind
    public var description: String

    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
