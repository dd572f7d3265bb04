/// The platform part of an image configuration (OCI or Docker), which says what the image really is.
///
/// Only the fields that identify a platform are decoded; the rest of the document is ignored.
public struct ImageConfiguration: Codable, Hashable, Sendable {
    /// CPU architecture the binaries are built for.
    public var architecture: String
    /// Operating system.
    public var os: String
    /// Operating system version (set on Windows images).
    public var osVersion: String?
    /// Required operating system features.
    public var osFeatures: [String]?
    /// CPU variant.
    public var variant: String?

    enum CodingKeys: String, CodingKey {
        case architecture, os, variant
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    /// Creates a configuration.
    public init(architecture: String, os: String, osVersion: String? = nil, osFeatures: [String]? = nil,
                variant: String? = nil) {
        self.architecture = architecture
        self.os = os
        self.osVersion = osVersion
        self.osFeatures = osFeatures
        self.variant = variant
    }

    /// The platform this configuration describes, for an index entry.
    public var platform: ImagePlatform {
        ImagePlatform(
            architecture: architecture, os: os, osVersion: osVersion.flatMap { $0.isEmpty ? nil : $0 },
            osFeatures: osFeatures.flatMap { $0.isEmpty ? nil : $0 }, variant: variant.flatMap { $0.isEmpty ? nil : $0 })
    }
}
