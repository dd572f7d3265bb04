import Foundation

/// What a private key file is, read without decrypting it: its type and whether it is protected.
struct IdentityFile: Sendable, Equatable {
    var path: String
    /// The OpenSSH key type name (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`), if recognisable.
    var keyType: String?
    /// Needs a passphrase.
    var encrypted: Bool
    /// The key, when it is an unencrypted OpenSSH-format ed25519 key (signed with in memory, see
    /// ``Ed25519Identity``).
    var ed25519: Ed25519Identity?

    var isRSA: Bool { keyType == "ssh-rsa" }

    /// OpenSSH's default identity files, in the order `ssh` tries them.
    static let defaultNames = ["id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk", "id_xmss", "id_dsa"]

    /// What was read from each file (and its `.pub`), reused by later connections while both are unchanged.
    private static let inspected = StampedFileCache<IdentityFile>()

    /// Inspects `path` (already `~`-expanded); `nil` when it does not exist or cannot be read. A file is read
    /// once per process while it (and its `.pub`) stay unchanged.
    static func inspect(_ path: String) -> IdentityFile? {
        inspected.value(for: path, stampsOf: [path, path + ".pub"]) { read(path) }
    }

    private static func read(_ path: String) -> IdentityFile? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data.prefix(64 * 1024), as: UTF8.self)
        var identity = IdentityFile(path: path, keyType: nil, encrypted: false)
        if text.contains("-----BEGIN OPENSSH PRIVATE KEY-----") {
            let parsed = parseOpenSSH(text)
            identity.keyType = parsed.keyType
            identity.encrypted = parsed.encrypted
            identity.ed25519 = parsed.ed25519
        } else if text.contains("-----BEGIN RSA PRIVATE KEY-----") {
            identity.keyType = "ssh-rsa"
            identity.encrypted = text.contains("ENCRYPTED")
        } else if text.contains("-----BEGIN EC PRIVATE KEY-----") {
            identity.keyType = "ecdsa-sha2-nistp256"
            identity.encrypted = text.contains("ENCRYPTED")
        } else if text.contains("-----BEGIN DSA PRIVATE KEY-----") {
            identity.keyType = "ssh-dss"
            identity.encrypted = text.contains("ENCRYPTED")
        } else if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
            identity.encrypted = true
        }
        if identity.keyType == nil || identity.keyType?.hasPrefix("ecdsa") == true,
            let publicKey = FileManager.default.contents(atPath: path + ".pub"),
            let type = String(decoding: publicKey, as: UTF8.self).split(separator: " ").first
        {
            identity.keyType = String(type)
        }
        return identity
    }

    /// Reads the unencrypted header of an `openssh-key-v1` file: cipher name and public key type.
    private static func parseOpenSSH(_ text: String) -> (keyType: String?, encrypted: Bool, ed25519: Ed25519Identity?) {
        let body = text.components(separatedBy: "\n")
            .filter { !$0.hasPrefix("-----") }
            .joined()
        guard let blob = Data(base64Encoded: body, options: .ignoreUnknownCharacters) else { return (nil, false, nil) }
        var reader = SSHWireReader(Array(blob))
        guard reader.readMagic("openssh-key-v1\0"),
            let cipher = reader.readString(),
            reader.readString() != nil,  // kdf name
            reader.readString() != nil,  // kdf options
            let count = reader.readUInt32(), count >= 1,
            let publicKey = reader.readString()
        else { return (nil, false, nil) }
        var keyReader = SSHWireReader(publicKey)
        let type = keyReader.readString().map { String(decoding: $0, as: UTF8.self) }
        let encrypted = String(decoding: cipher, as: UTF8.self) != "none"
        let ed25519 = !encrypted && count == 1 && type == "ssh-ed25519"
            ? reader.readString().flatMap { Ed25519Identity.parse(privateBlob: $0, publicKeyBlob: publicKey) } : nil
        return (type, encrypted, ed25519)
    }
}

/// Reads SSH wire-format fields (RFC 4251 §5).
struct SSHWireReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func readMagic(_ magic: String) -> Bool {
        let expected = Array(magic.utf8)
        guard bytes.count - offset >= expected.count, Array(bytes[offset..<offset + expected.count]) == expected else {
            return false
        }
        offset += expected.count
        return true
    }

    mutating func readUInt32() -> UInt32? {
        guard bytes.count - offset >= 4 else { return nil }
        let value = bytes[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        offset += 4
        return value
    }

    mutating func readString() -> [UInt8]? {
        guard let length = readUInt32().map(Int.init), bytes.count - offset >= length else { return nil }
        defer { offset += length }
        return Array(bytes[offset..<offset + length])
    }
}
