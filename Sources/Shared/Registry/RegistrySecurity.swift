import Foundation
import NIOSSL

/// Which registries may use plain HTTP and which certificates to trust, following Docker's conventions.
public struct RegistrySecurity: Sendable, Hashable {
    /// Registries (`host` or `host:port`) that may use plain HTTP, besides 127.0.0.0/8, `::1` and `localhost`,
    /// which Docker treats as insecure by default.
    public var insecureRegistries: Set<String>
    /// Extra CA certificate files (PEM) trusted for every registry, in addition to the system's.
    public var caCertificateFiles: [String]
    /// Docker's per-registry certificate folder: `DIR/HOST[:PORT]/ca.crt` (and any other `*.crt`) are trusted,
    /// `client.cert` + `client.key` are presented as a client certificate.
    public var certsDirectory: String

    /// Creates a policy.
    public init(
        insecureRegistries: Set<String> = [], caCertificateFiles: [String] = [],
        certsDirectory: String = "/etc/docker/certs.d"
    ) {
        self.insecureRegistries = insecureRegistries
        self.caCertificateFiles = caCertificateFiles
        self.certsDirectory = certsDirectory
    }

    /// Whether `registry` (`host[:port]`) may be reached over plain HTTP.
    public func isInsecure(_ registry: String) -> Bool {
        if insecureRegistries.contains(registry) { return true }
        let host = Self.host(of: registry)
        if insecureRegistries.contains(host) { return true }
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// The TLS settings for `registry`: system roots plus the option's CA files plus `certsDirectory/REGISTRY`.
    public func tlsConfiguration(for registry: String) throws(RegistryError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        var roots: [String] = []
        for file in caCertificateFiles {
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw .configuration(registry: registry, reason: "the CA certificate file \(file) cannot be read")
            }
            roots.append(file)
        }
        let folder = certsDirectory + "/" + registry
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        roots += entries.filter { $0.hasSuffix(".crt") }.sorted().map { folder + "/" + $0 }
        configuration.additionalTrustRoots = roots.map { .file($0) }
        let clientCertificate = folder + "/client.cert"
        let clientKey = folder + "/client.key"
        if entries.contains("client.cert"), entries.contains("client.key") {
            do {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(clientCertificate).map { .certificate($0) }
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: clientKey, format: .pem))
            } catch {
                throw .configuration(registry: registry, reason: "the client certificate in \(folder) cannot be loaded: \(error)")
            }
        }
        return configuration
    }

    /// The host part of `host[:port]` or `[v6]:port`.
    static func host(of registry: String) -> String {
        if registry.hasPrefix("["), let close = registry.firstIndex(of: "]") {
            return String(registry[registry.index(after: registry.startIndex)..<close])
        }
        if registry.filter({ $0 == ":" }).count == 1, let colon = registry.firstIndex(of: ":") {
            return String(registry[..<colon])
        }
        return registry
    }
}
