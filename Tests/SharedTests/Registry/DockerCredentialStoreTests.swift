import Foundation
import Testing

@testable import Shared

/// Uses a real config.json and a real `docker-credential-*` executable in a temporary folder.
@Suite("Docker credentials")
struct DockerCredentialStoreTests {
    let folder: String

    init() throws {
        folder = NSTemporaryDirectory() + "coordinator-credentials-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder + "/bin", withIntermediateDirectories: true)
        // A credential helper following Docker's protocol: server on stdin, JSON on stdout.
        let helper = """
            #!/bin/sh
            [ "$1" = get ] || { echo "unexpected action $1" >&2; exit 2; }
            read -r server
            case "$server" in
              helper.example:5000) printf '{"ServerURL":"%s","Username":"helper-user","Secret":"helper-secret"}' "$server" ;;
              token.example) printf '{"ServerURL":"%s","Username":"<token>","Secret":"refresh-123"}' "$server" ;;
              https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"hub-user","Secret":"hub-secret"}' "$server" ;;
              broken.example) echo "keychain locked" >&2; exit 1 ;;
              *) echo "credentials not found in native keychain"; exit 1 ;;
            esac
            """
        try write(helper, to: "bin/docker-credential-test")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder + "/bin/docker-credential-test")
    }

    func write(_ text: String, to name: String) throws {
        try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
    }

    func store() -> DockerCredentialStore { DockerCredentialStore(configDirectory: folder, searchPath: folder + "/bin:/usr/bin:/bin") }

    @Test("auths: base64 auth, username/password, identitytoken, keys with scheme and path")
    func auths() async throws {
        let encoded = Data("alice:pa:ss".utf8).base64EncodedString()
        try write(
            """
            {"auths": {
              "127.0.0.1:5000": {"auth": "\(encoded)"},
              "https://reg.example.com/v1/": {"username": "bob", "password": "pw"},
              "https://index.docker.io/v1/": {"auth": "\(Data("hub:secret".utf8).base64EncodedString())"},
              "oauth.example": {"username": "carol", "identitytoken": "refresh"}
            }}
            """, to: "config.json")
        #expect(try await store().credentials(for: "127.0.0.1:5000") == RegistryCredentials(username: "alice", password: "pa:ss"))
        #expect(try await store().credentials(for: "reg.example.com") == RegistryCredentials(username: "bob", password: "pw"))
        #expect(try await store().credentials(for: "docker.io")?.username == "hub")
        #expect(try await store().credentials(for: "oauth.example")?.identityToken == "refresh")
        #expect(try await store().credentials(for: "127.0.0.1:5001") == nil)
    }

    @Test("credHelpers win for their registry, credsStore for the rest; not found falls back to auths")
    func helpers() async throws {
        try write(
            """
            {"credsStore": "test", "credHelpers": {"helper.example:5000": "test"},
             "auths": {"fallback.example": {"auth": "\(Data("f:g".utf8).base64EncodedString())"}}}
            """, to: "config.json")
        #expect(
            try await store().credentials(for: "helper.example:5000")
                == RegistryCredentials(username: "helper-user", password: "helper-secret"))
        #expect(try await store().credentials(for: "docker.io")?.username == "hub-user")
        #expect(try await store().credentials(for: "token.example")?.identityToken == "refresh-123")
        #expect(try await store().credentials(for: "fallback.example")?.username == "f")
        #expect(try await store().credentials(for: "nowhere.example") == nil)
    }

    @Test("a failing helper is an error naming the helper, without secrets")
    func failingHelper() async throws {
        try write(#"{"credsStore": "test"}"#, to: "config.json")
        await #expect {
            try await store().credentials(for: "broken.example")
        } throws: { error in
            "\(error)".contains("docker-credential-test") && "\(error)".contains("keychain locked")
        }
    }

    @Test("a helper that exits without reading the server name is an error with its exit and message")
    func helperIgnoringInput() async throws {
        try write("#!/bin/sh\necho 'no keychain in this session' >&2\nexit 1\n", to: "bin/docker-credential-early")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder + "/bin/docker-credential-early")
        try write(#"{"credsStore": "early"}"#, to: "config.json")
        // Repeated: the helper often exits before the server name would have been written to it.
        for _ in 0..<10 {
            await #expect {
                try await store().credentials(for: "x.example")
            } throws: { error in
                "\(error)".contains("docker-credential-early get failed (exit 1): no keychain in this session")
            }
        }
    }

    @Test("a helper that is not installed is named in the error")
    func missingHelper() async throws {
        try write(#"{"credHelpers": {"x.example": "absent"}}"#, to: "config.json")
        await #expect {
            try await store().credentials(for: "x.example")
        } throws: { error in
            "\(error)".contains("docker-credential-absent") && "\(error)".contains("PATH")
        }
    }

    @Test("no config.json means no credentials; a broken one is an error naming the file")
    func configFile() async throws {
        #expect(try await store().credentials(for: "127.0.0.1:5000") == nil)
        try write("{not json", to: "config.json")
        await #expect {
            try await store().credentials(for: "127.0.0.1:5000")
        } throws: { error in
            "\(error)".contains(folder + "/config.json")
        }
    }

    @Test("DOCKER_CONFIG wins over HOME")
    func environment() {
        #expect(DockerCredentialStore(environment: ["DOCKER_CONFIG": "/x", "HOME": "/h"]).configFile == "/x/config.json")
        #expect(DockerCredentialStore(environment: ["HOME": "/h"]).configFile == "/h/.docker/config.json")
        let emptyDockerConfig = DockerCredentialStore(environment: ["DOCKER_CONFIG": "", "HOME": "/h"])
        #expect(emptyDockerConfig.configFile == "/h/.docker/config.json")
    }

    @Test("the store of this process's environment is the one its environment dictionary gives")
    func processEnvironment() {
        let fromDictionary = DockerCredentialStore(environment: ProcessInfo.processInfo.environment)
        let store = DockerCredentialStore()
        #expect(store.configDirectory == fromDictionary.configDirectory)
        #expect(store.searchPath == fromDictionary.searchPath)
    }

    @Test("credentials never print their secret")
    func description() {
        let credentials = RegistryCredentials(username: "u", password: "s3cret")
        #expect(!"\(credentials)".contains("s3cret"))
        #expect(credentials.basicAuthorization == "Basic " + Data("u:s3cret".utf8).base64EncodedString())
    }
}
