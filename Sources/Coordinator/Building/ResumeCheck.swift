import Foundation
import Shared

/// Resume: a per-platform tag that already holds an image labelled with this slot's source
/// fingerprint need not be built again, so an interrupted release finishes by building only what is
/// missing.
struct ResumeCheck: Sendable {
    let client: RegistryClient

    /// What the tag already holds, when it was built from the same sources.
    struct Existing: Sendable {
        var digest: String
        var mediaType: String
        var size: Int
    }

    /// What each of `slots` already holds, when built from the same sources; the registry is asked about
    /// every slot at once.
    func existing(_ slots: [BuildSlot], fingerprints: [BuildSlot: SourceFingerprint]) async -> [BuildSlot: Existing] {
        await withTaskGroup(of: (BuildSlot, Existing?).self) { group in
            for slot in slots {
                guard let fingerprint = fingerprints[slot] else { continue }
                group.addTask { (slot, await existing(slot, fingerprint: fingerprint)) }
            }
            var found: [BuildSlot: Existing] = [:]
            for await (slot, existing) in group {
                found[slot] = existing
            }
            return found
        }
    }

    func existing(_ slot: BuildSlot, fingerprint: SourceFingerprint) async -> Existing? {
        guard let reference = try? ImageReference(parsing: slot.reference),
            let document = try? await client.manifest(reference),
            case .image(let manifest) = document.content,
            let configBytes = try? await client.blob(manifest.config.digest, in: reference),
            let config = try? JSONDecoder().decode(LabelledConfig.self, from: Data(configBytes)),
            config.config?.labels?[SourceFingerprint.label] == fingerprint.value
        else { return nil }
        return Existing(digest: document.digest.description, mediaType: document.kind.mediaType, size: document.bytes.count)
    }

    /// The part of an image config that holds labels.
    private struct LabelledConfig: Decodable {
        struct Inner: Decodable {
            var labels: [String: String]?
            enum CodingKeys: String, CodingKey { case labels = "Labels" }
        }
        var config: Inner?
    }
}
