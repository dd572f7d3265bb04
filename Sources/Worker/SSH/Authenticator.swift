import CSSH2
import Foundation

/// Public-key authentication in OpenSSH's order: the agent's keys, then identity files; RSA keys
/// last, because libssh2 1.10 can only use them with servers that still accept SHA-1 `ssh-rsa`
/// signatures (OpenSSH before 8.8). Runs on the session thread while the session is in blocking
/// mode with a timeout. Passphrases come from the target or the environment, never from a prompt.
struct Authenticator {
    let session: OpaquePointer
    let target: SSHTarget

    private enum Candidate {
        case agent(OpaquePointer, UnsafeMutablePointer<libssh2_agent_publickey>, label: String, rsa: Bool)
        case file(IdentityFile)

        var isRSA: Bool {
            switch self {
            case .agent(_, _, _, let rsa): rsa
            case .file(let file): file.isRSA
            }
        }

        var label: String {
            switch self {
            case .agent(_, _, let label, _): label
            case .file(let file): file.path
            }
        }
    }

    /// Throws ``SSHError`` explaining every key tried when none is accepted.
    ///
    /// The keys are offered straight away, as OpenSSH does, without first asking the server for its methods
    /// (a "none" request: one round trip per connection, 40 ms over a wide-area link); the methods are asked
    /// for only to explain a failure.
    func authenticate() throws {
        let user = target.user
        var notes: [String] = []
        var agent: OpaquePointer?
        defer {
            if let agent {
                libssh2_agent_disconnect(agent)
                libssh2_agent_free(agent)
            }
        }
        var candidates: [Candidate] = []
        if target.useAgent {
            agent = openAgent(notes: &notes)
            if let agent { candidates += agentIdentities(agent) }
        }
        candidates += identityFiles(notes: &notes)
        let ordered = candidates.filter { !$0.isRSA } + candidates.filter(\.isRSA)

        let passphrase = target.passphrase ?? LocalPaths.environment(SSHTarget.passphraseEnvironmentVariable)
        var rejectedRSA: [String] = []
        var missingPassphrase: [String] = []
        for candidate in ordered {
            let rc: Int32
            switch candidate {
            case .agent(let agent, let identity, _, _):
                rc = libssh2_agent_userauth(agent, user, identity)
            case .file(let file):
                if file.encrypted && passphrase == nil {
                    missingPassphrase.append(file.path)
                    notes.append("\(file.path): passphrase-protected, no passphrase given")
                    continue
                }
                rc = authenticate(user: user, with: file, passphrase: passphrase)
            }
            if rc == 0 { return }
            let (_, message) = LibSSH2.lastError(session)
            switch rc {
            case LIBSSH2_ERROR_FILE:
                notes.append("\(candidate.label): libssh2 cannot load it (wrong passphrase or unsupported key format)")
            case LIBSSH2_ERROR_AUTHENTICATION_FAILED, LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED:
                notes.append("\(candidate.label): rejected by the server")
                if candidate.isRSA { rejectedRSA.append(candidate.label) }
            case LIBSSH2_ERROR_TIMEOUT, LIBSSH2_ERROR_SOCKET_TIMEOUT:
                throw SSHError(.connectTimeout, host: target.name,
                    "authentication to \(target.displayName) timed out after \(target.connectTimeout) while trying \(candidate.label)")
            case LIBSSH2_ERROR_SOCKET_SEND, LIBSSH2_ERROR_SOCKET_RECV, LIBSSH2_ERROR_SOCKET_DISCONNECT:
                notes.append("\(candidate.label): \(message)")
                throw SSHError(.authenticationFailed, host: target.name,
                    "\(target.displayName) closed the connection during authentication as \(user) (too many keys tried? sshd's MaxAuthTries): \(notes.joined(separator: "; "))")
            default:
                notes.append("\(candidate.label): \(message)")
            }
        }
        // No key was accepted: a server that takes no public key at all, or takes the "none" method, says so here.
        switch Result(catching: { try serverMethods(user: user) }) {
        case .success(nil):
            return  // "none" authentication succeeded
        case .success(let methods?) where !methods.contains("publickey"):
            throw SSHError(.authenticationFailed, host: target.name,
                "\(target.displayName) does not offer public-key authentication to user \(user) (it offers: \(methods.joined(separator: ", "))); coordinator only authenticates with keys: enable PubkeyAuthentication in the host's sshd_config")
        default:
            break
        }
        throw failure(user: user, notes: notes, rejectedRSA: rejectedRSA, missingPassphrase: missingPassphrase)
    }

    /// Offers one identity file: an unencrypted ed25519 key signs in memory (``Ed25519Identity``), anything
    /// else goes to libssh2 as a file.
    private func authenticate(user: String, with file: IdentityFile, passphrase: String?) -> Int32 {
        if let key = file.ed25519 { return key.authenticate(session: session, user: user) }
        return libssh2_userauth_publickey_fromfile_ex(
            session, user, UInt32(user.utf8.count), nil, file.path, passphrase ?? "")
    }

