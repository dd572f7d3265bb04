import Foundation
import Shared
import TestSupport
import Testing

/// A bounded property test of the `WWW-Authenticate` parser (`AuthChallenge.parse`): 20,000 headers from a seeded
/// generator (well-formed challenges, the same mutated with quotes, commas, escapes, control characters, NUL and
/// unicode, random garbage, and huge parameters). It must never crash or hang; a well-formed header must read back
/// as the challenges it was rendered from; anything else either parses into well-formed challenges or is refused
/// with an error that quotes the header.
@Suite("WWW-Authenticate parser fuzzing")
struct RegistryAuthChallengeFuzzTests {
    static let tokenCharacters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~")
    static let token68Characters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+/")
    /// What hostile values and mutations are made of.
    static let hostile: [Character] = [
        "\"", "\\", ",", "=", " ", "\t", "\0", "\r", "\n", "\r\n", ";", "'", "`", "$", "é", "ß", "\u{1F600}", "\u{202E}",
        "\u{FEFF}", "\u{7F}", "\u{1B}", "\u{0301}", "中", "a", "Z", "9", "/", ":", "%",
    ]

    static func token(_ random: inout SplitMix64, _ alphabet: [Character] = tokenCharacters, length: ClosedRange<Int> = 1...12)
        -> String
    {
        String((0..<Int.random(in: length, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
    }

    static func value(_ random: inout SplitMix64) -> String {
        switch Int.random(in: 0..<400, using: &random) {
        case 0..<40: return ""
        case 40..<200: return token(&random)
        case 200: return String(repeating: token(&random, length: 1...4), count: Int.random(in: 4000...16_000, using: &random))
        default: return token(&random, tokenCharacters + hostile, length: 1...40)
        }
    }

    /// A quoted-string (or a bare token when it may be one) for `value`.
    static func render(_ value: String, _ random: inout SplitMix64) -> String {
        let bare = !value.isEmpty && value.allSatisfy { tokenCharacters.contains($0) }
        if bare, Bool.random(using: &random) { return value }
        var quoted = "\""
        for scalar in value.unicodeScalars {
            if scalar == "\"" || scalar == "\\" || Int.random(in: 0..<20, using: &random) == 0 { quoted += "\\" }
            quoted.unicodeScalars.append(scalar)
        }
        return quoted + "\""
    }

    /// A well-formed header of 1 to 3 challenges and the challenges it must parse into.
    static func wellFormed(_ random: inout SplitMix64) -> (header: String, expected: [AuthChallenge]) {
        var parts: [String] = []
        var expected: [AuthChallenge] = []
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            let scheme = ["Bearer", "Basic", "Digest", "Negotiate", token(&random)].randomElement(using: &random)!
            if Int.random(in: 0..<6, using: &random) == 0 {
                let token68 = token(&random, token68Characters, length: 1...40) + String(repeating: "=", count: Int.random(in: 0...2, using: &random))
                parts.append(scheme + " " + token68)
                expected.append(AuthChallenge(scheme: scheme, token68: token68))
                continue
            }
            var rendered: [String] = []
            var parameters: [String: String] = [:]
            for _ in 0..<Int.random(in: 0...5, using: &random) {
                let name = token(&random)
                let value = value(&random)
                let space = [" ", "", "\t", "  "].randomElement(using: &random)!
                rendered.append(name + space + "=" + space + render(value, &random))
                parameters[name.lowercased()] = value
            }
            let separator = [",", ", ", " ,", ",\t", ",,"].randomElement(using: &random)!
            parts.append(rendered.isEmpty ? scheme : scheme + " " + rendered.joined(separator: separator))
            expected.append(AuthChallenge(scheme: scheme, parameters: parameters))
        }
        return (parts.joined(separator: [", ", ",", " , "].randomElement(using: &random)!), expected)
    }

    static func mutate(_ header: String, _ random: inout SplitMix64) -> String {
        var characters = Array(header)
        for _ in 0..<Int.random(in: 1...8, using: &random) {
            let position = characters.isEmpty ? 0 : Int.random(in: 0...characters.count, using: &random)
            switch Int.random(in: 0..<4, using: &random) {
            case 0: characters.insert(hostile.randomElement(using: &random)!, at: position)
            case 1 where position < characters.count:
                characters.removeSubrange(position..<min(characters.count, position + Int.random(in: 1...5, using: &random)))
            case 2 where position < characters.count:
                characters[position] = hostile.randomElement(using: &random)!
            default: characters = Array(characters.prefix(position))
            }
        }
        return String(characters)
    }

    /// What every successful parse must satisfy, whatever the input.
    static func wellShaped(_ challenges: [AuthChallenge]) -> Bool {
        challenges.allSatisfy { challenge in
            !challenge.scheme.isEmpty && challenge.scheme == challenge.scheme.lowercased()
                && challenge.scheme.allSatisfy { tokenCharacters.contains($0) }
                && challenge.parameters.keys.allSatisfy { !$0.isEmpty && $0 == $0.lowercased() }
                && (challenge.token68 == nil || challenge.parameters.isEmpty)
        }
    }

    struct Tally: CustomStringConvertible {
        var roundTrips = 0, accepted = 0, refused = 0, huge = 0
        var total: Int { roundTrips + accepted + refused }
        var description: String {
            "\(total) headers: \(roundTrips) well-formed read back exactly, \(accepted) mutated or random accepted, "
                + "\(refused) refused with an error, \(huge) over 16 KiB"
        }
    }

    /// The most CPU time one header may take to generate, parse and check: a debug build on a loaded machine
    /// needs milliseconds even for the 64 KiB ones; a parser that hangs or goes quadratic needs far more.
    static let caseLimit: Duration = .seconds(2)

    @Test("20,000 generated headers: no crash, exact read-back of well-formed ones, clean refusals")
    func fuzz() async throws {
        // CPU-bound: runs off the cooperative pool (see OffPool), expectations checked on it afterwards. Each
        // header is bounded on the thread's CPU clock (BoundedCases), which a loaded machine does not stretch.
        let (tally, outcome) = try await OffPool.run { () -> (Tally, BoundedCases.Outcome) in
            var random = SplitMix64(seed: 0x5EED_0007)
            var tally = Tally()
            let outcome = BoundedCases.run(count: 20_000, limit: Self.caseLimit) { round in
                let (header, expected) = Self.wellFormed(&random)
                let input: String
                switch round % 4 {
                case 0, 1: input = header
                case 2: input = Self.mutate(header, &random)
                default: input = Self.token(&random, Self.hostile + Self.tokenCharacters, length: 0...200)
                }
                if input.utf8.count > 16 * 1024 { tally.huge += 1 }
                do {
                    let parsed = try AuthChallenge.parse([input])
                    if !Self.wellShaped(parsed) { return "ill-shaped \(String(reflecting: input.prefix(200)))" }
                    if input == header {
                        tally.roundTrips += 1
                        return parsed == expected ? nil : "read back wrong \(String(reflecting: input.prefix(200)))"
                    }
                    tally.accepted += 1
                    return nil
                } catch let error as AuthChallengeError {
                    tally.refused += 1
                    if input == header { return "a well-formed header was refused: \(error)" }
                    return error.header == input && !error.reason.isEmpty ? nil : "a vague error: \(error)"
                } catch {
                    return "an untyped error \(error)"
                }
            }
            return (tally, outcome)
        }
        print("WWW-Authenticate fuzz: \(tally), slowest \(outcome.slowest) of CPU")
        #expect(outcome.failures.isEmpty, "\(outcome.failures.prefix(5))")
        #expect(tally.total == 20_000 && tally.roundTrips >= 10_000 && tally.refused > 0 && tally.huge > 0)
    }

    @Test("huge headers parse in linear time: 1 MiB of parameters, 1 MiB unclosed quote, 1 MiB of commas")
    func huge() async throws {
        let parameters = "Bearer " + (0..<40_000).map { "p\($0)=\"v\\\"\($0)\"" }.joined(separator: ",")
        let cases: [(String, Bool)] = [
            (parameters, true),
            ("Bearer realm=\"" + String(repeating: "\\a", count: 512 * 1024), false),
            (String(repeating: ",", count: 1 << 20) + "Basic realm=x", true),
            ("Basic " + String(repeating: "=", count: 1 << 20), false),
            (String(repeating: "\0", count: 1 << 20), false),
        ]
        for (header, parses) in cases {
            let (elapsed, parsed) = try await OffPool.run { () -> (Duration, Bool) in
                let started = ContinuousClock.now
                let parsed = (try? AuthChallenge.parse([header])) != nil
                return (ContinuousClock.now - started, parsed)
            }
            // Linear: seconds even in a debug build on a loaded machine; a quadratic parser would take hours.
            #expect(elapsed < .seconds(60), "\(header.prefix(40))…")
            #expect(parsed == parses, "\(header.prefix(40))…")
        }
        #expect(try AuthChallenge.parse([parameters]).first?.parameters["p39999"] == "v\"39999")
    }

    struct KnownAnswer: Sendable, CustomTestStringConvertible {
        var header: String
        var expected: [AuthChallenge]?
        var testDescription: String { String(reflecting: header) }
    }

    static let knownAnswers: [KnownAnswer] = [
        KnownAnswer(
            header: #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push""#,
            expected: [AuthChallenge(scheme: "bearer", parameters: [
                "realm": "https://auth.docker.io/token", "service": "registry.docker.io",
                "scope": "repository:samalba/my-app:pull,push",
            ])]),
        KnownAnswer(header: #"Basic realm="Registry Realm""#, expected: [AuthChallenge(scheme: "basic", parameters: ["realm": "Registry Realm"])]),
        KnownAnswer(header: #"Basic realm="a", Bearer realm="b", error="invalid_token""#, expected: [
            AuthChallenge(scheme: "basic", parameters: ["realm": "a"]),
            AuthChallenge(scheme: "bearer", parameters: ["realm": "b", "error": "invalid_token"]),
        ]),
        KnownAnswer(header: #"Bearer realm="x\"y\\z""#, expected: [AuthChallenge(scheme: "bearer", parameters: ["realm": #"x"y\z"#])]),
        KnownAnswer(header: "BASIC REALM=foo", expected: [AuthChallenge(scheme: "basic", parameters: ["realm": "foo"])]),
        KnownAnswer(header: "Basic dXNlcjpwYXNz==", expected: [AuthChallenge(scheme: "basic", token68: "dXNlcjpwYXNz==")]),
        KnownAnswer(header: "Negotiate, Basic realm=x", expected: [
            AuthChallenge(scheme: "negotiate"), AuthChallenge(scheme: "basic", parameters: ["realm": "x"]),
        ]),
        KnownAnswer(header: " , , Basic realm=x ,", expected: [AuthChallenge(scheme: "basic", parameters: ["realm": "x"])]),
        KnownAnswer(header: #"Bearer realm="é中😀""#, expected: [AuthChallenge(scheme: "bearer", parameters: ["realm": "é中😀"])]),
        KnownAnswer(header: "", expected: []),
        KnownAnswer(header: #"Bearer realm="unterminated"#, expected: nil),
        KnownAnswer(header: #"Bearer realm="x" garbage"#, expected: nil),
        KnownAnswer(header: "=realm", expected: nil),
        KnownAnswer(header: "Bearer realm=\"a\0b\", ;", expected: nil),
    ]

    @Test("known answers", arguments: knownAnswers)
    func knownAnswer(_ known: KnownAnswer) {
        let parsed = try? AuthChallenge.parse([known.header])
        #expect(parsed == known.expected)
    }
}
