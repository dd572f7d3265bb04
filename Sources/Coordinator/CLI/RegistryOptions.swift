import ArgumentParser
import Shared

/// Registry connection options shared by the `manifest` subcommands, in Docker's terms.
struct RegistryOptions: ParsableArguments {
    @Option(
        name: .customLong("insecure-registry"),
        help: ArgumentHelp(
            "A registry (HOST or HOST:PORT) that may use plain HTTP. Repeatable. 127.0.0.0/8 and localhost always may.",
            valueName: "host[:port]"))
    var insecureRegistries: [String] = []

    @Option(
        name: .customLong("ca-cert"),
        help: ArgumentHelp("A CA certificate (PEM) to trust for registries. Repeatable.", valueName: "file"))
    var caCertificates: [String] = []

    @Option(
        name: .customLong("certs-dir"),
        help: ArgumentHelp("Docker's per-registry certificate folder (HOST[:PORT]/ca.crt).", valueName: "dir"))
    var certsDirectory = Self.defaultCertsDirectory

    /// Docker's per-registry certificate folder.
    static let defaultCertsDirectory = "/etc/docker/certs.d"

    /// The registry client configuration these options describe; credentials come from Docker's config, and each
    /// retry is noted on standard error.
    var clientConfiguration: RegistryClient.Configuration {
        Self.clientConfiguration(
            insecureRegistries: insecureRegistries, caCertificates: caCertificates, certsDirectory: certsDirectory)
    }

    /// The registry client configuration for these options' values.
    static func clientConfiguration(insecureRegistries: [String], caCertificates: [String], certsDirectory: String)
        -> RegistryClient.Configuration
    {
        RegistryClient.Configuration(
            security: RegistrySecurity(
                insecureRegistries: Set(insecureRegistries), caCertificateFiles: caCertificates,
                certsDirectory: certsDirectory),
            onRetry: RegistryRetryNote.plain)
    }
}
