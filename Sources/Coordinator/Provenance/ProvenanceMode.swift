/// `--provenance`: what the release records about how each platform was built.
enum ProvenanceMode: String, CaseIterable, Sendable {
    /// No provenance: the list is exactly what it was before provenance existed.
    case none
    /// An OCI index that also holds each platform's SLSA provenance, in BuildKit's attestation layout.
    case attach
    /// `attach`, and every platform image and the list signed and the provenance attested with cosign, all
    /// verified before any list tag moves.
    case sign
}
