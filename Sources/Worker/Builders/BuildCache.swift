import Shared

/// A platform's own place in a registry cache (`--cache registry`), so that platforms never overwrite each
/// other's cache and a standby host builds warm. Each builder uses it as it can:
///
/// - buildx with a driver that exports registry caches: `--cache-to type=registry,ref=REF,mode=max` and
///   `--cache-from type=registry,ref=REF`;
/// - buildx's `docker` driver with the classic image store, which exports only inline cache (the final image's
///   layers, `mode=min`): the image is also pushed as `REF` with inline cache metadata and used as
///   `--cache-from`;
/// - buildah and podman, whose `--cache-to` takes a repository and tags cache layers by content:
///   `--layers --cache-to REPO --cache-from REPO`;
/// - classic `docker build`: none.
public struct BuildCache: Sendable, Hashable {
    /// `CACHE-REPO:OS[-WINVER]-ARCH[-VARIANT]` for buildx.
    public var reference: String
    /// `CACHE-REPO/OS[-WINVER]-ARCH[-VARIANT]` for buildah and podman.
    public var repository: String
    /// Whether the cache is imported; `--no-cache` imports nothing but still exports.
    public var importing: Bool

    /// The cache place of `platform` under `cacheRepository`.
    public init(cacheRepository: String, platform: Platform, windowsVersion: WindowsVersion?, importing: Bool) {
        let place = platform.tagSuffix(windowsVersion: windowsVersion)
        reference = cacheRepository + ":" + place
        repository = cacheRepository + "/" + place
        self.importing = importing
    }

    /// What a builder kind (and, for buildx, its driver) can do with a registry cache: `registry (mode=max)`,
    /// `inline (final stage only)`, `registry (layers)` or `none`.
    public static func mode(for builder: BuilderKind, buildxDriver: String?) -> String {
        switch builder {
        case .buildx: buildxDriver == nil || buildxDriver == "docker" ? "inline (final stage only)" : "registry (mode=max)"
        case .buildah, .podman: "registry (layers)"
        case .docker: "none"
        }
    }

    /// buildx's flags for this cache, given the driver the probe found; `extraTags` are pushed with the image.
    func buildxFlags(driver: String?) -> (flags: [String], extraTags: [String]) {
        let importFlags = importing ? ["--cache-from", "type=registry,ref=\(reference)"] : []
        if driver == nil || driver == "docker" {
            return (["--cache-to", "type=inline"] + importFlags, [reference])
        }
        return (["--cache-to", "type=registry,ref=\(reference),mode=max"] + importFlags, [])
    }

    /// buildah's and podman's flags for this cache.
    var buildahFlags: [String] {
        ["--layers", "--cache-to", repository] + (importing ? ["--cache-from", repository] : [])
    }
}
