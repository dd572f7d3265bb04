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

/// `--windows-version`: a Windows Server release (`ltsc2022`, `2022`) or a build number (`10.0.20348[.N]`).
enum WindowsBuildArgument {
    /// The build to put in `os.version`: a release's `major.minor.build`, or a numeric build as given (also
    /// builds of releases ``WindowsVersion`` does not name, such as annual-channel ones).
    static func build(_ text: String) throws(ManifestArgumentError) -> String {
        if let release = WindowsVersion(parsing: text) {
            let parts = text.split(separator: ".")
            return parts.count == 4 ? text : release.build
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (3...4).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else {
            let known = WindowsVersion.allCases.map { "\($0.rawValue) (\($0.build))" }.joined(separator: ", ")
            throw ManifestArgumentError(
                description: "--windows-version `\(text)` is not a Windows version: use \(known), or a build number")
        }
        return text
    }
}
