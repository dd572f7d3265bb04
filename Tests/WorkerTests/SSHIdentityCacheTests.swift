import Foundation
import Testing
import TestSupport

@testable import Worker

/// What is read once per process on the SSH side: identity files and known_hosts files.
@Suite("SSH files read once")
struct SSHIdentityCacheTests {
    @Test("an unencrypted ed25519 key is read for signing in memory, with the public key of its .pub; others are not")
    func ed25519Identity() throws {
        let fleet = try SSHFleet.load()
        let identity = try #require(IdentityFile.inspect(fleet.key))
        let ed25519 = try #require(identity.ed25519)
        let pub = try String(contentsOfFile: fleet.key + ".pub", encoding: .utf8).split(separator: " ")
        #expect(String(pub[0]) == "ssh-ed25519")
        #expect(Data(ed25519.publicKeyBlob).base64EncodedString() == String(pub[1]))
        #expect(ed25519.seed.count == 32)
        #expect(IdentityFile.inspect(fleet.protectedKey)?.ed25519 == nil, "a protected key stays with libssh2")
        #expect(IdentityFile.inspect(fleet.ecdsaKey)?.ed25519 == nil)
        #expect(IdentityFile.inspect(fleet.rsaKey)?.ed25519 == nil)
    }

    @Test("an identity file is read again once it changed")
    func identityReadAgain() throws {
        let fleet = try SSHFleet.load()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("identity-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/id"
        try FileManager.default.copyItem(atPath: fleet.key, toPath: path)
        #expect(IdentityFile.inspect(path)?.ed25519 != nil)
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: fleet.protectedKey, toPath: path)
        #expect(IdentityFile.inspect(path)?.encrypted == true)
        #expect(IdentityFile.inspect(path)?.ed25519 == nil)
    }

    @Test("a known_hosts snapshot hands a host its own plain lines and every hashed line, nothing else")
    func linesConcerningHost() throws {
        let lines = [
            "[10.0.0.1]:2222 ssh-ed25519 AAAA1", "10.0.0.1 ssh-ed25519 AAAA2", "other,[10.0.0.1]:2222 ssh-rsa AAAA3",
            "|1|c2FsdA==|aGFzaA== ssh-ed25519 AAAA4", "[10.0.0.11]:2222 ssh-ed25519 AAAA5",
            "[10.0.0.1]:22 ssh-ed25519 AAAA6",
        ]
        let snapshot = KnownHostsCache.Snapshot(
            lines: lines.enumerated().map { index, text in
                .init(number: index + 1, text: text, hosts: text.prefix { $0 != " " })
            },
            entries: 7, revoked: [])
        #expect(snapshot.lines(concerning: "[10.0.0.1]:2222").map(\.number) == [1, 3, 4])
        #expect(snapshot.lines(concerning: "10.0.0.1").map(\.number) == [2, 4])
    }
}
