import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener that accepts connections and never says anything.
public final class SilentListener {
    public let fd: Int32
    public let port: Int

    public init(address: String) throws {
        let isIPv6 = address.contains(":")
        let fd = socket(isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        self.fd = fd
        guard withSocketAddress(address, port: 0, { bind(fd, $0, $1) }) == 0 else { throw POSIXError(.EADDRNOTAVAIL) }
        guard listen(fd, 16) == 0 else { throw POSIXError(.EIO) }
        port = Self.localPort(fd)
    }

    public static func localPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let family = storage.ss_family
        return withUnsafePointer(to: &storage) { pointer -> Int in
            if family == sa_family_t(AF_INET6) {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }

    deinit {
        close(fd)
    }
}

/// Calls `body` with `address:port` (IPv4 or IPv6 literal) as a `sockaddr` and its length.
public func withSocketAddress<Result>(
    _ address: String, port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result
) -> Result {
    var storage = sockaddr_storage()
    let length = withUnsafeMutablePointer(to: &storage) { pointer -> socklen_t in
        if address.contains(":") {
            return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { ipv6 in
                ipv6.pointee.sin6_family = sa_family_t(AF_INET6)
                ipv6.pointee.sin6_port = in_port_t(UInt16(port).bigEndian)
                inet_pton(AF_INET6, address, &ipv6.pointee.sin6_addr)
                return socklen_t(MemoryLayout<sockaddr_in6>.size)
            }
        }
        return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { ipv4 in
            ipv4.pointee.sin_family = sa_family_t(AF_INET)
            ipv4.pointee.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, address, &ipv4.pointee.sin_addr)
            return socklen_t(MemoryLayout<sockaddr_in>.size)
        }
    }
    return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) } }
}
