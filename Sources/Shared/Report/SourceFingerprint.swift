import Crypto
import Foundation

/// What an image was built from: the build context, the Dockerfile, the build arguments and the
/// platform. It is stored on each per-platform image as the label ``SourceFingerprint/label``, so a
/// re-run can skip a platform whose tag already holds an image built from the same sources.
public struct SourceFingerprint: Hashable, Sendable, CustomStringConvertible {
    /// The image label that carries the fingerprint.
    public static let label = "org.coordinator.source-fingerprint"

    /// `sha256:` and 64 hex digits.
    public let value: String

    /// - Parameters:
    ///   - contextDigest: the digest of the context as shipped (or a git URL and revision).
    ///   - dockerfile: the Dockerfile's bytes.
    ///   - buildArgs: build arguments; order does not matter.
    ///   - platform: the slot's platform.
    ///   - windowsVersion: the slot's Windows release, if any.
    ///   - target: the Dockerfile target stage, if any.
    ///   - labels: `--label`s set on the image; none leaves the fingerprint as it was before labels existed.
    ///   - annotations: `manifest:` annotations on the image manifest; none leaves the fingerprint unchanged.
    ///   - secretIDs: the ids of the build secrets (never their values); none leaves the fingerprint unchanged.
    public init(
        contextDigest: String, dockerfile: [UInt8], buildArgs: [String: String], platform: Platform,
        windowsVersion: WindowsVersion?, target: String? = nil, labels: [String: String] = [:],
        annotations: [String: String] = [:], secretIDs: [String] = []
    ) {
        var hasher = SHA256()
        func field(_ name: String, _ bytes: some Sequence<UInt8>) {
            let data = Array(bytes)
            // Length-prefixed fields: no two different inputs hash the same stream.
            hasher.update(data: Array("\(name):\(data.count):".utf8))
            hasher.update(data: data)
        }
        field("version", "1".utf8)
        field("context", contextDigest.utf8)
        field("dockerfile", SHA256.hash(data: dockerfile).hexString.utf8)
        for key in buildArgs.keys.sorted() {
            field("arg", key.utf8)
            field("value", buildArgs[key]!.utf8)
        }
        field("platform", platform.description.utf8)
        field("windows", (windowsVersion?.build ?? "").utf8)
        field("target", (target ?? "").utf8)
        for key in labels.keys.sorted() {
            field("label", key.utf8)
            field("label-value", labels[key]!.utf8)
        }
        for key in annotations.keys.sorted() {
            field("annotation", key.utf8)
            field("annotation-value", annotations[key]!.utf8)
        }
        // Secrets by id only: a hash of a value in a pushed label could be guessed.
        for id in secretIDs.sorted() {
            field("secret", id.utf8)
        }
        value = "sha256:" + hasher.finalize().hexString
    }

    public var description: String { value }
}

extension Sequence where Element == UInt8 {
    /// Lowercase hexadecimal.
    var hexString: String {
        map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }
}
