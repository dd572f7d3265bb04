import Shared

/// One `--build-arg NAME=VALUE`. The value is passed literally, whatever it contains.
public struct BuildArgument: Sendable, Hashable {
    /// The `ARG` name.
    public var name: String
    /// The value.
    public var value: String

    /// Creates a build argument.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// `NAME=VALUE`, as the builders take it.
    var assignment: String { name + "=" + value }
}

/// Where a build's image goes.
public enum BuildOutput: Sendable, Hashable {
    /// Pushed to the registry under the request's tag.
    case registry
    /// Written by the host as an image archive and fetched back.
    case tarball(TarballFormat)
}

/// The image archive formats.
public enum TarballFormat: String, Sendable, Hashable, CaseIterable {
    /// `docker save` layout (`manifest.json`), read by `docker load` and `skopeo … docker-archive:`.
    case docker
    /// OCI image layout in a tar (`index.json`), read by `skopeo … oci-archive:`.
    case oci
}

/// The manifest format a builder that can choose (buildah, podman) writes.
public enum ManifestFormat: String, Sendable, Hashable, CaseIterable {
    /// `application/vnd.docker.distribution.manifest.v2+json`.
    case docker
    /// `application/vnd.oci.image.manifest.v1+json`.
    case oci

    /// The manifest media type.
    public var mediaType: String {
        switch self {
        case .docker: "application/vnd.docker.distribution.manifest.v2+json"
        case .oci: "application/vnd.oci.image.manifest.v1+json"
        }
    }
}

/// Registry credentials for the host's builder. The password reaches the host only on the standard input
/// of `login --password-stdin`; it never appears in a command line, an environment variable or a log, and
/// ``description`` hides it.
public struct RegistryLogin: Sendable, Hashable, CustomStringConvertible {
    /// The registry host (`registry.example.com`, `localhost:5001`).
    public var server: String
    /// The user name.
    public var username: String
    /// The password or token.
    public var password: String

    /// Creates credentials.
    public init(server: String, username: String, password: String) {
        self.server = server
        self.username = username
        self.password = password
    }

    public var description: String {
        "\(username)@\(server) (password hidden)"
    }
}

/// The Dockerfiles of a release: one for Linux platforms, one for Windows (Velero's `Dockerfile` and
/// `Dockerfile-Windows`), relative to the context directory.
public struct DockerfileSelection: Sendable, Hashable {
    /// The Dockerfile for non-Windows platforms.
    public var linux: String
    /// The Dockerfile for Windows platforms.
    public var windows: String

    /// Creates a selection; the defaults are the Velero names.
    public init(linux: String = "Dockerfile", windows: String = "Dockerfile-Windows") {
        self.linux = linux
        self.windows = windows
    }

    /// The Dockerfile for `platform`.
    public func dockerfile(for platform: Platform) -> String {
        platform.isWindows ? windows : linux
    }
}

/// What to build for one platform.
public struct BuildRequest: Sendable {
    /// The full image reference to push or name the image with (`reg/velero/velero:main-linux-arm64`).
    public var tag: String
    /// The target platform.
    public var platform: Platform
    /// The Windows release, for Windows platforms.
    public var windowsVersion: WindowsVersion?
    /// The exact `os.version` to stamp (buildah/podman `--os-version`), e.g. `10.0.20348.2322`; defaults
    /// to the release's `10.0.N` build.
    public var windowsOSVersion: String?
    /// The Dockerfile, relative to the context directory (see ``DockerfileSelection``).
    public var dockerfile: String
    /// Build arguments, in order.
    public var buildArguments: [BuildArgument]
    /// The build argument that carries the Windows release (`OS_VERSION=ltsc2022` in Velero's
    /// Dockerfile-Windows), added for Windows platforms unless given explicitly; nil to add none.
    public var windowsVersionArgument: String?
    /// Where the image goes.
    public var output: BuildOutput
    /// Manifest format for buildah and podman.
    public var manifestFormat: ManifestFormat
    /// Build without the builder's cache.
    public var noCache: Bool
    /// The network mode for `RUN` steps (`none`, `host`), or nil for the builder's default.
    public var network: String?
    /// The target stage, or nil for the last one.
    public var target: String?
    /// Talk plain HTTP or unverified TLS to the registry (buildah, podman `--tls-verify=false`); docker
    /// decides this from its daemon configuration.
    public var insecureRegistry: Bool
    /// Credentials to log in with before the build, or nil to use the host's own.
    public var login: RegistryLogin?
    /// Image labels (`--label NAME=VALUE`), such as the source fingerprint.
    public var labels: [String: String]
    /// The platform's registry cache (`--cache registry`), or nil for the builder's local cache only.
    public var cache: BuildCache?
    /// Annotations on the image manifest (buildah and podman `--annotation`, with ``manifestFormat`` `.oci`).
    public var annotations: [String: String] = [:]
    /// Build secrets, for `RUN --mount=type=secret` (buildx, buildah and podman; see ``BuildSecret``).
    public var buildSecrets: [BuildSecret] = []

    /// Creates a request.
    public init(
        tag: String, platform: Platform, windowsVersion: WindowsVersion? = nil, windowsOSVersion: String? = nil,
        dockerfile: String = "Dockerfile", buildArguments: [BuildArgument] = [],
        windowsVersionArgument: String? = "OS_VERSION", output: BuildOutput = .registry,
        manifestFormat: ManifestFormat = .docker, noCache: Bool = false, network: String? = nil,
        target: String? = nil, insecureRegistry: Bool = false, login: RegistryLogin? = nil,
        labels: [String: String] = [:]
    ) {
        self.tag = tag
        self.platform = platform
        self.windowsVersion = windowsVersion
        self.windowsOSVersion = windowsOSVersion
        self.dockerfile = dockerfile
        self.buildArguments = buildArguments
        self.windowsVersionArgument = windowsVersionArgument
        self.output = output
        self.manifestFormat = manifestFormat
        self.noCache = noCache
        self.network = network
        self.target = target
        self.insecureRegistry = insecureRegistry
        self.login = login
        self.labels = labels
    }

    /// Values to mask in the build's log should a tool ever echo them: the registry password and the build
    /// secrets' values.
    public var secrets: [String] {
        (login.map { [$0.password] } ?? [])
            + buildSecrets.map { String(decoding: $0.value, as: UTF8.self) }.filter { !$0.isEmpty }
    }

    /// The build arguments passed, with the Windows release added for Windows platforms.
    public var effectiveBuildArguments: [BuildArgument] {
        var arguments = buildArguments
        if platform.isWindows, let name = windowsVersionArgument, let windowsVersion,
            !arguments.contains(where: { $0.name == name })
        {
            arguments.append(BuildArgument(name, windowsVersion.rawValue))
        }
        return arguments
    }

    /// The `os.version` to stamp on a Windows image, or nil for other platforms.
    public var osVersion: String? {
        guard platform.isWindows else { return nil }
        return windowsOSVersion ?? windowsVersion?.build
    }
}
