import CSSH2
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The ceiling for the SSH layer: libssh2 alone, in blocking mode on a thread of its own, writing the
/// file to `cat > /dev/null` in 1 MiB calls (what `scripts/bench/transfer-methods.c` does in C). No
/// event loop, no queues, no host key check: whatever the layer costs on top of libssh2 shows as the
/// gap between this and `stream`.
struct RawLibSSH2 {
    let address: String
    let port: Int
    let user: String
    let key: String
    let file: String

    /// Connects, authenticates, streams the file, closes; on a dedicated thread. Returns the
    /// negotiated client-to-server cipher and MAC.
    func upload() async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try run() }) }
            thread.start()
        }
    }

    private func run() throws -> String {
        guard libssh2_init(0) == 0 else { throw BenchError("libssh2_init failed") }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, self.address, &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw BenchError("raw: cannot connect to \(self.address):\(port)") }
        guard let session = cssh2_session_init() else { throw BenchError("raw: no session") }
        defer { libssh2_session_free(session) }
        libssh2_session_set_blocking(session, 1)
        guard cssh2_session_handshake(session, fd) == 0 else { throw BenchError("raw: handshake failed") }
        guard cssh2_userauth_publickey_fromfile(session, user, nil, key, "") == 0 else {
            throw BenchError("raw: authentication failed")
        }
        guard let channel = cssh2_channel_open_session(session) else { throw BenchError("raw: no channel") }
        guard cssh2_channel_exec(channel, "cat > /dev/null") == 0 else { throw BenchError("raw: exec failed") }
        let input = open(file, O_RDONLY)
        defer { close(input) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while case let count = read(input, buffer.baseAddress, buffer.count), count > 0 {
            var offset = 0
            while offset < count {
                let sent = cssh2_channel_write(
                    channel, buffer.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self), count - offset)
                guard sent > 0 else { throw BenchError("raw: write failed (\(sent))") }
                offset += sent
            }
        }
        _ = cssh2_channel_send_eof(channel)
        var sink = [CChar](repeating: 0, count: 4096)
        while cssh2_channel_read(channel, &sink, sink.count) > 0 {}
        _ = libssh2_channel_wait_closed(channel)
        let status = libssh2_channel_get_exit_status(channel)
        _ = libssh2_channel_free(channel)
        let methods = String(cString: libssh2_session_methods(session, LIBSSH2_METHOD_CRYPT_CS))
            + " + " + String(cString: libssh2_session_methods(session, LIBSSH2_METHOD_MAC_CS))
        _ = cssh2_session_disconnect(session, "done")
        guard status == 0 else { throw BenchError("raw: remote cat ended with \(status)") }
        return methods
    }
}
