import CSSH2
import Crypto
import Foundation

/// The host key algorithms libssh2 1.10 can verify, with their OpenSSH names.
enum HostKeyType: CaseIterable, Sendable {
    case ed25519, ecdsa256, ecdsa384, ecdsa521, rsa, dss

    /// OpenSSH's preference order (ssh-dss is disabled in OpenSSH 9 and not offered).
    static let preferenceOrder: [HostKeyType] = [.ed25519, .ecdsa256, .ecdsa384, .ecdsa521, .rsa]

    /// From `libssh2_session_hostkey`'s type (`LIBSSH2_HOSTKEY_TYPE_*`).
    init?(sessionType: Int32) {
        switch sessionType {
        case 1: self = .rsa
        case 2: self = .dss
        case 3: self = .ecdsa256
        case 4: self = .ecdsa384
        case 5: self = .ecdsa521
        case 6: self = .ed25519
        default: return nil
        }
    }

    /// The name in known_hosts lines and in `HostKeyAlgorithms`.
    var name: String {
        switch self {
        case .ed25519: "ssh-ed25519"
        case .ecdsa256: "ecdsa-sha2-nistp256"
        case .ecdsa384: "ecdsa-sha2-nistp384"
        case .ecdsa521: "ecdsa-sha2-nistp521"
        case .rsa: "ssh-rsa"
        case .dss: "ssh-dss"
        }
    }

    /// The `-t` argument of `ssh-keyscan` for this type.
    var keyscanName: String {
        switch self {
        case .ed25519: "ed25519"
        case .ecdsa256, .ecdsa384, .ecdsa521: "ecdsa"
        case .rsa: "rsa"
        case .dss: "dsa"
        }
    }

    /// `LIBSSH2_KNOWNHOST_KEY_*`, the key type bits passed to `libssh2_knownhost_checkp`.
    var knownHostBits: Int32 {
        let shift: Int32 = 18
        switch self {
        case .rsa: return 2 << shift
        case .dss: return 3 << shift
        case .ecdsa256: return 4 << shift
        case .ecdsa384: return 5 << shift
        case .ecdsa521: return 6 << shift
        case .ed25519: return 7 << shift
        }
    }
}

/// A server's host key as presented during the handshake.
struct ServerHostKey: Sendable {
    var type: HostKeyType
    /// The raw key blob (what known_hosts stores base64-encoded).
    var blob: [UInt8]

    /// `SHA256:...` exactly as `ssh-keygen -lf` and OpenSSH's warnings print it (base64, no padding).
    var fingerprint: String {
        let digest = SHA256.hash(data: blob)
        var text = Data(digest).base64EncodedString()
        while text.hasSuffix("=") { text.removeLast() }
        return "SHA256:" + text
    }

    /// The key as a known_hosts key field.
    var base64: String { Data(blob).base64EncodedString() }

    /// Reads the negotiated host key from a session after the handshake.
    static func of(_ session: OpaquePointer) -> ServerHostKey? {
        var length = 0
        var type: Int32 = 0
        guard let pointer = libssh2_session_hostkey(session, &length, &type), length > 0,
            let keyType = HostKeyType(sessionType: type)
        else { return nil }
        let blob = pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
        return ServerHostKey(type: keyType, blob: blob)
    }
}
