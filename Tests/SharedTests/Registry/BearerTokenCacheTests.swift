import Foundation
import Testing

@testable import Shared

@Suite("Bearer token cache")
struct BearerTokenCacheTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    let pull = BearerTokenCache.Key(realm: "http://127.0.0.1:5003/token", service: "reg", scopes: ["repository:a:pull"])

    @Test("a token is reused until expires_in runs out, less the margin")
    func expiresIn() {
        var cache = BearerTokenCache()
        cache.store("T", for: pull, expiresIn: 300, issuedAt: nil, receivedAt: start)
        #expect(cache.token(for: pull, at: start) == "T")
        #expect(cache.token(for: pull, at: start.addingTimeInterval(269)) == "T")
        #expect(cache.token(for: pull, at: start.addingTimeInterval(270)) == nil)  // 300 - 30 s margin
    }

    @Test("without expires_in a token lives 60 seconds (less 6)")
    func defaultLifetime() {
        var cache = BearerTokenCache()
        cache.store("T", for: pull, expiresIn: nil, issuedAt: nil, receivedAt: start)
        #expect(cache.token(for: pull, at: start.addingTimeInterval(53)) == "T")
        #expect(cache.token(for: pull, at: start.addingTimeInterval(54)) == nil)
    }

    @Test("issued_at in the past shortens the lifetime; in the future (clock skew) it is ignored")
    func issuedAt() {
        var cache = BearerTokenCache()
        cache.store("old", for: pull, expiresIn: 100, issuedAt: start.addingTimeInterval(-50), receivedAt: start)
        #expect(cache.token(for: pull, at: start.addingTimeInterval(39)) == "old")
        #expect(cache.token(for: pull, at: start.addingTimeInterval(40)) == nil)
        cache.store("skewed", for: pull, expiresIn: 100, issuedAt: start.addingTimeInterval(3600), receivedAt: start)
        #expect(cache.token(for: pull, at: start.addingTimeInterval(91)) == nil)
        #expect(cache.token(for: pull, at: start.addingTimeInterval(89)) == "skewed")
    }

    @Test("scopes are part of the key: another repository or action set needs its own token")
    func scopedKeys() {
        var cache = BearerTokenCache()
        cache.store("T", for: pull, expiresIn: 300, issuedAt: nil, receivedAt: start)
        let push = BearerTokenCache.Key(realm: pull.realm, service: "reg", scopes: ["repository:a:pull,push"])
        let other = BearerTokenCache.Key(realm: pull.realm, service: "reg", scopes: ["repository:b:pull"])
        #expect(cache.token(for: push, at: start) == nil)
        #expect(cache.token(for: other, at: start) == nil)
        let reordered = BearerTokenCache.Key(realm: pull.realm, service: "reg", scopes: ["repository:a:pull", "repository:a:pull"])
        #expect(cache.token(for: reordered, at: start) == "T")
        cache.remove(pull)
        #expect(cache.token(for: pull, at: start) == nil)
    }

    @Test("scope strings sort actions")
    func scopeText() {
        #expect(RepositoryScope.push("t/app").description == "repository:t/app:pull,push")
        #expect(RepositoryScope(repository: "x", actions: ["push", "delete", "pull"]).description == "repository:x:delete,pull,push")
    }

    @Test("token responses: token or access_token, issued_at with or without fractions")
    func tokenResponse() throws {
        let json = #"{"access_token":"A","expires_in":120,"issued_at":"2027-01-15T08:00:00.123Z"}"#
        let response = try JSONDecoder().decode(BearerTokenResponse.self, from: Data(json.utf8))
        #expect(response.value == "A")
        #expect(response.expiresIn == 120)
        #expect(abs((response.issuedDate?.timeIntervalSince1970 ?? 0) - 1_800_000_000.123) < 0.001)
        let plain = try JSONDecoder().decode(BearerTokenResponse.self, from: Data(#"{"token":"T","issued_at":"2027-01-15T08:00:00Z"}"#.utf8))
        #expect(plain.value == "T")
        #expect(plain.issuedDate == Date(timeIntervalSince1970: 1_800_000_000))
    }
}
