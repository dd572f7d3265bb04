import Shared

/// What to build: the image repository, the version, and the platform slots.
struct BuildTarget: Hashable, Sendable {
    /// `REGISTRY/REPO` without a tag, e.g. `registry.example.com/velero/velero`.
    var image: String
    /// The version tag of the list; per-platform tags derive from it.
    var version: String
    /// The platforms, in the order requested.
    var platforms: [Platform]
    /// The Windows releases each Windows platform is built for.
    var windowsVersions: [WindowsVersion]

    /// One slot per Linux platform, and one per Windows platform and Windows release.
    var slots: [BuildSlot] {
        platforms.flatMap { platform in
            platform.isWindows
                ? windowsVersions.map { BuildSlot(platform: platform, windowsVersion: $0, image: image, version: version) }
                : [BuildSlot(platform: platform, windowsVersion: nil, image: image, version: version)]
        }
    }

    /// `image:version`, where the list goes.
    var listReference: String { "\(image):\(version)" }

    /// The repository part after the registry (`velero/velero`), used as Velero's `BIN` when no
    /// other is given: its last component.
    var bin: String { String(image.split(separator: "/").last ?? Substring(image)) }
}

/// One entry of the manifest list: a platform (and Windows release) and its per-platform tag.
struct BuildSlot: Hashable, Sendable, CustomStringConvertible {
    var platform: Platform
    var windowsVersion: WindowsVersion?
    var image: String
    var version: String

    /// `VERSION-linux-arm64` / `VERSION-windows-ltsc2022-amd64`.
    var tag: String { platform.tag(version: version, windowsVersion: windowsVersion) }

    /// `image:tag`.
    var reference: String { "\(image):\(tag)" }

    /// `linux/arm64` or `windows/amd64 (ltsc2022)`.
    var description: String {
        guard let windowsVersion else { return platform.description }
        return "\(platform) (\(windowsVersion))"
    }
}
