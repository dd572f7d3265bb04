import CSSH2

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A self-pipe that lets any thread interrupt a session thread sleeping in `poll`.
final class WakePipe: Sendable {
    /// Poll this for `POLLIN`; call ``drain()`` when it fires.
    let readEnd: Int32
    private let writeEnd: Int32
    private let isOpen = Locked(true)

    init() throws(SSHError) {
        var fds: [Int32] = [-1, -1]
        #if os(Linux)
        let rc = cssh2_pipe_nonblocking(&fds)
        #else
        let rc = pipe(&fds)
        if rc == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        }
        #endif
        guard rc == 0 else {
            throw SSHError(.internalError, host: "", "cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    /// Wakes the session thread; harmless after ``close()``.
    func wake() {
        isOpen.withLock { open in
            guard open else { return }
            var byte: UInt8 = 1
            _ = write(writeEnd, &byte, 1)  // a full pipe already guarantees a wake-up
        }
    }

    /// Empties the pipe (session thread).
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(readEnd, &buffer, buffer.count) > 0 {}
    }

    /// Closes both ends (session thread, last thing it does).
    func close() {
        isOpen.withLock { open in
            guard open else { return }
            open = false
            closeDescriptor(readEnd)
            closeDescriptor(writeEnd)
        }
    }
}

/// `close(2)`, named so it does not collide with methods called `close`.
func closeDescriptor(_ fd: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(fd)
    #elseif canImport(Darwin)
    _ = Darwin.close(fd)
    #endif
}
