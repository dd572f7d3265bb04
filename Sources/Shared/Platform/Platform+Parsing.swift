import Foundation

/// Why a platform string was refused.
public struct PlatformError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The text that was given.
    public let text: String
    /// A known platform close to the text, if any.
    public let suggestion: String?
    /// What is wrong with it.
    public let reason: String

    public var description: String {
        var message = "\(MessageText.quoted(text)) is not a platform: \(reason)"
        if let suggestion { message += "; did you mean \(suggestion)?" }
        return message
    }
}

extension Platform {
    /// Operating systems the coordinator builds for.
    public static let knownOperatingSystems = ["linux", "windows", "freebsd"]

    /// Architectures it knows, in GOARCH spelling.
    public static let knownArchitectures = [
        "amd64", "arm64", "arm", "386", "ppc64le", "ppc64", "s390x", "riscv64", "mips64le", "mips64", "mipsle",
        "mips", "loong64",
    ]

    /// Platforms used for suggestions when a string is not recognised.
    static let commonPlatforms = [
        "linux/amd64", "linux/arm64", "linux/arm/v7", "linux/arm/v6", "linux/386", "linux/ppc64le",
        "linux/s390x", "linux/riscv64", "windows/amd64", "windows/arm64",
    ]

    /// Architecture spellings from `uname -m`, Windows `PROCESSOR_ARCHITECTURE` and elsewhere,
    /// mapped to GOARCH plus the variant they imply. (A `switch`, not a dictionary of tuples: that dictionary's
    /// metadata is built at run time, with a scan of every conformance in the binary, on every process's first parse.)
    static func architectureAlias(_ name: String) -> (architecture: String, variant: String?)? {
        switch name {
        case "x86_64", "x86-64", "x64": ("amd64", nil)
        case "aarch64", "armv8", "armv8l": ("arm64", nil)
        case "armv7l", "armv7", "armhf": ("arm", "v7")
        case "armv6l", "armv6", "armel": ("arm", "v6")
        case "i386", "i686", "x86": ("386", nil)
        case "ppc64el": ("ppc64le", nil)
        default: nil
        }
    }

    /// Parses `os/arch[/variant]`, normalising the spelling: `aarch64` → `arm64`, `x86_64` → `amd64`,
    /// `armv7l` → `arm/v7`, a bare `arm` → `arm/v7`; `arm64/v8` keeps its variant. Case is ignored.
    public init(parsing text: String) throws(PlatformError) {
        let parts = text.lowercased().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            throw PlatformError(
                text: text, suggestion: Platform.suggestion(for: text),
                reason: "expected OS/ARCH or OS/ARCH/VARIANT, e.g. linux/arm64")
        }
        let os = parts[0]
        guard Platform.knownOperatingSystems.contains(os) else {
            throw PlatformError(
                text: text, suggestion: Platform.suggestion(for: text),
                reason: "unknown OS \(MessageText.quoted(os)) "
                    + "(known: \(Platform.knownOperatingSystems.joined(separator: ", ")))")
        }
        var architecture = parts[1]
        var variant = parts.count == 3 ? parts[2] : nil
        if let alias = Platform.architectureAlias(architecture) {
            architecture = alias.architecture
            if variant == nil { variant = alias.variant }
        }
        guard Platform.knownArchitectures.contains(architecture) else {
            throw PlatformError(
                text: text, suggestion: Platform.suggestion(for: text),
                reason: "unknown architecture \(MessageText.quoted(parts[1]))")
        }
        if architecture == "arm", variant == nil { variant = "v7" }
        if let variant {
            guard Platform.validVariants(for: architecture).contains(variant) else {
                throw PlatformError(
                    text: text, suggestion: Platform.suggestion(for: text),
                    reason: "\(MessageText.quoted(variant)) is not a variant of \(architecture)")
            }
        }
        self.init(os: os, architecture: architecture, variant: variant)
    }

    /// Parses the architecture a host reports (`uname -m`, `PROCESSOR_ARCHITECTURE`) for `os`.
    public init(os: String, reportedArchitecture: String) throws(PlatformError) {
        let raw = reportedArchitecture.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        try self.init(parsing: "\(os.lowercased())/\(raw)")
    }

    /// Parses a comma-separated list such as `linux/amd64,linux/arm64`, dropping duplicates and
    /// keeping the order given. Two names for what builders treat as one platform (`linux/arm64` and
    /// `linux/arm64/v8`) are refused: see ``checkDistinctForBuilders(_:)``.
    public static func parseList(_ text: String) throws(PlatformError) -> [Platform] {
        var result: [Platform] = []
        for item in text.split(separator: ",") {
            let trimmed = item.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            let platform = try Platform(parsing: trimmed)
            if !result.contains(platform) { result.append(platform) }
        }
        try checkDistinctForBuilders(result)
        return result
    }

    /// The platform as BuildKit and containerd name the image they build: they drop a default variant
    /// (`arm64/v8` is `arm64`, `amd64/v1` is `amd64`).
    public var builderCanonical: Platform {
        switch (architecture, variant) {
        case ("arm64", "v8"), ("amd64", "v1"): Platform(os: os, architecture: architecture, variant: nil)
        default: self
        }
    }

    /// Refuses a list in which two entries are one platform to the builders (`linux/arm64` and
    /// `linux/arm64/v8`): both images would say `linux/arm64`, and a list cannot hold two children for
    /// one platform, so the release would fail only after building both.
    public static func checkDistinctForBuilders(_ platforms: [Platform]) throws(PlatformError) {
        var seen: [Platform: Platform] = [:]
        for platform in platforms {
            if let earlier = seen[platform.builderCanonical] {
                throw PlatformError(
                    text: platform.description, suggestion: nil,
                    reason: "it is the same platform as \(earlier) to BuildKit and containerd (they drop the default "
                        + "variant and push both as \(platform.builderCanonical)); request only one of them")
            }
            seen[platform.builderCanonical] = platform
        }
    }

    static func validVariants(for architecture: String) -> [String] {
        switch architecture {
        case "arm": ["v5", "v6", "v7", "v8"]
        case "arm64": ["v8", "v8.1", "v8.2", "v9"]
        case "amd64": ["v1", "v2", "v3", "v4"]
        default: []
        }
    }

    static func suggestion(for text: String) -> String? {
        closestMatch(to: text.lowercased(), among: commonPlatforms, maximumDistance: 3)
    }
}
