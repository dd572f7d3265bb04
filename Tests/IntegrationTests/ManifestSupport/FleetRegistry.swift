import Foundation
import Shared
import TestSupport

/// The three registries of the test fleet.
enum RegistryKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case plain
    case basicTLS = "basic+TLS"
    case token

    var description: String { rawValue }
}

/// One fleet registry, with what each client needs to reach it.
struct FleetRegistry: Sendable {
    let kind: RegistryKind
    /// `host:port`.
    let host: String
    let username: String?
    let password: String?
    /// The CA of a TLS registry.
    let caFile: String?
    /// A folder with `config.json` (auths for this registry) and `certs.d/HOST/ca.crt`, as Docker keeps them.
    let dockerConfig: String
    let certsDirectory: String

    init(_ kind: RegistryKind, fleet: Fleet) throws {
        self.kind = kind
        switch kind {
        case .plain:
            host = try fleet.value("TESTBED_REGISTRY")
            (username, password, caFile) = (nil, nil, nil)
        case .basicTLS:
            host = try fleet.value("TESTBED_REGISTRY_BASIC")
            (username, password) = (try fleet.value("TESTBED_REGISTRY_USER"), try fleet.value("TESTBED_REGISTRY_PASSWORD"))
            caFile = try fleet.value("TESTBED_REGISTRY_CA")
        case .token:
            host = try fleet.value("TESTBED_REGISTRY_TOKEN")
            (username, password) = (try fleet.value("TESTBED_REGISTRY_USER"), try fleet.value("TESTBED_REGISTRY_PASSWORD"))
            caFile = nil
        }
        let folder = NSTemporaryDirectory() + "manifest-registry-" + UUID().uuidString
        dockerConfig = folder + "/docker"
        certsDirectory = folder + "/certs.d"
        try FileManager.default.createDirectory(atPath: dockerConfig, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: certsDirectory + "/" + host, withIntermediateDirectories: true)
        var auths: [String: [String: String]] = [:]
        if let username, let password {
            auths[host] = ["auth": Data("\(username):\(password)".utf8).base64EncodedString()]
        }
        try JSONSerialization.data(withJSONObject: ["auths": auths]).write(to: URL(fileURLWithPath: dockerConfig + "/config.json"))
        if let caFile { try FileManager.default.copyItem(atPath: caFile, toPath: certsDirectory + "/" + host + "/ca.crt") }
    }

    /// A repository name no earlier run used.
    func freshRepository(_ prefix: String) -> String { "itest/\(prefix)-\(UUID().uuidString.prefix(8).lowercased())" }

    func reference(_ repository: String, tag: String) -> ImageReference {
        ImageReference(registry: host, repository: repository, tag: tag)
    }

    /// Our client, configured the way a user's machine would be: Docker config credentials and certs.d.
    var clientConfiguration: RegistryClient.Configuration {
        RegistryClient.Configuration(
            security: RegistrySecurity(certsDirectory: certsDirectory),
            credentials: DockerCredentialStore(configDirectory: dockerConfig))
    }

    /// Connection flags for buildah and skopeo.
    var containersToolFlags: [String] {
        var flags = caFile == nil ? ["--tls-verify=false"] : ["--cert-dir", certsDirectory + "/" + host]
        // Credentials go in the auth file, never on a command line (the secrets test samples /proc/*/cmdline).
        if username != nil { flags += ["--authfile", dockerConfig + "/config.json"] }
        return flags
    }

    /// Connection flags for one side of `skopeo copy`: `side` is `src` or `dest`.
    func copyFlags(_ side: String) -> [String] {
        var flags = caFile == nil ? ["--\(side)-tls-verify=false"] : ["--\(side)-cert-dir", certsDirectory + "/" + host]
        if username != nil { flags += ["--\(side)-authfile", dockerConfig + "/config.json"] }
        return flags
    }

    /// Environment for the docker CLI: this registry's credentials.
    var dockerEnvironment: [String: String] { ["DOCKER_CONFIG": dockerConfig] }
}
