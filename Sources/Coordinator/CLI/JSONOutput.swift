import Foundation

extension JSONEncoder {
    /// The encoder of every JSON document the CLI prints or writes: indented, keys sorted, slashes
    /// kept as they are, dates in ISO 8601.
    static var output: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}
