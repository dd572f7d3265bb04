/// Runs the cases of a seeded property test one by one, each timed on the thread's CPU clock
/// (``ThreadCPUTime``), so that "nothing hangs" is checked per case even on a loaded machine.
public enum BoundedCases {
    /// What the cases found.
    public struct Outcome: Sendable {
        /// The most CPU time one case took.
        public var slowest: Duration = .zero
        /// `case N: problem` for every case that reported a problem or went over the limit.
        public var failures: [String] = []
    }

    /// Runs `body` for cases `0..<count`; `body` returns a problem, or nil when the case holds.
    public static func run(count: Int, limit: Duration, _ body: (Int) -> String?) -> Outcome {
        var outcome = Outcome()
        for index in 0..<count {
            var problem: String?
            let elapsed = ThreadCPUTime.measure { problem = body(index) }
            outcome.slowest = max(outcome.slowest, elapsed)
            if let problem { outcome.failures.append("case \(index): \(problem)") }
            if elapsed > limit { outcome.failures.append("case \(index) took \(elapsed) of CPU, over \(limit)") }
        }
        return outcome
    }
}

extension SplitMix64 {
    /// Applies 1 to `rounds` random edits to `bytes`: overwrite, delete or insert a byte, or repeat up to
    /// `copyLength` bytes in place.
    public mutating func mutate(_ bytes: inout [UInt8], rounds: UInt64 = 4, copyLength: Int = 16) {
        for _ in 0...(next() % rounds) where !bytes.isEmpty {
            let at = Int(next() % UInt64(bytes.count))
            switch next() % 4 {
            case 0: bytes[at] = UInt8(truncatingIfNeeded: next())
            case 1: bytes.remove(at: at)
            case 2: bytes.insert(UInt8(truncatingIfNeeded: next()), at: at)
            default: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + copyLength)], at: at)
            }
        }
    }
}
