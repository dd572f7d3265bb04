import Foundation

/// A Windows Server release that container images target. A Windows node pulls the list entry
/// whose `os.version` build matches its own, so every Windows entry names one.
public enum WindowsVersion: String, CaseIterable, Hashable, Sendable, Codable, CustomStringConvertible {
    case ltsc2019
    case ltsc2022
    case ltsc2025

    /// The release the Velero design defaults to (`BUILD_WINDOWS_VERSION`).
    public static let `default` = WindowsVersion.ltsc2022

    /// `major.minor.build` of the release, e.g. `10.0.20348` for ltsc2022.
    public var build: String {
        switch self {
        case .ltsc2019: "10.0.17763"
        case .ltsc2022: "10.0.20348"
        case .ltsc2025: "10.0.26100"
        }
    }

    public var description: String { rawValue }

    /// Parses `ltsc2022`, `2022` or a build number such as `10.0.20348` / `10.0.20348.2322`.
    public init?(parsing text: String) {
        let lowered = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let exact = WindowsVersion(rawValue: lowered) {
            self = exact
        } else if let year = WindowsVersion(rawValue: "ltsc" + lowered) {
            self = year
        } else if let byBuild = WindowsVersion(build: lowered) {
            self = byBuild
        } else {
            return nil
        }
    }

    /// The release whose build number `10.0.N` starts `osVersion` (`10.0.20348.2322` → ltsc2022).
    public init?(build osVersion: String) {
        let parts = osVersion.split(separator: ".")
        guard parts.count >= 3 else { return nil }
        let prefix = parts.prefix(3).joined(separator: ".")
        guard let match = WindowsVersion.allCases.first(where: { $0.build == prefix }) else { return nil }
        self = match
    }

    /// Parses a comma-separated list (`ltsc2019,ltsc2022`), keeping order and dropping duplicates.
    public static func parseList(_ text: String) -> Result<[WindowsVersion], WindowsVersionError> {
        var result: [WindowsVersion] = []
        for item in text.split(separator: ",") {
            let trimmed = item.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let version = WindowsVersion(parsing: trimmed) else {
                return .failure(WindowsVersionError(text: trimmed))
            }
            if !result.contains(version) { result.append(version) }
        }
        return .success(result)
    }
}

/// A Windows version string that names no known release.
public struct WindowsVersionError: Error, Hashable, Sendable, CustomStringConvertible {
    public let text: String
    public var description: String {
        let known = WindowsVersion.allCases.map { "\($0.rawValue) (\($0.build))" }.joined(separator: ", ")
        var message = "\(MessageText.quoted(text)) is not a Windows version; known: \(known)"
        if let close = closestMatch(
            to: text.lowercased(), among: WindowsVersion.allCases.map(\.rawValue), maximumDistance: 3)
        {
            message += "; did you mean \(close)?"
        }
        return message
    }
}
