/// How a remote command ended.
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    /// The command exited with this code.
    case exited(Int32)
    /// The command was killed by this signal; the name is OpenSSH's, without `SIG` (`"KILL"`, `"TERM"`).
    case signaled(String)

    /// `true` for `exited(0)`.
    public var succeeded: Bool { self == .exited(0) }

    /// "exit code 1" or "signal KILL".
    public var description: String {
        switch self {
        case .exited(let code): "exit code \(code)"
        case .signaled(let name): "signal \(name)"
        }
    }
}

/// A finished command with everything it wrote.
public struct CommandResult: Sendable {
    /// How it ended.
    public var status: ExitStatus
    /// Everything written to standard output.
    public var stdout: [UInt8]
    /// Everything written to standard error.
    public var stderr: [UInt8]

    /// Creates a result.
    public init(status: ExitStatus, stdout: [UInt8], stderr: [UInt8]) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }

    /// Standard output decoded as UTF-8 (invalid sequences replaced).
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    /// Standard error decoded as UTF-8 (invalid sequences replaced).
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// What a verified transfer moved.
public struct TransferSummary: Sendable, Equatable {
    /// Bytes transferred (and found on the other side).
    public var bytes: Int
    /// SHA-256 of the content, lowercase hex, the same on both ends.
    public var sha256: String
    /// Wall time of the transfer including verification.
    public var duration: Duration

    /// Creates a summary.
    public init(bytes: Int, sha256: String, duration: Duration) {
        self.bytes = bytes
        self.sha256 = sha256
        self.duration = duration
    }
}
