import Testing

@testable import Shared

@Suite("WWW-Authenticate parsing")
struct AuthChallengeTests {
    @Test("the distribution registry's bearer challenge")
    func bearer() throws {
        let challenges = try AuthChallenge.parse([
            #"Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push""#
        ])
        #expect(challenges.count == 1)
        #expect(challenges[0].scheme == "bearer")
        #expect(challenges[0].realm == "https://auth.example.com/token")
        #expect(challenges[0].parameters["service"] == "registry.example.com")
        #expect(challenges[0].parameters["scope"] == "repository:a/b:pull,push")
    }

    @Test("basic with a realm, scheme and names case-insensitive")
    func basic() throws {
        let challenges = try AuthChallenge.parse([#"BASIC Realm="dev, \"quoted\" realm""#])
        #expect(challenges == [AuthChallenge(scheme: "basic", parameters: ["realm": #"dev, "quoted" realm"#])])
    }

    @Test("several challenges in one header, with spaces and token values")
    func several() throws {
        let challenges = try AuthChallenge.parse([
            #"Basic realm="a" , Bearer realm="https://t/token", service=reg, error="insufficient_scope""#
        ])
        #expect(challenges.map(\.scheme) == ["basic", "bearer"])
        #expect(challenges[1].parameters == ["realm": "https://t/token", "service": "reg", "error": "insufficient_scope"])
    }

    @Test("several headers, a token68, and a bare scheme")
    func token68() throws {
        let challenges = try AuthChallenge.parse(["Negotiate", "Custom dXNlcjpwYXNz==, Basic realm=x"])
        #expect(challenges.count == 3)
        #expect(challenges[0] == AuthChallenge(scheme: "negotiate"))
        #expect(challenges[1].token68 == "dXNlcjpwYXNz==")
        #expect(challenges[2] == AuthChallenge(scheme: "basic", parameters: ["realm": "x"]))
    }

    @Test("malformed headers are refused with the header in the error", arguments: [#"Bearer realm="open"#, #"="x""#, "Bearer a=b c"])
    func malformed(_ header: String) {
        #expect {
            try AuthChallenge.parse([header])
        } throws: { error in
            (error as? AuthChallengeError)?.header == header
        }
    }
}
