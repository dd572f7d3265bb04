import CSSH2
import Crypto
import Foundation

/// An unencrypted OpenSSH-format ed25519 identity file, read into memory. Authentication signs with
/// swift-crypto through libssh2's signing callback: libssh2 1.10 would parse the file on every
/// connection, first with OpenSSL's PEM decoders (which fail on this format; looking them up costs more
/// than the rest of the authentication's local work, and serialises sessions on OpenSSL's locks), then
/// reopen it four more times. Ed25519 signatures are deterministic (RFC 8032): the server sees what
/// libssh2 would have sent. Encrypted keys and other types stay with libssh2.
struct Ed25519Identity: Sendable, Equatable {
    /// The public key as SSH wire data (`string "ssh-ed25519"`, `string key`).
    var publicKeyBlob: [UInt8]
    /// The 32-byte private seed.
    var seed: [UInt8]

    /// Reads the private section of an unencrypted `openssh-key-v1` file holding one key (`privateBlob`, whose
    /// public key must be `publicKeyBlob`); `nil` when it is not exactly one consistent ed25519 key.
    static func parse(privateBlob: [UInt8], publicKeyBlob: [UInt8]) -> Ed25519Identity? {
        var reader = SSHWireReader(privateBlob)
        var publicReader = SSHWireReader(publicKeyBlob)
        guard let check1 = reader.readUInt32(), let check2 = reader.readUInt32(), check1 == check2,
            let type = reader.readString(), type == Array("ssh-ed25519".utf8),
            let publicKey = reader.readString(), publicKey.count == 32,
            let secret = reader.readString(), secret.count == 64, Array(secret[32...]) == publicKey,
            publicReader.readString() == type, publicReader.readString() == publicKey
        else { return nil }
        return Ed25519Identity(publicKeyBlob: publicKeyBlob, seed: Array(secret[..<32]))
    }

    /// Offers the key to the server as `user` (libssh2's public-key method: query, then the signed request);
    /// returns libssh2's result code, as `libssh2_userauth_publickey_fromfile_ex` would.
    func authenticate(session: OpaquePointer, user: String) -> Int32 {
        guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else { return LIBSSH2_ERROR_FILE }
        let signer = Unmanaged.passRetained(Signer(key: key))
        defer { signer.release() }
        var abstract: UnsafeMutableRawPointer? = signer.toOpaque()
        return publicKeyBlob.withUnsafeBufferPointer { blob in
            libssh2_userauth_publickey(session, user, blob.baseAddress, blob.count, ed25519Sign, &abstract)
        }
    }
}

/// The key the signing callback uses, passed through libssh2's `abstract` pointer.
private final class Signer {
    let key: Curve25519.Signing.PrivateKey

    init(key: Curve25519.Signing.PrivateKey) {
        self.key = key
    }
}

/// libssh2's signing callback: the raw 64-byte signature of `data`, in memory libssh2 frees (`malloc`:
/// sessions use libssh2's default allocator).
private let ed25519Sign: @convention(c) (
    OpaquePointer?, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?, UnsafeMutablePointer<Int>?,
    UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> Int32 = { _, signature, signatureLength, data, dataLength, abstract in
    guard let signature, let signatureLength, let context = abstract?.pointee else { return -1 }
    let signer = Unmanaged<Signer>.fromOpaque(context).takeUnretainedValue()
    let message = data.map { Data(bytes: $0, count: dataLength) } ?? Data()
    guard let signed = try? signer.key.signature(for: message),
        let output = malloc(signed.count)?.assumingMemoryBound(to: UInt8.self)
    else { return -1 }
    signed.copyBytes(to: output, count: signed.count)
    signature.pointee = output
    signatureLength.pointee = signed.count
    return 0
}
