import Foundation
import Shared
import Worker

extension Release {
    /// What `--provenance attach|sign` adds to the list's assembly, and the signer to clean up afterwards.
    struct ProvenanceStep: Sendable {
        var options: ManifestAssembler.Options
        var signer: ReleaseSigner?
    }

    /// Attaches each platform's provenance (made here for the built ones, found again for the resumed ones) and,
    /// with `sign`, signs and attests every platform image; the list itself is signed and everything verified in
    /// ``ManifestAssembler/Options/beforeTagging``, after its push by digest and before any tag moves. Records
    /// what it did in `report`, also when it fails.
    func prepareProvenance(
        _ platforms: [PlatformReport], facts: [String: BuildHostFacts], sources: ReleaseSources,
        client: RegistryClient, options: ManifestAssembler.Options, report: inout BuildReport
    ) async throws(AssemblyError) -> ProvenanceStep {
        var options = options
        guard request.provenance != .none else { return ProvenanceStep(options: options, signer: nil) }
        report.provenance = request.provenance.rawValue
        let target: ImageReference
        do { target = try ImageReference(parsing: request.plan.target.listReference) } catch {
            throw .pushFailed(target: ImageReference(registry: "", repository: ""), reason: "\(error)")
        }
        let slots = Dictionary(request.plan.assignments.map { ($0.slot.reference, $0.slot) }) { first, _ in first }
        let inputs = platforms.compactMap { platform -> ReleaseProvenance.Input? in
            guard let slot = slots[platform.tag] else { return nil }
            return ReleaseProvenance.Input(
                report: platform, facts: facts[platform.tag], dockerfile: request.dockerfile(for: slot),
                buildTarget: request.target(for: slot), tags: [platform.tag])
        }
        let prepared: ReleaseProvenance.Prepared
        do throws(ReleaseProvenance.Failure) {
            prepared = try await ReleaseProvenance(client: client, target: target)
                .prepare(inputs, release: releaseFacts(sources))
        } catch {
            throw .pushFailed(target: target, reason: error.description)
        }
        record(prepared.reports, into: &report)
        options.attestations = prepared.attestations
        guard request.provenance == .sign, let settings = request.cosign else {
            return ProvenanceStep(options: options, signer: nil)
        }
        let missing = prepared.reports.filter { $0.value.status == .missing }.keys.sorted()
        if !missing.isEmpty {
            throw .notSigned(target: target, reason: "no provenance was found for the reused "
                + "\(missing.joined(separator: ", ")), and none is made up for an image this run did not build; "
                + "rebuild with --no-resume to sign and attest it")
        }
        let signer: ReleaseSigner
        do throws(ReleaseSigner.Failure) {
            signer = try ReleaseSigner(settings: settings, client: client, repository: target)
            do throws(ReleaseSigner.Failure) {
                try await signer.signPlatforms(prepared.toSign, reports: prepared.reports)
            } catch {
                record(await signer.results, into: &report)
                await signer.cleanUp()
                throw error
            }
        } catch {
            throw .notSigned(target: target, reason: error.description)
        }
        record(await signer.results, into: &report)
        let toSign = prepared.toSign
        options.beforeTagging = { digest in try await signer.signAndVerify(list: digest, platforms: toSign) }
        return ProvenanceStep(options: options, signer: signer)
    }

    /// Copies the signer's final state into the report.
    func finishSigning(_ signer: ReleaseSigner?, report: inout BuildReport) async {
        guard let signer else { return }
        record(await signer.results, into: &report)
        report.listSignature = await signer.listSignature
        report.signaturesVerified = await signer.verified
        await signer.cleanUp()
    }

    private func record(_ reports: [String: ProvenanceReport], into report: inout BuildReport) {
        for index in report.platforms.indices {
            if let provenance = reports[report.platforms[index].tag] {
                report.platforms[index].provenance = provenance
            }
        }
    }

    /// The facts every statement of this release shares.
    private func releaseFacts(_ sources: ReleaseSources) -> ReleaseFacts {
        var facts = ReleaseFacts(
            image: request.plan.target.image, invocationID: invocationID,
            buildArgs: Dictionary(request.buildArguments.map { ($0.name, $0.value) }) { _, last in last },
            labels: request.labels, secretIDs: request.secrets.map(\.id), dockerfiles: sources.sourceDigests)
        if request.isGitContext {
            facts.gitSource = GitContextURL(parsing: request.contextPath).repositoryWithoutCredentials
            facts.gitRevision = sources.pinnedGit.values.first?.ref
        }
        return facts
    }
}
