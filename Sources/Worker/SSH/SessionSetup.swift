import CSSH2
import Foundation

/// Handshake, host key verification and authentication of a fresh session (blocking mode, on the
/// session thread). The host key is checked before any credential is offered.
struct SessionSetup {
    let session: OpaquePointer
    let target: SSHTarget
    let socket: Int32
    let isCancelled: () -> Bool

    @discardableResult
    func handshakeVerifyAndAuthenticate(onHandshake: () -> Void) throws -> VerifiedHostKey {
        let knownHosts = KnownHosts(
            session: session, paths: target.knownHostsFiles, host: target.hostAddress, port: target.port)
        preferHostKeyTypes(knownHosts.knownTypes(host: target.hostAddress, port: target.port))
        try restrictCiphersAndMACs()
        let rc = cssh2_session_handshake(session, socket)
        if isCancelled() { throw CancellationError() }
        guard rc == 0 else { throw handshakeError(rc) }
        onHandshake()
        let hostKey = try verifyHostKey(knownHosts)
        try Authenticator(session: session, target: target).authenticate()
        if isCancelled() { throw CancellationError() }
        return hostKey
    }

    /// Asks for a host key type the known_hosts files already record for this host (as OpenSSH
    /// does), so a host with several keys is not reported unknown just because libssh2 would pick
    /// another type first.
    private func preferHostKeyTypes(_ known: [HostKeyType]) {
        let order = known + HostKeyType.preferenceOrder.filter { !known.contains($0) }
        _ = libssh2_session_method_pref(session, LIBSSH2_METHOD_HOSTKEY, order.map(\.name).joined(separator: ","))
    }

    /// Ciphers and MACs offered, fastest first, both directions. libssh2 1.10 would otherwise also
    /// accept AES-CBC, blowfish, arcfour, CAST, 3DES, HMAC-MD5 and HMAC-RIPEMD160 from a server
    /// that offers nothing better; OpenSSH 9 offers AES-CTR and the SHA-2 and SHA-1 HMACs by default
    /// (its chacha20-poly1305, AES-GCM and -etm MACs need libssh2 1.11). Measured for 256 MiB on
    /// this machine, libssh2 spends most of its time in one `EVP_Cipher` call per 16-byte block, which
    /// costs about the same for 128- and 256-bit keys; HMAC-SHA1 gave 3, 8, 11 and 27 % more throughput
    /// (5-20 % less client CPU) than HMAC-SHA2-256 in four A/B runs of raw libssh2 on the shared
    /// machine (`openssl speed`: 1.31 against 0.91 GB/s): about a tenth, too little to prefer SHA-1.
    static let cipherPreference = "aes128-ctr,aes256-ctr,aes192-ctr"
    static let macPreference = "hmac-sha2-256,hmac-sha2-512,hmac-sha1"

    private func restrictCiphersAndMACs() throws {
        let preferences = [
            (LIBSSH2_METHOD_CRYPT_CS, Self.cipherPreference), (LIBSSH2_METHOD_CRYPT_SC, Self.cipherPreference),
            (LIBSSH2_METHOD_MAC_CS, Self.macPreference), (LIBSSH2_METHOD_MAC_SC, Self.macPreference),
        ]
        for (method, preference) in preferences where libssh2_session_method_pref(session, method, preference) != 0 {
            throw SSHError(.internalError, host: target.name,
                "libssh2 refused the algorithm preference \(preference): \(LibSSH2.lastError(session).message)")
        }
    }

