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
