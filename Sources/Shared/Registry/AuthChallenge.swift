/// One challenge from a `WWW-Authenticate` header, e.g. `Bearer realm="https://auth/token",service="reg"`.
public struct AuthChallenge: Sendable, Hashable {
    /// The scheme, lowercased (`basic`, `bearer`).
    public var scheme: String
    /// The auth-params, keys lowercased, values unquoted and unescaped.
    public var parameters: [String: String]
    /// A token68 value, for schemes that use one instead of parameters.
    public var token68: String?

    /// Creates a challenge.
    public init(scheme: String, parameters: [String: String] = [:], token68: String? = nil) {
        self.scheme = scheme.lowercased()
        self.parameters = parameters
        self.token68 = token68
    }

    /// The `realm` parameter.
    public var realm: String? { parameters["realm"] }

    /// Parses every challenge in the values of one or more `WWW-Authenticate` headers (RFC 7235 §4.1):
    /// several challenges may share one header, separated by commas, and parameter values may be tokens or
    /// quoted strings with backslash escapes.
    public static func parse(_ headerValues: [String]) throws(AuthChallengeError) -> [AuthChallenge] {
        var challenges: [AuthChallenge] = []
        for value in headerValues {
            var parser = ChallengeParser(text: value)
            challenges += try parser.parseAll()
        }
        return challenges
    }
}

/// A `WWW-Authenticate` header that does not follow RFC 7235.
public struct AuthChallengeError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The header value.
    public let header: String
    /// What is wrong, and where.
    public let reason: String

    public var description: String { "unreadable WWW-Authenticate header `\(header)`: \(reason)" }
}

private struct ChallengeParser {
    let text: String
    let scalars: [Unicode.Scalar]
    var index = 0

    init(text: String) {
        self.text = text
        self.scalars = Array(text.unicodeScalars)
    }

    mutating func parseAll() throws(AuthChallengeError) -> [AuthChallenge] {
        var challenges: [AuthChallenge] = []
        skipCommasAndWhitespace()
        while index < scalars.count {
            challenges.append(try parseChallenge())
            skipCommasAndWhitespace()
        }
        return challenges
    }

    private mutating func parseChallenge() throws(AuthChallengeError) -> AuthChallenge {
        let scheme = readToken()
        guard !scheme.isEmpty else { throw failure("expected an auth scheme at offset \(index)") }
        var challenge = AuthChallenge(scheme: scheme)
        skipWhitespace()
        // A token68 (e.g. `Basic dXNlcjpw=`) is one word, optionally `=`-padded, then a comma or the end;
        // anything else is a list of `name=value` parameters.
        let start = index
        let candidate = readWhile { Self.isTokenCharacter($0) || "-._~+/".unicodeScalars.contains($0) }
        var padding = index
        while padding < scalars.count, scalars[padding] == "=" { padding += 1 }
        let next = Self.skipWhitespace(in: scalars, from: padding)
        if !candidate.isEmpty, next == scalars.count || scalars[next] == "," {
            challenge.token68 = candidate + String(repeating: "=", count: padding - index)
            index = padding
            return challenge
        }
        index = start
        while index < scalars.count {
            let mark = index
            skipWhitespace()
            let name = readToken()
            skipWhitespace()
            guard !name.isEmpty, index < scalars.count, scalars[index] == "=" else {
                index = mark  // not a parameter: the start of the next challenge
                break
            }
            index += 1
            skipWhitespace()
            let value = try index < scalars.count && scalars[index] == "\"" ? readQuoted() : readToken()
            challenge.parameters[name.lowercased()] = value
            skipWhitespace()
            guard index < scalars.count else { break }
            guard scalars[index] == "," else { throw failure("expected `,` at offset \(index)") }
            index += 1
            skipCommasAndWhitespace()
        }
        return challenge
    }

    private mutating func readQuoted() throws(AuthChallengeError) -> String {
        index += 1  // opening quote
        var value = String.UnicodeScalarView()
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            switch scalar {
            case "\"": return String(value)
            case "\\":
                guard index < scalars.count else { break }
                value.append(scalars[index])
                index += 1
            default: value.append(scalar)
            }
        }
        throw failure("a quoted string is not closed")
    }

    private mutating func readToken() -> String { readWhile(Self.isTokenCharacter) }

    private mutating func readWhile(_ predicate: (Unicode.Scalar) -> Bool) -> String {
        var value = String.UnicodeScalarView()
        while index < scalars.count, predicate(scalars[index]) {
            value.append(scalars[index])
            index += 1
        }
        return String(value)
    }

    private mutating func skipWhitespace() { index = Self.skipWhitespace(in: scalars, from: index) }

    private mutating func skipCommasAndWhitespace() {
        while index < scalars.count, scalars[index] == "," || scalars[index] == " " || scalars[index] == "\t" {
            index += 1
        }
    }

    private static func skipWhitespace(in scalars: [Unicode.Scalar], from start: Int) -> Int {
        var position = start
        while position < scalars.count, scalars[position] == " " || scalars[position] == "\t" { position += 1 }
        return position
    }

    private static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        // RFC 7230 tchar
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            || "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar)
    }

    private func failure(_ reason: String) -> AuthChallengeError { AuthChallengeError(header: text, reason: reason) }
}
