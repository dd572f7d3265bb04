import Foundation
import Shared

/// How cosign is called: the user's signing set-up (`--sign-key`, `--cosign-arg`, keyless otherwise) and the
/// registry options coordinator has, passed on to every call. Nothing here is ever sent to a build host.
struct CosignSettings: Sendable, Hashable {
    /// `--sign-key`: a key file (its password in `COSIGN_PASSWORD`, in cosign's own environment) or a KMS URI;
    /// nil signs keyless.
    var key: String?
    /// `--cosign-arg`: options for every `cosign sign` and `cosign attest`.
    var signArguments: [String] = []
    /// `--cosign-verify-arg`: options for every `cosign verify` and `verify-attestation` (keyless identity).
    var verifyArguments: [String] = []
    /// Whether the registry is plain HTTP or otherwise insecure for coordinator (127.0.0.0/8, `--insecure-registry`).
    var insecureRegistry = false
    /// The CA file coordinator trusts for registries (`--ca-cert`), passed as `--registry-cacert`.
    var registryCACertificate: String?
    /// The cosign executable.
    var executable = "cosign"

    /// Whether signing skips the transparency log (`--tlog-upload=false` among the sign arguments), so that
    /// verification must ignore it too.
    var skipsTransparencyLog: Bool {
        signArguments.contains { $0 == "--tlog-upload=false" }
            || zip(signArguments, signArguments.dropFirst()).contains { $0 == "--tlog-upload" && $1 == "false" }
    }

    /// Whether `key` names a key management service (`awskms://`, `gcpkms://`, `hashivault://`, `k8s://`, ...)
    /// rather than a file.
    var keyIsURI: Bool { key?.contains("://") ?? false }

    /// Registry options for every call.
    var registryArguments: [String] {
        var arguments: [String] = []
        if insecureRegistry { arguments += ["--allow-insecure-registry", "--allow-http-registry"] }
        if let registryCACertificate { arguments += ["--registry-cacert", registryCACertificate] }
        return arguments
    }

    /// `cosign sign` of `reference` (by digest).
    func signCommand(for reference: String) -> [String] {
        ["sign", "--yes"] + keyArguments + registryArguments + signArguments + [reference]
    }

    /// `cosign attest` of the predicate in `file` onto `reference` (by digest).
    func attestCommand(for reference: String, predicateFile: String) -> [String] {
        ["attest", "--yes", "--type", "slsaprovenance1", "--predicate", predicateFile] + keyArguments
            + registryArguments + signArguments + [reference]
    }

    /// `cosign verify` of `reference` with `verificationKey` (a public key file or KMS URI; nil for keyless).
    func verifyCommand(for reference: String, verificationKey: String?) -> [String] {
        ["verify"] + verification(verificationKey) + [reference]
    }

    /// `cosign verify-attestation --type slsaprovenance1` of `reference`.
    func verifyAttestationCommand(for reference: String, verificationKey: String?) -> [String] {
        ["verify-attestation", "--type", "slsaprovenance1"] + verification(verificationKey) + [reference]
    }

    private var keyArguments: [String] { key.map { ["--key", $0] } ?? [] }

    private func verification(_ verificationKey: String?) -> [String] {
        var arguments = verificationKey.map { ["--key", $0] } ?? []
        if verificationKey == nil, !verifyArguments.contains(where: { $0.hasPrefix("--certificate-identity") }) {
            // Keyless without an identity given: accept what this run just signed, whoever the CI identity is.
            arguments += ["--certificate-identity-regexp", ".*", "--certificate-oidc-issuer-regexp", ".*"]
        }
        if skipsTransparencyLog { arguments.append("--insecure-ignore-tlog=true") }
        return arguments + registryArguments + verifyArguments
    }
}
