import Shared

/// Why an SSH operation failed. ``description`` names the host and says what to do about it.
public struct SSHError: Error, CustomStringConvertible, Sendable, HostDisqualifyingError {
    /// The category of failure, for callers that react differently (retry another host, stop...).
    public enum Kind: Sendable, Equatable {
        /// The target itself is unusable (empty address, bad port, unreadable config).
        case invalidTarget
        /// The host name does not resolve.
        case resolutionFailed
        /// Nothing listens on the port.
        case connectionRefused
        /// TCP connect did not finish within the connect timeout.
        case connectTimeout
        /// TCP connect failed for another reason (unreachable network, ...).
        case connectFailed
        /// The peer accepted TCP but did not complete an SSH handshake in time.
        case handshakeTimeout
        /// The SSH handshake failed (not an SSH server, no common algorithm, connection dropped).
        case handshakeFailed
        /// Strict host key checking: no known_hosts file knows this host.
        case hostKeyUnknown
        /// The host presented a different key than a known_hosts file records.
        case hostKeyMismatch
        /// The host key is marked `@revoked`.
        case hostKeyRevoked
        /// accept-new could not record the key.
        case knownHostsUnwritable
        /// No key was accepted.
        case authenticationFailed
        /// Only RSA keys were available and libssh2 1.10 cannot use them with modern OpenSSH.
        case rsaKeyUnsupported
        /// A protected identity file needs a passphrase and none was given.
        case passphraseMissing
        /// The server refused to open a channel or start a command.
        case channelFailed
        /// The connection broke (socket error, peer gone, no keepalive replies).
        case connectionLost
        /// The connection was closed by ``SSHConnection/close()``.
        case closed
        /// A transfer's remote side failed (missing directory, permissions, disk full).
        case transferFailed
        /// A transfer's size or SHA-256 differ between the two ends.
        case transferMismatch
        /// libssh2 reported something this layer does not expect.
        case internalError
    }

    /// The category of failure.
    public var kind: Kind
    /// The target's name (inventory host name).
    public var host: String
    /// A complete sentence or two: what happened, on which host, what to do.
    public var description: String

    /// True for failures that another attempt on the same host cannot fix: host-key and credential problems.
    public var disqualifiesHost: Bool {
        switch kind {
        case .hostKeyUnknown, .hostKeyMismatch, .hostKeyRevoked, .knownHostsUnwritable, .authenticationFailed,
            .rsaKeyUnsupported, .passphraseMissing:
            true
        default:
            false
        }
    }

    /// Creates an error; `description` should name the host and suggest a fix.
    public init(_ kind: Kind, host: String, _ description: String) {
        self.kind = kind
        self.host = host
        self.description = description
    }
}
