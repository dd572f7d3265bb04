/// A JSON value that remembers where it stood in its file, so that errors can name a line.
///
/// `JSONDecoder` reports a coding path but no line, and silently ignores unknown keys; the
/// inventory needs both, so it is read through this small parser instead.
struct LocatedJSON: Sendable {
    enum Value: Sendable {
        case object([Member])
        case array([LocatedJSON])
        case string(String)
        case number(String)
        case bool(Bool)
        case null
    }

    struct Member: Sendable {
        let key: String
        let keyLocation: SourceLocation
        let value: LocatedJSON
    }

    let value: Value
    let location: SourceLocation

    /// What kind of value this is, for messages ("expected a string, found an array").
    var kindName: String {
        switch value {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }
}

/// A 1-based line and column in a text file.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public let line: Int
    public let column: Int
    public var description: String { "\(line):\(column)" }
}

/// A syntax error in a JSON document.
struct JSONSyntaxError: Error, Sendable {
    let message: String
    let location: SourceLocation
}
