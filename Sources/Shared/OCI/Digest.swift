import Crypto

/// A content digest such as `sha256:4f0a…`, computed over exact bytes.
public struct Digest: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The algorithm, `sha256` or `sha512`.
    public let algorithm: String
    /// The lowercase hexadecimal encoding of the hash.
    public let encoded: String

    /// The digest of `bytes` (SHA-256, the algorithm registries use).
    public init(of bytes: some Sequence<UInt8>) {
        self.algorithm = "sha256"
        self.encoded = Self.hex(SHA256.hash(data: Array(bytes)))
    }

    /// Parses `algorithm:hex`; throws ``DigestError`` naming what is wrong.
    public init(parsing text: String) throws(DigestError) {
        guard let colon = text.firstIndex(of: ":") else {
            throw DigestError(text: text, reason: "it has no `algorithm:` prefix (expected sha256:<64 hex digits>)")
        }
        let algorithm = String(text[..<colon])
        let encoded = String(text[text.index(after: colon)...])
        let lengths = ["sha256": 64, "sha512": 128]
        guard let length = lengths[algorithm] else {
            throw DigestError(text: text, reason: "the algorithm `\(algorithm)` is not sha256 or sha512")
        }
        guard encoded.utf8.count == length, encoded.utf8.allSatisfy(Self.isLowercaseHex) else {
            throw DigestError(text: text, reason: "\(algorithm) needs exactly \(length) lowercase hex digits")
        }
        self.algorithm = algorithm
        self.encoded = encoded
    }

    /// `algorithm:hex`.
    public var description: String { "\(algorithm):\(encoded)" }

    /// Whether `bytes` hash to this digest.
    public func matches(_ bytes: some Sequence<UInt8>) -> Bool {
        switch algorithm {
        case "sha512":
            return Self.hex(SHA512.hash(data: Array(bytes))) == encoded
        default:
            return Digest(of: bytes) == self
        }
    }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.description < rhs.description }

    private static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        for byte in bytes { output += [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]] }
        return String(decoding: output, as: UTF8.self)
    }

    private static func isLowercaseHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}

extension Digest: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do throws(DigestError) {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A digest string that cannot be used.
public struct DigestError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The text that was given.
    public let text: String
    /// Why it was refused.
    public let reason: String

    public var description: String { "invalid digest `\(text)`: \(reason)" }
}
