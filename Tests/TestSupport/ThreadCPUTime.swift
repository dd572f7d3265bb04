#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// CPU time of the calling thread, for time bounds in property tests: unlike wall time it does not grow when
/// other processes load the machine, so "no case may take longer than N" stays meaningful on a busy CI host.
public enum ThreadCPUTime {
    /// CPU time the calling thread has used so far.
    public static var now: Duration {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return .seconds(Int64(time.tv_sec)) + .nanoseconds(Int64(time.tv_nsec))
    }

    /// Runs `body` on the calling thread and returns the CPU time it used.
    public static func measure(_ body: () throws -> Void) rethrows -> Duration {
        let start = now
        try body()
        return now - start
    }
}
