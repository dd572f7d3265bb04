import CAESCTR
import CSSH2

/// Process-wide libssh2 state and error helpers.
enum LibSSH2 {
    /// `libssh2_init` runs exactly once per process: Swift initialises static stored properties
    /// lazily and thread-safely. Before it, the bulk AES-CTR keystream (CAESCTR) is installed:
    /// libssh2 1.10 encrypts one 16-byte block per `EVP_Cipher` call, and OpenSSL 3's per-call cost
    /// (provider dispatch, one AES block at a time) made most of a transfer's client CPU. If OpenSSL
    /// refuses it, OpenSSL's own AES-CTR is used.
    private static let initResult: Int32 = {
        bulkKeystream = caesctr_install() == 1
        return libssh2_init(0)
    }()

    /// Whether AES-CTR runs through the bulk keystream (set once, before any session exists).
    nonisolated(unsafe) private(set) static var bulkKeystream = false

    static let eagain: Int32 = -37  // LIBSSH2_ERROR_EAGAIN
    static let badUse: Int32 = -39  // LIBSSH2_ERROR_BAD_USE
    static let stderrStream: Int32 = 1  // SSH_EXTENDED_DATA_STDERR
    static let blockOutbound: Int32 = 0x0002  // LIBSSH2_SESSION_BLOCK_OUTBOUND

    static func initialize(host: String) throws(SSHError) {
        guard initResult == 0 else {
            throw SSHError(.internalError, host: host, "libssh2_init failed (\(initResult)): the crypto backend could not start")
        }
    }

    /// The session's last error message, e.g. "Unable to send channel data".
    static func lastError(_ session: OpaquePointer?) -> (code: Int32, message: String) {
        guard let session else { return (0, "no session") }
        var message: UnsafeMutablePointer<CChar>?
        var length: Int32 = 0
        let code = libssh2_session_last_error(session, &message, &length, 0)
        let text = message.map { String(cString: $0) } ?? ""
        return (code, text.isEmpty ? "libssh2 error \(code)" : "\(text) (libssh2 error \(code))")
    }

    /// Whether a partially written packet waits in libssh2's output buffer.
    static func outboundBlocked(_ session: OpaquePointer) -> Bool {
        libssh2_session_block_directions(session) & blockOutbound != 0
    }
}
