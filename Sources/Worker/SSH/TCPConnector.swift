#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opens the TCP connection under a session: every resolved address in turn (IPv6 and IPv4),
/// each bounded by the deadline and interruptible through the session's wake pipe.
enum TCPConnector {
    /// Returns a connected, non-blocking, close-on-exec socket.
    /// - Parameter isCancelled: polled whenever the wake pipe fires.
    static func connect(
        target: SSHTarget,
        deadline: ContinuousClock.Instant,
        wake: WakePipe,
        isCancelled: () -> Bool
    ) throws -> Int32 {
        let host = target.hostAddress
        guard !host.isEmpty else {
            throw SSHError(.invalidTarget, host: target.name, "host \(target.name) has an empty address: set its address")
        }
        guard (1...65535).contains(target.port) else {
            throw SSHError(.invalidTarget, host: target.name, "host \(target.name) has port \(target.port): use 1-65535")
        }
        let addresses = try resolve(host: host, port: target.port, target: target)
        defer { freeaddrinfo(addresses) }

        var failures: [String] = []
        var lastKind: SSHError.Kind = .connectFailed
        var entry: UnsafeMutablePointer<addrinfo>? = addresses
        while let info = entry {
            entry = info.pointee.ai_next
            if isCancelled() { throw CancellationError() }
            let outcome = attempt(info.pointee, deadline: deadline, wake: wake, isCancelled: isCancelled)
            switch outcome {
            case .connected(let fd):
                return fd
            case .cancelled:
                throw CancellationError()
            case .failed(let kind, let reason):
                lastKind = kind
                failures.append("\(describe(info.pointee)): \(reason)")
            }
            if lastKind == .connectTimeout { break }
        }
        let detail = failures.joined(separator: "; ")
        switch lastKind {
        case .connectionRefused:
            throw SSHError(.connectionRefused, host: target.name,
                "cannot connect to \(target.displayName): connection refused (\(detail)); is sshd running and listening on port \(target.port)?")
        case .connectTimeout:
            throw SSHError(.connectTimeout, host: target.name,
                "cannot connect to \(target.displayName): no answer within \(target.connectTimeout) (\(detail)); check the address, the port and any firewall")
        default:
            throw SSHError(.connectFailed, host: target.name,
                "cannot connect to \(target.displayName): \(detail)")
        }
    }

    private enum Outcome {
        case connected(Int32)
        case failed(SSHError.Kind, String)
        case cancelled
    }

    private static func resolve(host: String, port: Int, target: SSHTarget) throws -> UnsafeMutablePointer<addrinfo> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if os(Linux)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let result else {
            let reason = rc == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(rc))
            throw SSHError(.resolutionFailed, host: target.name,
                "cannot resolve \(host) for host \(target.name): \(reason); check the inventory address or the HostName in ~/.ssh/config")
        }
        return result
    }

    private static func attempt(
        _ info: addrinfo, deadline: ContinuousClock.Instant, wake: WakePipe, isCancelled: () -> Bool
    ) -> Outcome {
        #if os(Linux)
        let type = info.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        #else
        let type = info.ai_socktype
        #endif
        let fd = socket(info.ai_family, type, info.ai_protocol)
        guard fd >= 0 else { return .failed(.connectFailed, "socket(): \(String(cString: strerror(errno)))") }
        var keep = false
        defer { if !keep { closeDescriptor(fd) } }
        #if !os(Linux)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        #endif
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))

        if Glibc.connect(fd, info.ai_addr, info.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else { return failure(errno) }
            while true {
                let remaining = deadline - ContinuousClock.now
                if remaining <= .zero { return .failed(.connectTimeout, "timed out") }
                var fds = [
                    pollfd(fd: fd, events: Int16(POLLOUT), revents: 0),
                    pollfd(fd: wake.readEnd, events: Int16(POLLIN), revents: 0),
                ]
                let rc = poll(&fds, 2, Int32(clamping: remaining.milliseconds + 1))
                if rc < 0 && errno != EINTR { return failure(errno) }
                if fds[1].revents != 0 {
                    wake.drain()
                    if isCancelled() { return .cancelled }
                }
                if fds[0].revents != 0 { break }
            }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else { return failure(errno) }
            if error != 0 { return failure(error) }
        }
        keep = true
        return .connected(fd)
    }

    private static func failure(_ code: Int32) -> Outcome {
        let reason = String(cString: strerror(code))
        switch code {
        case ECONNREFUSED: return .failed(.connectionRefused, reason)
        case ETIMEDOUT: return .failed(.connectTimeout, reason)
        default: return .failed(.connectFailed, reason)
        }
    }

    private static func describe(_ info: addrinfo) -> String {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(info.ai_addr, info.ai_addrlen, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else {
            return "address"
        }
        return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
