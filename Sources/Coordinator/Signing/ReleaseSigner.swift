import Foundation
import Shared

/// `--provenance sign`: signs every platform image and attests its provenance by digest, signs the list (pushed by
/// digest only), and verifies every signature and attestation with cosign, all before any list tag moves.
actor ReleaseSigner {
    /// One platform to sign: its image digest and, when this run made it, the SLSA predicate to attest.
    struct Platform: Sendable {
        /// The per-platform tag, which names it in the report.
        var tag: String
        var digest: Digest
        /// nil for a resumed platform whose existing attestation must be verified and kept.
        var predicate: [UInt8]?
        /// A resumed platform: an existing valid signature is kept rather than another one added.
        var reused = false
    }

    private let cosign: Cosign
    private let client: RegistryClient
    private let repository: ImageReference
    private let directory: String
    private var verificationKey: String?
    /// Per platform tag: what is signed and verified.
    private(set) var results: [String: ProvenanceReport] = [:]
    private(set) var listSignature: String?
    private(set) var verified = false

    /// A signing step that failed: what and why.
    struct Failure: Error, Sendable, CustomStringConvertible {
        var description: String
    }

    init(settings: CosignSettings, client: RegistryClient, repository: ImageReference) throws(Failure) {
        cosign = Cosign(settings: settings)
        self.client = client
        self.repository = ImageReference(registry: repository.registry, repository: repository.repository)
        // Predicates and the derived public key go to a private directory of this machine, never to a host.
        directory = FileManager.default.temporaryDirectory.path + "/coordinator-sign-" + UUID().uuidString
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw Failure(description: "the private directory \(directory) for cosign could not be made: \(error)")
        }
        if let key = settings.key, settings.keyIsURI { verificationKey = key }
    }

    /// Removes the private directory.
    func cleanUp() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Signs and attests each platform image by digest; a resumed one keeps its attestation, which must verify.
    func signPlatforms(_ platforms: [Platform], reports: [String: ProvenanceReport]) async throws(Failure) {
        results = reports
        try await prepareVerificationKey()
        for platform in platforms {
            let reference = repository.withDigest(platform.digest).description
            var report = results[platform.tag] ?? ProvenanceReport(status: .attached)
            do throws(Cosign.Failure) {
                let signed: Bool
                if platform.reused {
                    do throws(Cosign.Failure) {
                        try await cosign.run(
                            cosign.settings.verifyCommand(for: reference, verificationKey: verificationKey))
                        signed = true
                    } catch {
                        signed = false
                    }
                } else {
                    signed = false
                }
                if !signed { try await cosign.run(cosign.settings.signCommand(for: reference)) }
                if let predicate = platform.predicate {
                    let file = directory + "/" + platform.digest.encoded + ".predicate.json"
                    guard FileManager.default.createFile(atPath: file, contents: Data(predicate)) else {
                        throw Cosign.Failure(command: "writing \(file)", message: "the predicate could not be written")
                    }
                    try await cosign.run(cosign.settings.attestCommand(for: reference, predicateFile: file))
                } else {
                    try await cosign.run(cosign.settings.verifyAttestationCommand(
                        for: reference, verificationKey: verificationKey))
                }
            } catch {
                report.problem = error.description
                results[platform.tag] = report
                throw Failure(description: "\(platform.tag) (\(reference)) is not signed and attested: \(error)")
            }
            results[platform.tag] = report
        }
    }

    /// Signs the list (pushed by digest only), then verifies every signature and attestation of the release.
    func signAndVerify(list: Digest, platforms: [Platform]) async throws(Failure) {
        let listReference = repository.withDigest(list).description
        do throws(Cosign.Failure) {
            try await cosign.run(cosign.settings.signCommand(for: listReference))
        } catch {
            throw Failure(description: "the list \(listReference) is not signed: \(error)")
        }
        listSignature = await cosignArtifact(of: list, suffix: "sig")
        for platform in platforms {
            let reference = repository.withDigest(platform.digest).description
            var report = results[platform.tag] ?? ProvenanceReport(status: .attached)
            do throws(Cosign.Failure) {
                try await cosign.run(cosign.settings.verifyCommand(for: reference, verificationKey: verificationKey))
                try await cosign.run(cosign.settings.verifyAttestationCommand(
                    for: reference, verificationKey: verificationKey))
                report.verified = true
            } catch {
                report.verified = false
                report.problem = error.description
                results[platform.tag] = report
                throw Failure(description: "\(platform.tag) (\(reference)) did not verify: \(error)")
            }
            report.signature = await cosignArtifact(of: platform.digest, suffix: "sig")
            report.signedAttestation = await cosignArtifact(of: platform.digest, suffix: "att")
            results[platform.tag] = report
        }
        do throws(Cosign.Failure) {
            try await cosign.run(cosign.settings.verifyCommand(for: listReference, verificationKey: verificationKey))
        } catch {
            throw Failure(description: "the list \(listReference) did not verify: \(error)")
        }
        verified = true
    }

    /// The digest of cosign's `sha256-HEX.sig` or `.att` manifest for `digest`, or nil when there is none.
    private func cosignArtifact(of digest: Digest, suffix: String) async -> String? {
        let tag = repository.withTag("sha256-\(digest.encoded).\(suffix)")
        return (try? await client.manifestDescriptor(tag))?.digest.description
    }

    /// The public key of a key file (`cosign public-key`, with `COSIGN_PASSWORD` in cosign's environment), for
    /// verification; a KMS URI verifies as itself; keyless verifies by certificate.
    private func prepareVerificationKey() async throws(Failure) {
        guard verificationKey == nil, let key = cosign.settings.key else { return }
        let file = directory + "/cosign.pub"
        do throws(Cosign.Failure) {
            try await cosign.run(["public-key", "--key", key, "--outfile", file])
        } catch {
            throw Failure(description: "--sign-key \(key): its public key could not be read (is COSIGN_PASSWORD "
                + "set for an encrypted key?): \(error)")
        }
        verificationKey = file
    }
}
