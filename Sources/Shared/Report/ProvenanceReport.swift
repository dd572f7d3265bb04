/// A platform image's provenance and signatures (`--provenance attach|sign`), in the build report.
public struct ProvenanceReport: Hashable, Sendable, Codable {
    public enum Status: String, Hashable, Sendable, Codable {
        /// Made by this run and attached to the list (and, with `sign`, signed and attested).
        case attached
        /// A resumed platform's existing provenance, found by its image digest, verified and kept as it was.
        case reused
        /// A resumed platform with no provenance to be found: reported, never made up.
        case missing
    }

    public var status: Status
    /// The in-toto statement's digest (the attestation manifest's layer).
    public var statement: String?
    /// The attestation manifest's digest, as the list's `unknown/unknown` entry names it.
    public var attestationManifest: String?
    /// With `sign`: the digest of cosign's signature manifest (tag `sha256-HEX.sig`) of the image.
    public var signature: String?
    /// With `sign`: the digest of cosign's attestation manifest (tag `sha256-HEX.att`) of the image.
    public var signedAttestation: String?
    /// With `sign`: whether `cosign verify` and `cosign verify-attestation` passed for the image.
    public var verified: Bool?
    /// What is not signed or not verified, and why.
    public var problem: String?

    public init(
        status: Status, statement: String? = nil, attestationManifest: String? = nil, signature: String? = nil,
        signedAttestation: String? = nil, verified: Bool? = nil, problem: String? = nil
    ) {
        self.status = status
        self.statement = statement
        self.attestationManifest = attestationManifest
        self.signature = signature
        self.signedAttestation = signedAttestation
        self.verified = verified
        self.problem = problem
    }
}
