import Shared

/// One entry of a list to be assembled: the platform it must be and where its per-platform image is.
struct ManifestSlot: Sendable, Hashable {
    /// The platform the image must be; `nil` takes whatever its configuration says.
    var expected: Platform?
    /// The per-platform image: a tag or a worker-reported digest.
    var source: ImageReference
    /// The Windows build of the host that built it (e.g. `10.0.20348`), used when a Windows image's
    /// configuration has no `os.version`.
    var hostWindowsVersion: String?

    init(expected: Platform? = nil, source: ImageReference, hostWindowsVersion: String? = nil) {
        self.expected = expected
        self.source = source
        self.hostWindowsVersion = hostWindowsVersion
    }
}

extension ManifestSlot {
    /// The slot of a platform image a build pushed: `tag` at `digest`, expected to be `platform` (as the report
    /// writes it), on a host of `windowsVersion` (its name, e.g. `ltsc2022`); nil when either does not parse.
    init?(tag: String, digest: String?, platform: String, windowsVersion: String?) {
        guard let reference = try? ImageReference(parsing: tag), let digest = try? Digest(parsing: digest ?? "") else {
            return nil
        }
        self.init(
            expected: try? Platform(parsing: platform), source: reference.withDigest(digest),
            hostWindowsVersion: windowsVersion.flatMap { WindowsVersion(parsing: $0)?.build })
    }
}
