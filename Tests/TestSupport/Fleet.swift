import Foundation

/// The local test fleet started by `scripts/testbed up`.
///
/// `scripts/testbed up` writes `KEY=VALUE` lines to `$COORDINATOR_TESTBED_DIR/env`
/// (default `/tmp/coordinator-testbed/env`). Integration tests call ``Fleet/require()``, which
/// throws a clear error when the fleet is not running: integration tests fail, they never skip.
/// Variables in the process environment override the file.
public struct Fleet: Sendable {
    public let values: [String: String]

    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    public static var directory: String {
        ProcessInfo.processInfo.environment["COORDINATOR_TESTBED_DIR"] ?? "/tmp/coordinator-testbed"
    }

    /// Loads the fleet's environment, or throws when the fleet is not running.
    public static func require() throws -> Fleet {
        let path = directory + "/env"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Missing(
                description: "the test fleet is not running (no \(path)): start it with `scripts/testbed up`")
        }
        var values = parse(text)
        for (key, value) in ProcessInfo.processInfo.environment where key.hasPrefix("TESTBED_") {
            values[key] = value
        }
        return Fleet(values: values)
    }

    /// The value of `key`, or an error naming the key.
    public func value(_ key: String) throws -> String {
        guard let value = values[key], !value.isEmpty else {
            throw Missing(description: "the test fleet's env file has no \(key): re-run `scripts/testbed up`")
        }
        return value
    }

    /// Parses `KEY=VALUE` lines; values may be wrapped in single or double quotes.
    static func parse(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for rawLine in text.split(separator: "\n") {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line.removeFirst("export ".count) }
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<eq])
            var value = String(line[line.index(after: eq)...])
            if value.count >= 2, let first = value.first, first == "'" || first == "\"", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            values[key] = value
        }
        return values
    }
}
