import Foundation
import Shared

/// `--provenance attach|sign`: each platform's provenance as an attestation manifest in the list's repository,
/// made here for a platform this run built, found again by image digest for a resumed one (in the list the tag
/// holds now, else in cosign's `sha256-HEX.att`), never made anew for it.
struct ReleaseProvenance: Sendable {
    let client: RegistryClient
    /// The list's reference (its repository holds every platform image).
    let target: ImageReference

    /// One platform, as the release knows it.
    struct Input: Sendable {
        var report: PlatformReport
        var facts: BuildHostFacts?
        var dockerfile: String
        var buildTarget: String?
        var tags: [String]
    }

    /// What the list gets and what signing needs.
    struct Prepared: Sendable {
        /// The attestation entries to list after each image.
        var attestations: [Digest: [Descriptor]] = [:]
        /// Per platform, by its tag (the report's `.tag`).
        var reports: [String: ProvenanceReport] = [:]
        /// What `--provenance sign` signs and attests.
        var toSign: [ReleaseSigner.Platform] = []
    }

    /// Why provenance could not be attached.
    struct Failure: Error, Sendable, CustomStringConvertible {
        var description: String
    }

    func prepare(_ platforms: [Input], release: ReleaseFacts) async throws(Failure) -> Prepared {
        var prepared = Prepared()
        let existingList = await existingIndex()
        for input in platforms {
            guard let text = input.report.digest, let digest = try? Digest(parsing: text) else { continue }
            let name = input.report.platform
            let key = input.report.tag
            if input.report.outcome == .built, let facts = input.facts {
                let statement = ProvenanceFactory.statement(
                    release: release, digest: text, platform: name, windowsVersion: input.report.windowsVersion,
                    tags: input.tags, dockerfile: input.dockerfile, target: input.buildTarget, host: facts)
                let attestation: AttestationManifest
                let predicate: [UInt8]
                do {
                    attestation = try AttestationManifest(statement: try statement.encoded(), imageDigest: digest)
                    predicate = try statement.encodedPredicate()
                } catch {
                    throw Failure(description: "the provenance of \(name) could not be encoded: \(error)")
                }
                try await push(attestation, platform: name)
                prepared.attestations[digest] = [attestation.entry]
                prepared.reports[key] = ProvenanceReport(
                    status: .attached, statement: Digest(of: attestation.statement).description,
                    attestationManifest: attestation.entry.digest.description)
                prepared.toSign.append(.init(tag: key, digest: digest, predicate: predicate))
                continue
            }
            // A resumed platform: its provenance is whatever was recorded when it was built.
            let signed = await signedStatement(of: digest)
            let listed = existingList?.manifests.first { $0.isAttestationManifest && $0.attestedDigest == digest }
            if let entry = listed {
                let statement = await statementDigest(of: entry)
                prepared.attestations[digest] = [entry]
                prepared.reports[key] = ProvenanceReport(
                    status: .reused, statement: statement, attestationManifest: entry.digest.description)
                // Without a cosign attestation yet, `sign` attests the stored predicate as it is.
                var predicate: [UInt8]?
                if signed == nil, let layer = await statementLayer(of: entry) { predicate = Self.predicate(of: layer) }
                prepared.toSign.append(.init(tag: key, digest: digest, predicate: predicate, reused: true))
            } else if let signed {
                let attestation: AttestationManifest
                do { attestation = try AttestationManifest(statement: signed, imageDigest: digest) } catch {
                    throw Failure(description: "the existing provenance of \(name) could not be encoded: \(error)")
                }
                try await push(attestation, platform: name)
                prepared.attestations[digest] = [attestation.entry]
                prepared.reports[key] = ProvenanceReport(
                    status: .reused, statement: Digest(of: signed).description,
                    attestationManifest: attestation.entry.digest.description)
                prepared.toSign.append(.init(tag: key, digest: digest, predicate: nil, reused: true))
            } else {
                prepared.reports[key] = ProvenanceReport(
                    status: .missing,
                    problem: "\(name) was reused (resume) and no provenance of \(digest) was found, neither in the "
                        + "list \(target) nor as a cosign attestation; none was made up: rebuild it with --no-resume "
                        + "to get one")
            }
        }
        return prepared
    }

    private func push(_ attestation: AttestationManifest, platform: String) async throws(Failure) {
        do throws(RegistryError) {
            try await attestation.push(into: target, client: client)
        } catch {
            throw Failure(description: "the provenance of \(platform) could not be pushed to \(target): \(error)")
        }
    }

    /// The index the list tag holds now, if any.
    private func existingIndex() async -> ImageIndex? {
        guard let document = try? await client.manifest(target), case .index(let index) = document.content else {
            return nil
        }
        return index
    }

    private func statementLayer(of entry: Descriptor) async -> [UInt8]? {
        guard let document = try? await client.manifest(target.withDigest(entry.digest)),
            case .image(let manifest) = document.content,
            let layer = manifest.layers.first(where: { $0.mediaType == AttestationManifest.inTotoMediaType })
        else { return nil }
        return try? await client.blob(layer.digest, in: target)
    }

    private func statementDigest(of entry: Descriptor) async -> String? {
        guard let document = try? await client.manifest(target.withDigest(entry.digest)),
            case .image(let manifest) = document.content
        else { return nil }
        return manifest.layers.first { $0.mediaType == AttestationManifest.inTotoMediaType }?.digest.description
    }

    /// The SLSA v1 statement cosign attested for `digest` (the payload of a DSSE envelope under
    /// `sha256-HEX.att`), or nil.
    private func signedStatement(of digest: Digest) async -> [UInt8]? {
        guard let document = try? await client.manifest(target.withTag("sha256-\(digest.encoded).att")),
            case .image(let manifest) = document.content
        else { return nil }
        for layer in manifest.layers {
            guard let bytes = try? await client.blob(layer.digest, in: target),
                let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(bytes)),
                let payload = Data(base64Encoded: envelope.payload),
                let statement = try? JSONDecoder().decode(StatementHead.self, from: payload),
                statement.predicateType == ProvenanceStatement.predicateType
            else { continue }
            return Array(payload)
        }
        return nil
    }

    /// The predicate of a statement's bytes, canonical, as `cosign attest --predicate` takes it.
    static func predicate(of statement: [UInt8]) -> [UInt8]? {
        guard let value = try? CanonicalJSON.decode(JSONValue.self, from: statement),
            case .object(let members) = value, let predicate = members["predicate"]
        else { return nil }
        return predicate.canonicalBytes()
    }

    private struct Envelope: Decodable { var payload: String }
    private struct StatementHead: Decodable { var predicateType: String }
}