    private func handshakeError(_ rc: Int32) -> SSHError {
        let message = LibSSH2.lastError(session).message
        switch rc {
        case LIBSSH2_ERROR_TIMEOUT, LIBSSH2_ERROR_SOCKET_TIMEOUT:
            return SSHError(.handshakeTimeout, host: target.name,
                "\(target.displayName) accepted the TCP connection but did not complete an SSH handshake within \(target.connectTimeout): check that port \(target.port) is an SSH server and that the host is not overloaded")
        case LIBSSH2_ERROR_BANNER_RECV, LIBSSH2_ERROR_SOCKET_DISCONNECT, LIBSSH2_ERROR_SOCKET_RECV,
            LIBSSH2_ERROR_SOCKET_SEND:
            return SSHError(.handshakeFailed, host: target.name,
                "\(target.displayName) closed the connection during the SSH handshake (\(message)): the port may not be SSH, or sshd refused the connection (MaxStartups, too many unauthenticated connections)")
        case LIBSSH2_ERROR_KEX_FAILURE, LIBSSH2_ERROR_KEY_EXCHANGE_FAILURE, LIBSSH2_ERROR_METHOD_NONE:
            return SSHError(.handshakeFailed, host: target.name,
                "no SSH algorithm in common with \(target.displayName) (\(message)): libssh2 1.10 needs curve25519/ECDH/DH-group key exchange, an ed25519, ECDSA or ssh-rsa host key, AES-CTR and an HMAC-SHA2 or HMAC-SHA1 MAC")
        default:
            return SSHError(.handshakeFailed, host: target.name,
                "SSH handshake with \(target.displayName) failed: \(message)")
        }
    }

    private func verifyHostKey(_ knownHosts: KnownHosts) throws -> VerifiedHostKey {
        guard let key = ServerHostKey.of(session) else {
            throw SSHError(.handshakeFailed, host: target.name,
                "\(target.displayName) presented a host key type libssh2 1.10 cannot verify")
        }
        let name = KnownHosts.pattern(host: target.hostAddress, port: target.port)
        switch knownHosts.check(key, host: target.hostAddress, port: target.port) {
        case .match:
            return VerifiedHostKey(type: key.type.name, fingerprint: key.fingerprint, recordedIn: nil)
        case .revoked(let location):
            throw SSHError(.hostKeyRevoked, host: target.name,
                "the \(key.type.name) host key of \(target.displayName) (\(key.fingerprint)) is marked @revoked at \(location); refusing to connect")
        case .mismatch(let location, let recorded):
            let recordedText = recorded.map { " (\($0))" } ?? ""
            throw SSHError(.hostKeyMismatch, host: target.name,
                "HOST KEY MISMATCH for \(target.displayName): it presented the \(key.type.name) key \(key.fingerprint), but \(location) records a different \(key.type.name) key\(recordedText) for \(name). Someone may be intercepting the connection, or the host was reinstalled. Refused before authentication. If the change is expected, remove the old key with `ssh-keygen -R '\(name)' -f \(location.file)` and connect again")
        case .notFound:
            if target.hostKeyPolicy == .acceptNew, let file = target.knownHostsFiles.first {
                do {
                    _ = try KnownHosts.append(key, host: target.hostAddress, port: target.port, to: file)
                    return VerifiedHostKey(
                        type: key.type.name, fingerprint: key.fingerprint, recordedIn: LocalPaths.expand(file))
                } catch {
                    throw SSHError(.knownHostsUnwritable, host: target.name,
                        "cannot record the new host key of \(target.displayName) in \(LocalPaths.expand(file)): \(error)")
                }
            }
            let consulted = knownHosts.notes.isEmpty ? "no known_hosts files configured" : knownHosts.notes.joined(separator: ", ")
            throw SSHError(.hostKeyUnknown, host: target.name,
                "the host key of \(target.displayName) is unknown: no entry for \(name) in \(consulted). It presented the \(key.type.name) key \(key.fingerprint). Check that fingerprint out of band, then add it (`ssh-keyscan -p \(target.port) -t \(key.type.keyscanName) \(target.hostAddress) >> ~/.ssh/known_hosts`) or connect once with host key policy accept-new")
        }
    }
}

/// The host key a connection was verified with.
public struct VerifiedHostKey: Sendable, Hashable {
    /// `ssh-ed25519`, `ecdsa-sha2-nistp256`, …
    public var type: String
    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    public var fingerprint: String
    /// The known_hosts file the key was just added to (``HostKeyPolicy/acceptNew``), or nil when a file
    /// already knew it.
    public var recordedIn: String?
}
