import Foundation

/// The outcome of `coordinator build`, printed as a table and written by `--json FILE`.
public struct BuildReport: Hashable, Sendable, Codable {
    public enum Status: String, Hashable, Sendable, Codable {
        /// Every platform built and the list was pushed.
        case succeeded
        /// Some platforms failed; with `--allow-partial` a list of the rest was pushed.
        case partial
        case failed
        case interrupted
    }

    /// The report's format, raised on every change of its fields (documented in the README).
    public static let currentSchemaVersion = 2

    /// ``currentSchemaVersion`` when written; a reader checks it before trusting the fields.
    public var schemaVersion: Int = Self.currentSchemaVersion
    public var image: String
    public var version: String
    public var status: Status
    /// `image:version`, set once the list is pushed.
    public var list: String?
    /// Every tag the list was pushed under: the version, then each `--also-tag`.
    public var listTags: [String]?
    public var listDigest: String?
    /// The annotations on the list, when it is an OCI index (`--annotation index:`, and the default ones).
    public var listAnnotations: [String: String]?
    public var listMediaType: String?
    /// `--provenance`: `none`, `attach` or `sign` (nil for `none`, as reports before it).
    public var provenance: String?
    /// With `sign`: the digest of cosign's signature manifest of the list (tag `sha256-HEX.sig`).
    public var listSignature: String?
    /// With `sign`: whether every signature and attestation of the release passed `cosign verify` before any
    /// list tag was moved.
    public var signaturesVerified: Bool?
    public var platforms: [PlatformReport]
    public var startedAt: Date
    public var seconds: Double
    /// What went wrong overall, when it did.
    public var error: String?

    public init(
        image: String, version: String, status: Status, list: String? = nil, listDigest: String? = nil,
        listMediaType: String? = nil, platforms: [PlatformReport], startedAt: Date, seconds: Double,
        error: String? = nil
    ) {
        self.image = image
        self.version = version
        self.status = status
        self.list = list
        self.listDigest = listDigest
        self.listMediaType = listMediaType
        self.platforms = platforms
        self.startedAt = startedAt
        self.seconds = seconds
        self.error = error
    }

    /// Every per-platform tag that holds a pushed image, whatever happened to the list.
    public var pushedTags: [String] {
        platforms.filter { $0.digest != nil && $0.outcome != .failed }.map(\.tag)
    }
}

/// One platform's part of a build.
public struct PlatformReport: Hashable, Sendable, Codable {
    public enum Outcome: String, Hashable, Sendable, Codable {
        case built
        /// Resumed: the per-platform tag already held an image with the same source fingerprint.
        case reused
        case failed
        case cancelled
    }

    public var platform: String
    public var windowsVersion: String?
    /// The per-platform reference (`image:VERSION-linux-arm64`).
    public var tag: String
    /// The host that built it (or the last one tried).
    public var host: String?
    public var outcome: Outcome
    public var digest: String?
    public var mediaType: String?
    public var size: Int?
    /// The tarball written for `--output tar`.
    public var tarball: String?
    /// Seconds spent in each phase of the successful attempt.
    public var phases: [String: Double]
    public var seconds: Double
    public var attempts: [Attempt]
    /// The failure, with the last log lines for build failures.
    public var error: String?
    public var failureKind: FailureKind?
    /// The full log on this machine (`_output/logs/...`).
    public var logFile: String?
    /// `--provenance attach|sign`: the platform's provenance and signatures.
    public var provenance: ProvenanceReport?
    /// The local build context and what of it the successful attempt sent (nil for a git context or a reused
    /// image).
    public var context: ContextTransfer?

    /// A local context's size and what crossed the SSH connection for it.
    public struct ContextTransfer: Hashable, Sendable, Codable {
        /// The context's regular files (after `.dockerignore`) and their total size in bytes.
        public var files: Int
        public var bytes: Int64
        /// The files whose content was sent (those the host's store lacked; 0 when the host had the context).
        public var filesSent: Int
        /// Every byte sent for the context: the file list, the tar headers and the contents sent.
        public var bytesSent: Int64

        public init(files: Int, bytes: Int64, filesSent: Int, bytesSent: Int64) {
            self.files = files
            self.bytes = bytes
            self.filesSent = filesSent
            self.bytesSent = bytesSent
        }
    }

    public init(
        platform: String, windowsVersion: String?, tag: String, host: String?, outcome: Outcome,
        digest: String? = nil, mediaType: String? = nil, size: Int? = nil, tarball: String? = nil,
        phases: [String: Double] = [:], seconds: Double = 0, attempts: [Attempt] = [], error: String? = nil,
        failureKind: FailureKind? = nil, logFile: String? = nil, context: ContextTransfer? = nil
    ) {
        self.platform = platform
        self.windowsVersion = windowsVersion
        self.tag = tag
        self.host = host
        self.outcome = outcome
        self.digest = digest
        self.mediaType = mediaType
        self.size = size
        self.tarball = tarball
        self.phases = phases
        self.seconds = seconds
        self.attempts = attempts
        self.error = error
        self.failureKind = failureKind
        self.logFile = logFile
        self.context = context
    }

    /// One try on one host.
    public struct Attempt: Hashable, Sendable, Codable {
        public var host: String
        public var seconds: Double
        /// `nil` when the attempt succeeded.
        public var error: String?
        public var failureKind: FailureKind?

        public init(host: String, seconds: Double, error: String? = nil, failureKind: FailureKind? = nil) {
            self.host = host
            self.seconds = seconds
            self.error = error
            self.failureKind = failureKind
        }
    }
}
