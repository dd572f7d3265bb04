/// Why an inventory was refused: the file, the JSON path and line of the offending value, and what
/// to do about it, e.g.
/// `inventory.json:14:20: hosts[2].platforms[0]: "linux/arm65" is not a platform; did you mean linux/arm64?`
public struct InventoryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The inventory file.
    public let file: String
    /// JSON path of the value, e.g. `hosts[2].platforms[0]`; empty for the whole document.
    public let path: String
    /// Where the value stands in the file, when known.
    public let location: SourceLocation?
    /// What is wrong and how to fix it.
    public let message: String

    public init(file: String, path: String, location: SourceLocation?, message: String) {
        self.file = file
        self.path = path
        self.location = location
        self.message = message
    }

    public var description: String {
        var prefix = file
        if let location { prefix += ":\(location)" }
        return path.isEmpty ? "\(prefix): \(message)" : "\(prefix): \(path): \(message)"
    }
}
