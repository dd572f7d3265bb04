import Shared

/// A `manifest create` SOURCE: `[PLATFORM=]REFERENCE`, where REFERENCE is a full image reference or, relative to
/// the target repository, `:TAG` or `@sha256:…`.
struct ManifestSourceArgument: Sendable, Hashable {
    var platform: Platform?
    var reference: ImageReference

    /// Parses `text`, resolving `:TAG` and `@DIGEST` against `target`.
    init(parsing text: String, target: ImageReference) throws(ManifestArgumentError) {
        var referenceText = Substring(text)
        if let equals = text.firstIndex(of: "=") {
            let platformText = String(text[..<equals])
            do throws(PlatformError) {
                platform = try Platform(parsing: platformText)
            } catch {
                throw ManifestArgumentError(description: "SOURCE `\(text)`: \(error)")
            }
            referenceText = text[text.index(after: equals)...]
        }
        do throws(ImageReferenceError) {
            if referenceText.hasPrefix(":") || referenceText.hasPrefix("@") {
                let base = "\(target.registry)/\(target.repository)"
                reference = try ImageReference(parsing: base + referenceText)
            } else {
                reference = try ImageReference(parsing: String(referenceText))
            }
        } catch {
            throw ManifestArgumentError(description: "SOURCE `\(text)`: \(error)")
        }
    }
}

/// A `manifest` argument that cannot be used.
struct ManifestArgumentError: Error, CustomStringConvertible {
    let description: String
}

/// `--windows-version`: a Windows Server release name or a build number.
enum WindowsBuildArgument {
    /// Windows Server LTSC releases and their builds.
    static let releases = ["ltsc2019": "10.0.17763", "ltsc2022": "10.0.20348", "ltsc2025": "10.0.26100"]

    /// `ltsc2022` → `10.0.20348`; `10.0.20348[.N]` as given.
    static func build(_ text: String) throws(ManifestArgumentError) -> String {
        if let build = releases[text.lowercased()] { return build }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (3...4).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else {
            throw ManifestArgumentError(
                description: "--windows-version `\(text)`: use ltsc2019, ltsc2022, ltsc2025 or a build like 10.0.20348")
        }
        return text
    }
}
