import Testing

@testable import Worker

/// Parsing only: no fleet needed.
@Suite("SSH client configuration")
struct SSHConfigTests {
    let config = SSHConfig(text: """
        # global
        IdentityFile ~/.ssh/global_key

        Host build-* !build-skip
            HostName %h.example.com
            User builder
            Port=2201
            IdentityFile "~/.ssh/%r_key"

        Host build-arm
            HostName 10.0.0.9
            Port 22

        Match host something
            User ignored
        """)

    @Test("first value wins, identity files accumulate, tokens expand")
    func firstWins() {
        let settings = config.settings(for: "build-arm")
        #expect(settings.hostName == "build-arm.example.com")
        #expect(settings.user == "builder")
        #expect(settings.port == 2201)
        #expect(settings.identityFiles == [LocalPaths.home + "/.ssh/global_key", LocalPaths.home + "/.ssh/builder_key"])
    }

    @Test("negated patterns exclude a host", arguments: ["build-skip", "other"])
    func negation(host: String) {
        #expect(config.settings(for: host).hostName == nil)
        #expect(!config.hasHostBlock(for: host))
    }

    @Test("glob patterns", arguments: [("build-*", "build-x", true), ("b?ild", "build", true), ("*.lan", "a.b.lan", true),
                                       ("build", "builder", false), ("*", "", true)])
    func glob(pattern: String, text: String, matches: Bool) {
        #expect(SSHConfig.glob(pattern, text) == matches)
    }

    @Test("known_hosts names follow OpenSSH: bare host for 22, [host]:port otherwise")
    func knownHostsPattern() {
        #expect(KnownHosts.pattern(host: "h", port: 22) == "h")
        #expect(KnownHosts.pattern(host: "::1", port: 2222) == "[::1]:2222")
    }

    @Test("shell quoting survives single quotes")
    func quoting() {
        #expect(POSIXShell.singleQuoted("it's") == "'it'\\''s'")
    }
}
