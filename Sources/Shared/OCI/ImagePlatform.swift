/// The `platform` of an index entry: what a runtime matches against its own platform.
///
/// `os.version` matters on Windows: a Windows node pulls the entry whose build matches its own.
public struct ImagePlatform: Codable, Hashable, Sendable {
    /// CPU architecture in Go's spelling (`amd64`, `arm64`, `arm`, ...).
    public var architecture: String
    /// Operating system in Go's spelling (`linux`, `windows`).
    public var os: String
    /// Operating system version, e.g. `10.0.20348.2527` on Windows.
    public var osVersion: String?
    /// Required operating system features, e.g. `win32k`.
    public var osFeatures: [String]?
    /// CPU variant, e.g. `v8` or `v7`.
    public var variant: String?
    /// Reserved by the OCI specification.
    public var features: [String]?

    enum CodingKeys: String, CodingKey {
        case architecture, os, variant, features
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    /// Creates a platform.
    public init(
        architecture: String, os: String, osVersion: String? = nil, osFeatures: [String]? = nil,
        variant: String? = nil, features: [String]? = nil
    ) {
        self.architecture = architecture
        self.os = os
        self.osVersion = osVersion
        self.osFeatures = osFeatures
        self.variant = variant
        self.features = features
    }

    /// `os/architecture[/variant]`, the way Docker prints a platform.
    public var shortDescription: String {
        [os, architecture, variant].compactMap { $0 }.joined(separator: "/")
    }

    /// Whether this is the `unknown/unknown` platform buildx gives attestation manifests.
    public var isUnknown: Bool { os == "unknown" && architecture == "unknown" }
}
