/// A container platform: operating system, CPU architecture and optional variant, as in the OCI
/// image index (`linux/arm64`, `linux/arm/v7`, `windows/amd64`).
///
/// Values are always normalised (see ``Platform/init(parsing:)``), so two platforms that name the
/// same thing compare equal.
public struct Platform: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Operating system, as in GOOS: `linux`, `windows`, ...
    public let os: String
    /// Architecture, as in GOARCH: `amd64`, `arm64`, `arm`, ...
    public let architecture: String
    /// Variant, e.g. `v7` for `arm`, `v8` when given for `arm64`.
    public let variant: String?

    /// Creates a platform from parts that are already normalised.
    public init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    public static let linuxAMD64 = Platform(os: "linux", architecture: "amd64")
    public static let linuxARM64 = Platform(os: "linux", architecture: "arm64")
    public static let windowsAMD64 = Platform(os: "windows", architecture: "amd64")

    /// `os/architecture[/variant]`, the form `--platform` takes.
    public var description: String {
        [os, architecture, variant].compactMap { $0 }.joined(separator: "/")
    }

    /// Whether this is a Windows platform (whose images carry an `os.version`).
    public var isWindows: Bool { os == "windows" }

    public static func < (lhs: Platform, rhs: Platform) -> Bool {
        lhs.description < rhs.description
    }
}

extension Platform: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try Platform(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
