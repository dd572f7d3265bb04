#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// POSIX tar headers (ustar, with pax extended headers for what ustar cannot hold), written the same way
/// every time: owner and group 0 with no names, no device numbers, the entry's permission bits and
/// modification seconds.
enum TarHeader {
    static let blockSize = 512
    /// The largest value an 11-digit octal field holds (8 GiB - 1).
    static let largestOctal11: Int64 = 0o77777777777

    /// The header blocks for `entry` (a pax header first when needed); directories get a trailing `/`.
    /// With `hardLink`, a hard link (type `1`, no content) to that member.
    static func blocks(for entry: ContextEntry, hardLink: String? = nil) -> [UInt8] {
        var name = Array(entry.path.utf8)
        var size: Int64 = 0
        var type: UInt8
        var link: [UInt8] = []
        switch entry.kind {
        case .directory:
            name.append(UInt8(ascii: "/"))
            type = UInt8(ascii: "5")
        case .file(let fileSize):
            size = fileSize
            type = UInt8(ascii: "0")
        case .symlink(let target):
            link = Array(target.utf8)
            type = UInt8(ascii: "2")
        }
        if let hardLink {
            size = 0
            link = Array(hardLink.utf8)
            type = UInt8(ascii: "1")
        }
        var records: [(String, [UInt8])] = []
        let split = splitName(name)
        if split == nil {
            records.append(("path", name))
        }
        if link.count > 100 {
            records.append(("linkpath", link))
        }
        if size > largestOctal11 {
            records.append(("size", Array(String(size).utf8)))
        }
        let mtime = entry.modificationTime
        if mtime < 0 || mtime > largestOctal11 {
            records.append(("mtime", Array(String(mtime).utf8)))
        }
        var result: [UInt8] = []
        if !records.isEmpty {
            let body = paxBody(records)
            let paxName = Array("PaxHeaders.0/".utf8) + Array(name.suffix(80))
            result += header(
                prefix: [], name: Array(paxName.prefix(100)), mode: 0o644, size: Int64(body.count), mtime: 0,
                type: UInt8(ascii: "x"), link: [])
            result += body
            result += [UInt8](repeating: 0, count: padding(for: Int64(body.count)))
        }
        let (prefix, shortName) = split ?? ([], Array(name.suffix(100)))
        result += header(
            prefix: prefix, name: shortName, mode: entry.mode,
            size: size > largestOctal11 ? 0 : size,
            mtime: (0...largestOctal11).contains(mtime) ? mtime : 0, type: type, link: Array(link.prefix(100)))
        return result
    }

    /// Zero bytes that fill the last block of `size` bytes of content.
    static func padding(for size: Int64) -> Int {
        let remainder = Int(size % Int64(blockSize))
        return remainder == 0 ? 0 : blockSize - remainder
    }

    /// The end-of-archive marker: two zero blocks.
    static let end = [UInt8](repeating: 0, count: 2 * blockSize)

    /// Splits a name into ustar's prefix (155) and name (100) at a `/`, or nil when it cannot be.
    static func splitName(_ name: [UInt8]) -> ([UInt8], [UInt8])? {
        if name.count <= 100 {
            return ([], name)
        }
        // The last `/` that leaves at most 100 bytes after it and at most 155 before it; a directory's
        // trailing `/` cannot be the split point.
        let searchable = name.last == UInt8(ascii: "/") ? name.dropLast() : name[...]
        for index in searchable.indices.reversed() where searchable[index] == UInt8(ascii: "/") {
            let prefix = name[..<index]
            let rest = name[(index + 1)...]
            if rest.count > 100 {
                return nil
            }
            if prefix.count <= 155, !rest.isEmpty {
                return (Array(prefix), Array(rest))
            }
        }
        return nil
    }

    /// pax records `"%d %s=%s\n"`, where the leading number counts the whole record including itself.
    static func paxBody(_ records: [(String, [UInt8])]) -> [UInt8] {
        var body: [UInt8] = []
        for (key, value) in records {
            let payload = Array(" \(key)=".utf8) + value + [UInt8(ascii: "\n")]
            var length = payload.count + 1
            while String(length).utf8.count + payload.count != length {
                length = String(length).utf8.count + payload.count
            }
            body += Array(String(length).utf8) + payload
        }
        return body
    }

    static func header(
        prefix: [UInt8], name: [UInt8], mode: UInt32, size: Int64, mtime: Int64, type: UInt8, link: [UInt8]
    ) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: blockSize) { block, initialized in
            let base = UnsafeMutableRawPointer(block.baseAddress!)
            _ = memset(base, 0, blockSize)
            func put(_ bytes: [UInt8], at offset: Int) {
                bytes.withUnsafeBytes { _ = memcpy(base + offset, $0.baseAddress!, $0.count) }
            }
            func octal(_ value: Int64, width: Int, at offset: Int) {
                put(Array(String(value, radix: 8).leftPadded(to: width - 1).utf8), at: offset)
            }
            put(name, at: 0)
            octal(Int64(mode), width: 8, at: 100)
            octal(0, width: 8, at: 108)
            octal(0, width: 8, at: 116)
            octal(size, width: 12, at: 124)
            octal(mtime, width: 12, at: 136)
            _ = memset(base + 148, Int32(UInt8(ascii: " ")), 8)
            block[156] = type
            put(link, at: 157)
            put(Array("ustar\u{0}00".utf8), at: 257)
            octal(0, width: 8, at: 329)
            octal(0, width: 8, at: 337)
            put(prefix, at: 345)
            var checksum = 0
            for index in 0..<blockSize {
                checksum &+= Int(block[index])
            }
            put(Array(String(checksum, radix: 8).leftPadded(to: 6).utf8) + [0, UInt8(ascii: " ")], at: 148)
            initialized = blockSize
        }
    }
}
