import Foundation

/// Reads registry credentials the way the Docker CLI does: `$DOCKER_CONFIG/config.json` (default
/// `~/.docker/config.json`): `credHelpers` for one registry, else `credsStore` for all, else `auths`.
/// Helpers are run as `docker-credential-NAME get` with the server on stdin.
public struct DockerCredentialStore: Sendable {
    /// The folder holding `config.json`.
    public var configDirectory: String
    /// The `PATH` used to find `docker-credential-*` helpers.
    public var searchPath: String

    /// A store reading `configDirectory/config.json`.
    public init(configDirectory: String, searchPath: String? = nil) {
        self.configDirectory = configDirectory
        self.searchPath = searchPath ?? Self.variable("PATH") ?? "/usr/local/bin:/usr/bin:/bin"
    }

    /// The store Docker would use in `environment`: `$DOCKER_CONFIG`, else `$HOME/.docker`.
    public init(environment: [String: String]) {
        self.init(home: environment["HOME"], dockerConfig: environment["DOCKER_CONFIG"], path: environment["PATH"])
    }

    /// The store Docker would use in this process's environment. The three variables are read one by one: the whole
    /// environment as a dictionary (`ProcessInfo`) costs more than a plain registry's answer.
    public init() {
        self.init(
            home: Self.variable("HOME"), dockerConfig: Self.variable("DOCKER_CONFIG"), path: Self.variable("PATH"))
    }

    private init(home: String?, dockerConfig: String?, path: String?) {
        let directory = dockerConfig.flatMap { $0.isEmpty ? nil : $0 } ?? (home ?? NSHomeDirectory()) + "/.docker"
        self.init(configDirectory: directory, searchPath: path)
    }

    private static func variable(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    /// The path of `config.json`.
    public var configFile: String { configDirectory + "/config.json" }

    /// The credentials for `registry` (`host[:port]`, `docker.io` for Docker Hub), or `nil` when none are stored.
    public func credentials(for registry: String) async throws(CredentialError) -> RegistryCredentials? {
        guard let config = try loadConfig() else { return nil }
        let serverKeys = Self.serverKeys(for: registry)
        if let helper = config.credHelpers?.first(where: { serverKeys.contains(Self.hostname(of: $0.key)) })?.value {
            return try await CredentialHelper(name: helper, searchPath: searchPath).get(server: Self.helperServer(registry))
        }
        if let store = config.credsStore, !store.isEmpty,
            let found = try await CredentialHelper(name: store, searchPath: searchPath).get(server: Self.helperServer(registry))
        {
            return found
        }
        guard let entry = config.auths?.first(where: { serverKeys.contains(Self.hostname(of: $0.key)) })?.value else {
            return nil
        }
        return try entry.credentials(path: "\(configFile): auths")
    }

    private func loadConfig() throws(CredentialError) -> DockerConfigFile? {
        guard let data = FileManager.default.contents(atPath: configFile) else { return nil }
        do {
            return try JSONDecoder().decode(DockerConfigFile.self, from: data)
        } catch {
            throw CredentialError(description: "\(configFile) is not valid Docker configuration JSON: \(error)")
        }
    }

    /// The names a registry may be stored under in `auths` (after ``hostname(of:)``).
    static func serverKeys(for registry: String) -> Set<String> {
        let hub: Set = ["docker.io", "index.docker.io", "registry-1.docker.io"]
        return hub.contains(registry) ? hub : [registry]
    }

    /// `https://host:port/v1/` → `host:port`, as Docker's `ConvertToHostname`.
    static func hostname(of key: String) -> String {
        var text = Substring(key)
        for scheme in ["https://", "http://"] where text.hasPrefix(scheme) { text = text.dropFirst(scheme.count) }
        return String(text.split(separator: "/", maxSplits: 1).first ?? text)
    }

    /// What Docker passes to a helper: Docker Hub's legacy URL, else the registry's host.
    static func helperServer(_ registry: String) -> String {
        serverKeys(for: registry).contains("docker.io") ? "https://index.docker.io/v1/" : registry
    }
}

/// The parts of Docker's `config.json` that hold credentials.
struct DockerConfigFile: Decodable {
    struct AuthEntry: Decodable {
        var auth: String?
        var username: String?
        var password: String?
        var identitytoken: String?

        func credentials(path: String) throws(CredentialError) -> RegistryCredentials? {
            var username = username
            var password = password
            if let auth, !auth.isEmpty {
                guard let decoded = Data(base64Encoded: auth).map({ String(decoding: $0, as: UTF8.self) }),
                    let colon = decoded.firstIndex(of: ":")
                else {
                    throw CredentialError(description: "\(path): an `auth` value is not base64 of `user:password`")
                }
                username = String(decoded[..<colon])
                password = String(decoded[decoded.index(after: colon)...])
            }
            let token = identitytoken.flatMap { $0.isEmpty ? nil : $0 }
            guard let username, !username.isEmpty || token != nil else { return nil }
            return RegistryCredentials(username: username, password: password ?? "", identityToken: token)
        }
    }

    var auths: [String: AuthEntry]?
    var credsStore: String?
    var credHelpers: [String: String]?
}

/// Credentials that could not be read.
public struct CredentialError: Error, CustomStringConvertible, Sendable {
    public let description: String
}