    private func failure(user: String, notes: [String], rejectedRSA: [String], missingPassphrase: [String]) -> SSHError {
        let tried = notes.isEmpty ? "no keys were available" : "tried: " + notes.joined(separator: "; ")
        if !rejectedRSA.isEmpty {
            return SSHError(.rsaKeyUnsupported, host: target.name,
                "authentication as \(user) to \(target.displayName) failed: the server rejected the RSA key \(rejectedRSA.joined(separator: ", ")). libssh2 1.10, which coordinator uses, can sign with RSA keys only through SHA-1 `ssh-rsa`; it has no rsa-sha2-256/rsa-sha2-512, and OpenSSH 8.8 and later refuse ssh-rsa by default. Use an ed25519 key (`ssh-keygen -t ed25519`) or an ECDSA key (`ssh-keygen -t ecdsa`), add its .pub to ~\(user)/.ssh/authorized_keys on the host and list it in identityFiles or load it into ssh-agent (\(tried))")
        }
        if !missingPassphrase.isEmpty {
            return SSHError(.passphraseMissing, host: target.name,
                "authentication as \(user) to \(target.displayName) failed: \(missingPassphrase.joined(separator: ", ")) is passphrase-protected and no passphrase was given; set the passphrase option or the \(SSHTarget.passphraseEnvironmentVariable) environment variable, or load the key into ssh-agent with `ssh-add` (\(tried))")
        }
        return SSHError(.authenticationFailed, host: target.name,
            "authentication as \(user) to \(target.displayName) failed: no key was accepted (\(tried)). Check that user \(user) exists on the host and that one of these public keys is in its ~/.ssh/authorized_keys")
    }

    /// The server's methods for `user`, or `nil` when the "none" method already authenticated.
    private func serverMethods(user: String) throws -> [String]? {
        guard let list = libssh2_userauth_list(session, user, UInt32(user.utf8.count)) else {
            if libssh2_userauth_authenticated(session) != 0 { return nil }
            let (code, message) = LibSSH2.lastError(session)
            let kind: SSHError.Kind = code == LIBSSH2_ERROR_TIMEOUT ? .connectTimeout : .authenticationFailed
            throw SSHError(kind, host: target.name,
                "\(target.displayName) did not answer the authentication request for user \(user): \(message)")
        }
        return String(cString: list).split(separator: ",").map(String.init)
    }

    private func openAgent(notes: inout [String]) -> OpaquePointer? {
        let socket = target.agentSocket ?? LocalPaths.environment("SSH_AUTH_SOCK")
        guard let socket, !socket.isEmpty else {
            notes.append("ssh-agent: SSH_AUTH_SOCK is not set")
            return nil
        }
        guard let agent = libssh2_agent_init(session) else { return nil }
        libssh2_agent_set_identity_path(agent, socket)
        guard libssh2_agent_connect(agent) == 0 else {
            notes.append("ssh-agent at \(socket): cannot connect")
            libssh2_agent_free(agent)
            return nil
        }
        guard libssh2_agent_list_identities(agent) == 0 else {
            notes.append("ssh-agent at \(socket): cannot list keys")
            libssh2_agent_disconnect(agent)
            libssh2_agent_free(agent)
            return nil
        }
        return agent
    }

    private func agentIdentities(_ agent: OpaquePointer) -> [Candidate] {
        var result: [Candidate] = []
        var previous: UnsafeMutablePointer<libssh2_agent_publickey>?
        while true {
            var identity: UnsafeMutablePointer<libssh2_agent_publickey>?
            guard libssh2_agent_get_identity(agent, &identity, previous) == 0, let identity else { break }
            previous = identity
            var reader = SSHWireReader(Array(UnsafeBufferPointer(start: identity.pointee.blob, count: identity.pointee.blob_len)))
            let type = reader.readString().map { String(decoding: $0, as: UTF8.self) } ?? "unknown"
            let comment = identity.pointee.comment.map { String(cString: $0) } ?? ""
            result.append(.agent(agent, identity, label: "ssh-agent key \(type) \(comment)", rsa: type == "ssh-rsa"))
        }
        return result
    }

    private func identityFiles(notes: inout [String]) -> [Candidate] {
        let explicit = !target.identityFiles.isEmpty
        let paths = explicit
            ? target.identityFiles.map(LocalPaths.expand)
            : IdentityFile.defaultNames.map { LocalPaths.home + "/.ssh/" + $0 }
        return paths.compactMap { path in
            guard let file = IdentityFile.inspect(path) else {
                if explicit { notes.append("\(path): not found or unreadable") }
                return nil
            }
            return .file(file)
        }
    }
}
