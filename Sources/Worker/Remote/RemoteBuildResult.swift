import Shared

/// What one platform's build on one host produced.
public struct RemoteBuildResult: Sendable {
    /// The platform built.
    public var platform: Platform
    /// The inventory name of the host.
    public var host: String
    /// The per-platform tag.
    public var tag: String
    /// The manifest digest in the registry (nil for archive output when the builder gives none).
    public var digest: String?
    /// The manifest media type, when known.
    public var mediaType: String?
    /// The manifest size in bytes, when known.
    public var size: Int64?
    /// The local image archive, for tarball output.
    public var tarball: String?
    /// The archive's SHA-256, as checked after the download.
    public var tarballSHA256: String?
    /// The SHA-256 of the context archive (the host's `contexts/DIGEST`).
    public var contextDigest: String
    /// Context bytes sent to the host (file list, tar headers and the contents it lacked): 0 when the host
    /// already had the context.
    public var contextBytesSent: Int64
    /// The context's regular files and their total size.
    public var contextFiles: Int = 0
    public var contextFileBytes: Int64 = 0
    /// The files whose content was sent (those the host's store lacked).
    public var contextFilesSent: Int = 0
    /// Time spent in each phase (connecting, probing, uploading, building, pushing, fetching).
    public var phases: [BuildPhase: Duration]
    /// The saved log, if one was asked for.
    public var logFile: String?
    /// What the host said about itself. Its builder part is asked only when the build needed it (a buildx
    /// archive); otherwise it holds just the builder's kind (the build itself showed the builder usable).
    public var probe: HostProbe

    /// The phases in seconds, keyed by name, as the build report stores them.
    public var phaseSeconds: [String: Double] {
        Dictionary(uniqueKeysWithValues: phases.map { phase, duration in
            (phase.rawValue, duration.seconds)
        })
    }
}

/// A failed remote build: the phase, whether it is the host's fault or the build's, and the last log lines.
public struct RemoteBuildError: ClassifiedError, HostDisqualifyingError, Sendable {
    /// The phase that failed.
    public var phase: BuildPhase
    /// The inventory name of the host.
    public var host: String
    /// What happened and what to do.
    public var message: String
    /// Infrastructure (try another host) or build (the Dockerfile failed).
    public var failureKind: FailureKind
    /// The last lines of the build log, for build failures.
    public var logTail: [String]
    /// True when the cause rules the host out for the rest of the run (see ``HostDisqualifyingError``).
    public var disqualifiesHost = false

    public var description: String {
        var text = "host \(host), \(phase): \(message)"
        if !logTail.isEmpty {
            text += "\n  " + logTail.joined(separator: "\n  ")
        }
        return text
    }

    /// Output that shows the host, not the Dockerfile, is at fault.
    static let infrastructureSigns = [
        "Cannot connect to the Docker daemon", "error during connect", "no space left on device",
        "connection refused", "connection reset by peer", "i/o timeout", "TLS handshake timeout",
        "502 Bad Gateway", "503 Service Unavailable", "server misbehaving", "database is locked",
        // Windows hosts word the same faults differently (Winsock WSAECONNREFUSED, WSAECONNRESET, WSAETIMEDOUT;
        // ERROR_DISK_FULL), and the docker CLI there reaches its engine over a named pipe.
        "No connection could be made because the target machine actively refused it",
        "An existing connection was forcibly closed by the remote host",
        "A connection attempt failed because the connected party did not properly respond",
        "There is not enough space on the disk", "open //./pipe/docker_engine",
    ]

    /// Classifies a failed build command by how it ended and by its output. A builder killed by a
    /// signal (the OOM killer, a crash, an operator's `kill`) says nothing about the Dockerfile: the
    /// host is at fault, and another host may build the platform.
    static func kind(ofFailedBuild log: [String], status: ExitStatus) -> FailureKind {
        if case .signaled = status { return .infrastructure }
        return log.contains { line in infrastructureSigns.contains { line.localizedCaseInsensitiveContains($0) } }
            ? .infrastructure : .build
    }
}
