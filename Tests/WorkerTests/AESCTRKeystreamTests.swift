import CAESCTR
import Foundation
import Testing

@testable import Worker

/// The bulk AES-CTR keystream (CAESCTR) that serves libssh2 1.10's 16-byte `EVP_Cipher` calls.
@Suite("AES-CTR bulk keystream")
struct AESCTRKeystreamTests {
    private static func bytes(_ hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return result
    }

    /// Encrypts `data` through `EVP_aes_*_ctr` in 16-byte calls, as libssh2 does, after making sure
    /// the keystream is installed (it is installed with libssh2's initialisation); returns the
    /// output and how many keystream refills it took.
    private static func encrypt(key: [UInt8], counter: [UInt8], _ data: [UInt8]) throws -> ([UInt8], UInt) {
        try LibSSH2.initialize(host: "test")
        #expect(LibSSH2.bulkKeystream, "OpenSSL refused the keystream engine")
        var output = data
        let before = caesctr_refills()
        let ok = output.withUnsafeMutableBufferPointer { buffer in
            caesctr_evp_crypt(key, Int32(key.count), counter, buffer.baseAddress, buffer.count)
        }
        #expect(ok == 1)
        return (output, caesctr_refills() - before)
    }

    static let plaintext =
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
        + "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"

    @Test(
        "NIST SP 800-38A F.5.1, F.5.3, F.5.5 (AES-128/192/256-CTR) come out exactly",
        arguments: [
            ("2b7e151628aed2a6abf7158809cf4f3c",
             "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
                + "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee"),
            ("8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
             "1abc932417521ca24f2b0459fe7e6e0b090339ec0aa6faefd5ccc2c6f4ce8e94"
                + "1e36b26bd1ebc670d1bd1d665620abf74f78a7f6d29809585a97daec58c6b050"),
            ("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
             "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
                + "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6"),
        ])
    func nistVectors(key: String, ciphertext: String) throws {
        let (output, refills) = try Self.encrypt(
            key: Self.bytes(key), counter: Self.bytes("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"), Self.bytes(Self.plaintext))
        #expect(output == Self.bytes(ciphertext))
        #expect(refills >= 1, "the keystream engine served the calls")
    }

    /// Expected digests from `openssl enc -aes-128-ctr` (OpenSSL's own implementation) over 40 KiB of
    /// zeros: the counter wraps around all 128 bits, or carries from the low 64 bits into the high
    /// ones, within the first 16 KiB refill; 40 KiB spans three refills.
    @Test(
        "the 128-bit counter wraps and carries as OpenSSL's does, across keystream refills",
        arguments: [
            ("ffffffffffffffffffffffffffffff00", "c26bb296b42b82b427a67df285030ac2c098c1b7939ccbf17903ffa0d29517f6"),
            ("0000000000000000ffffffffffffff00", "57686644ac04e8349b61d52cbe6f6394470c7ea01a255cb80f0ced2c6031b6b7"),
        ])
    func counterWrap(counter: String, sha256: String) throws {
        let (output, refills) = try Self.encrypt(
            key: Self.bytes("000102030405060708090a0b0c0d0e0f"), counter: Self.bytes(counter),
            [UInt8](repeating: 0, count: 40_960))
        #expect(sha256Hex(output) == sha256)
        #expect(refills >= 3)
    }

    @Test("libssh2's sessions encrypt through it: a 4 MiB stream takes hundreds of refills")
    func usedBySessions() async throws {
        let fleet = try SSHFleet.load()
        let connection = try await fleet.connect()
        let before = caesctr_refills()
        let process = connection.execute("cat > /dev/null", stdin: PseudoRandomChunks(chunks: 4, seed: 3))
        #expect(try await process.wait() == .exited(0))
        #expect(caesctr_refills() - before >= 256, "4 MiB is 256 refills of 16 KiB")
        await connection.close()
    }
}
