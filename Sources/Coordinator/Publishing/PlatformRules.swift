import Shared

/// How platforms from image configurations are normalised and compared with what a slot expects.
///
/// Architectures use Go's names (`aarch64` → `arm64`, `x86_64` → `amd64`); a missing variant means the default
/// one (`arm64` = `v8`, `arm` = `v7`, `amd64` = `v1`), as containerd normalises them.
enum PlatformRules {
    /// The platform of an index entry for an image whose configuration is `config`: os, architecture, variant,
    /// `os.features` from the configuration; `os.version` from it, else (Windows) from the host's known build.
    static func entryPlatform(config: ImageConfiguration, slot: ManifestSlot) throws(AssemblyError) -> ImagePlatform {
        var platform = config.platform
        platform.architecture = normalizedArchitecture(platform.architecture)
        platform.os = platform.os.lowercased()
        guard platform.os == "windows" else { return platform }
        switch (platform.osVersion, slot.hostWindowsVersion) {
        case (let image?, let host?) where windowsBuild(image) != windowsBuild(host):
            throw .windowsVersionMismatch(source: slot.source, host: host, image: image)
        case (nil, let host?):
            platform.osVersion = host
        case (nil, nil):
            throw .missingWindowsVersion(source: slot.source)
        default:
            break
        }
        return platform
    }

    /// Whether `actual` is the platform `expected` names.
    static func matches(_ actual: ImagePlatform, expected: Platform) -> Bool {
        let architecture = normalizedArchitecture(expected.architecture)
        return actual.os.lowercased() == expected.os.lowercased()
            && normalizedArchitecture(actual.architecture) == architecture
            && canonicalVariant(actual.variant, architecture: architecture)
                == canonicalVariant(expected.variant, architecture: architecture)
    }

    /// What makes two entries the same platform to a runtime: os, architecture, variant, and on Windows the
    /// build in `os.version` (a Windows node picks the entry whose build matches its own).
    static func identity(_ platform: ImagePlatform) -> String {
        let architecture = normalizedArchitecture(platform.architecture)
        var text = "\(platform.os.lowercased())/\(architecture)"
        if let variant = canonicalVariant(platform.variant, architecture: architecture) { text += "/\(variant)" }
        if platform.os.lowercased() == "windows", let version = platform.osVersion { text += " \(windowsBuild(version))" }
        return text
    }

    /// `os/architecture[/variant]` plus `os.version` when set, for messages and tables.
    static func describe(_ platform: ImagePlatform) -> String {
        platform.shortDescription + (platform.osVersion.map { " (os.version \($0))" } ?? "")
    }

    /// `10.0.20348.2527` → `10.0.20348`: the part a Windows node matches.
    static func windowsBuild(_ version: String) -> String {
        version.split(separator: ".").prefix(3).joined(separator: ".")
    }

    static func normalizedArchitecture(_ architecture: String) -> String {
        switch architecture.lowercased() {
        case "aarch64": "arm64"
        case "x86_64", "x86-64": "amd64"
        case "armhf", "armel", "armv7l": "arm"
        case let other: other
        }
    }

    /// The variant with defaults removed (`arm64/v8` → none, `amd64/v1` → none) and supplied (`arm` → `v7`).
    static func canonicalVariant(_ variant: String?, architecture: String) -> String? {
        let value = variant?.lowercased()
        switch (architecture, value) {
        case ("arm64", "v8"), ("arm64", "8"), ("amd64", "v1"): return nil
        case ("arm", nil), ("arm", ""): return "v7"
        case (_, ""): return nil
        default: return value
        }
    }
}
