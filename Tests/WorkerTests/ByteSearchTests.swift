import Testing

@testable import Worker

/// The byte search that log lines, the process-group marker and the gate's ready line go through.
@Suite("Byte search")
struct ByteSearchTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var haystack: String
        var needle: String
        var from: Int
        var expected: Range<Int>?
        var testDescription: String { "\(needle) in \(haystack) from \(from)" }
    }

    @Test("finds the first occurrence at or after the start, like a scan of every position", arguments: [
        Case(haystack: "abcabc", needle: "abc", from: 0, expected: 0..<3),
        Case(haystack: "abcabc", needle: "abc", from: 1, expected: 3..<6),
        Case(haystack: "aaab", needle: "aab", from: 0, expected: 1..<4),
        Case(haystack: "xxpush", needle: "push", from: 0, expected: 2..<6),
        Case(haystack: "pus", needle: "push", from: 0, expected: nil),
        Case(haystack: "abc", needle: "", from: 0, expected: nil),
        Case(haystack: "", needle: "a", from: 0, expected: nil),
        Case(haystack: "abcabc", needle: "abc", from: 4, expected: nil),
        Case(haystack: "naïve café", needle: "café", from: 0, expected: 7..<12),
    ])
    func firstOccurrence(_ test: Case) {
        let haystack = Array(test.haystack.utf8)
        let needle = Array(test.needle.utf8)
        #expect(haystack.firstOccurrence(of: needle, from: test.from) == test.expected)
        let scanned = needle.isEmpty ? nil : (test.from...max(test.from, haystack.count - needle.count))
            .first { $0 + needle.count <= haystack.count && Array(haystack[$0..<$0 + needle.count]) == needle }
            .map { $0..<$0 + needle.count }
        #expect(scanned == test.expected, "the expectation itself agrees with a plain scan")
    }

    @Test("the ready line counts only at the start of a line, also when an earlier copy is not")
    func readyLineAtLineStart() {
        let ready = Array("@@ready 1\n".utf8)
        let output = Array("echo @@ready 1\nanswers\n@@ready 1\nbuild".utf8)
        let range = GatedBuildCommand.readyLine(ready, in: output, from: 0)
        #expect(range.map { String(decoding: output[$0], as: UTF8.self) } == "@@ready 1\n")
        #expect(range?.lowerBound == 23)
        #expect(GatedBuildCommand.readyLine(ready, in: Array("x@@ready 1\n".utf8), from: 0) == nil)
    }
}
