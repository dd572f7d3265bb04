import Shared

/// Why a list was not assembled or not pushed. Every case names the image it is about and how to fix it.
enum AssemblyError: Error, CustomStringConvertible, Sendable {
    case noSources
    case targetHasDigest(ImageReference)
    case childMissing(source: ImageReference, reason: String)
    case childUnreadable(source: ImageReference, reason: String)
    case notAnImage(source: ImageReference, reason: String)
    case platformMismatch(source: ImageReference, expected: String, actual: String)
    case duplicatePlatform(platform: String, sources: [ImageReference])
    case indexLacksPlatform(source: ImageReference, expected: String, available: [String])
    case ambiguousIndex(source: ImageReference, available: [String])
    case missingWindowsVersion(source: ImageReference)
    case windowsVersionMismatch(source: ImageReference, host: String, image: String)
    case crossRepositoryRefused(source: ImageReference, target: ImageReference)
    case crossRegistry(source: ImageReference, target: ImageReference)
    case copyFailed(source: ImageReference, target: ImageReference, reason: String)
    case refused([AssemblyError])
    case pushFailed(target: ImageReference, reason: String)
    case verificationFailed(target: ImageReference, reason: String)
    /// `--provenance sign`: the list (pushed by digest only) or an image could not be signed or verified, so no
    /// tag was pointed at the list.
    case notSigned(target: ImageReference, reason: String)
    /// `--list-format docker` for children a Docker manifest list cannot hold.
    case dockerListImpossible(source: ImageReference, mediaType: String)

    var description: String {
        switch self {
        case .noSources:
            return "no per-platform images were given: pass at least one SOURCE (e.g. linux/arm64=REPO:v1-linux-arm64)"
        case .targetHasDigest(let target):
            return "the target \(target) has a digest: a list is pushed to a tag, e.g. REGISTRY/REPO:v1"
        case .childMissing(let source, let reason):
            return "\(source) does not exist (\(reason)): push it first or fix the tag or digest"
        case .childUnreadable(let source, let reason):
            return "\(source) could not be read: \(reason)"
        case .notAnImage(let source, let reason):
            return "\(source) is not a container image: \(reason)"
        case .platformMismatch(let source, let expected, let actual):
            return "\(source) was given as \(expected) but its image config says \(actual): "
                + "rebuild it for \(expected) or give it as \(actual)"
        case .duplicatePlatform(let platform, let sources):
            return "\(sources.map(\.description).joined(separator: " and ")) are both \(platform): "
                + "a list has one entry per platform, so drop one of them"
        case .indexLacksPlatform(let source, let expected, let available):
            return "\(source) is an index without a \(expected) image (it has \(available.joined(separator: ", ")))"
        case .ambiguousIndex(let source, let available):
            return "\(source) is an index with several images (\(available.joined(separator: ", "))): "
                + "say which one, e.g. \(available.first ?? "linux/amd64")=\(source)"
        case .missingWindowsVersion(let source):
            return "\(source) is a Windows image whose config has no os.version, and no host Windows version was "
                + "given: pass --windows-version (ltsc2019, ltsc2022, ltsc2025 or a build like 10.0.20348)"
        case .windowsVersionMismatch(let source, let host, let image):
            return "\(source) has os.version \(image) in its config but was built for Windows \(host): "
                + "it would be pulled by the wrong Windows nodes; rebuild it on or for \(host)"
        case .crossRepositoryRefused(let source, let target):
            return "\(source) is not in \(target.registry)/\(target.repository), and a list may only point to "
                + "manifests in its own repository: push it there or allow copying (without --no-cross-repository)"
        case .crossRegistry(let source, let target):
            return "\(source) is on another registry than \(target): copy it to \(target.registry) first "
                + "(e.g. `skopeo copy --all`), then list it from there"
        case .copyFailed(let source, let target, let reason):
            return "\(source) could not be copied into \(target.registry)/\(target.repository): \(reason)"
        case .refused(let errors):
            let lines = errors.map { "  - \($0.description)" }.joined(separator: "\n")
            return "\(errors.count) of the images cannot go into the list, nothing was pushed:\n\(lines)"
        case .pushFailed(let target, let reason):
            return "pushing the list to \(target) failed: \(reason)"
        case .verificationFailed(let target, let reason):
            return "the list pushed to \(target) did not read back as pushed: \(reason)"
        case .notSigned(let target, let reason):
            return "no tag of \(target) was moved (the list is at most pushed by digest, unsigned): \(reason)"
        case .dockerListImpossible(let source, let mediaType):
            return "\(source) is \(mediaType), which a Docker manifest list cannot hold (nor its attestations): "
                + "use --list-format oci or auto"
        }
    }
}
