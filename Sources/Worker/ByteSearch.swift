#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Array where Element == UInt8 {
    /// Where `needle` first occurs at or after `start`; `nil` when it does not occur or is empty. Searched
    /// with `memchr` for the first byte and `memcmp` for the rest: Foundation's generic `firstRange(of:)`
    /// walks indices one by one and cost more than the rest of a log line's handling.
    func firstOccurrence(of needle: [UInt8], from start: Int = 0) -> Range<Int>? {
        guard !needle.isEmpty, start >= 0, count - start >= needle.count else { return nil }
        return withUnsafeBytes { haystack in
            needle.withUnsafeBytes { wanted in
                let base = haystack.baseAddress!
                let first = Int32(wanted[0])
                let lastStart = haystack.count - wanted.count
                var offset = start
                while offset <= lastStart {
                    guard let hit = memchr(base + offset, first, lastStart - offset + 1) else { return nil }
                    let candidate = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(base + candidate, wanted.baseAddress!, wanted.count) == 0 {
                        return candidate..<candidate + wanted.count
                    }
                    offset = candidate + 1
                }
                return nil
            }
        }
    }

    /// Whether `needle` occurs (see ``firstOccurrence(of:from:)``).
    func containsBytes(_ needle: [UInt8]) -> Bool {
        firstOccurrence(of: needle) != nil
    }
}
