import Foundation
import TestSupport
import Testing

@testable import Worker

/// Bounded property tests of the `.dockerignore` reader and matcher: seeded random ignore files (random
/// bytes, glob soup, deep `**/` chains, 64 KiB lines, thousands of lines) against random and very long
/// paths. Nothing may crash or hang (every case has a time bound), a refused file says which pattern and
/// why, and a small regular-expression pattern must answer exactly as an independent engine
/// (ICU's, via NSRegularExpression) answers for the expression Docker would build.
@Suite("Fuzz: .dockerignore matcher")
struct FuzzDockerIgnoreTests {
    /// How many ignore files the main property test tries.
    static let cases = 20_000
    /// The most CPU time one case (compile + match four paths) may take, even for a pathological pattern.
    static let caseLimit: Duration = .seconds(1)
    /// CPU time under which a pathological pattern's decision on one PATH_MAX-sized path passes outright (debug
    /// build). Above it, the decision must grow at most linearly with the path (see `pathologicalGlobs`).
    static let pathologicalLimit: Duration = .seconds(2)

    static let fragments: [String] = [
        "*", "**", "**/", "?", "[", "]", "[^", "[!", "\\", "!", "#", "/", ".", "..", "a", "b", "ab", "é",
        "\u{301}", " ", "\t", "\r", "-", "[a-c]", "[:alpha:]", "[[:digit:]]", "{", "}", "(", ")", "|", "+", "$",
        "^", "\u{0}", "\u{FEFF}", "日", "x.txt", "\\*", "\\[", "[]a]", "[a-]", "\u{FFFF}",
    ]
    static let names = ["a", "b", "ab", "ba", "é", "x.txt", ".hidden", "a b", "[x]", "*", "\u{301}", "aaaaaaaa"]

    @Test("20,000 seeded ignore files and paths: no crash, no hang, a reason for every refusal")
    func randomIgnoreFiles() async throws {
        // CPU-bound: runs off the cooperative pool (see OffPool), expectations checked on it afterwards.
        let (compiled, outcome) = try await OffPool.run { () -> (Int, BoundedCases.Outcome) in
            var random = SplitMix64(seed: 0xD0C1_6E0E)
            var compiled = 0
            let outcome = BoundedCases.run(count: Self.cases, limit: Self.caseLimit) { index in
                let contents = Self.ignoreFile(&random, index: index)
                // Long paths (64 levels, a 4 KiB name) in one case of 50, never with a 64 KiB pattern: the
                // pathological test pairs long patterns with long paths.
                let paths = (0..<4).map { _ in Self.path(&random, short: contents.count > 4_096 || index % 50 != 0) }
                do {
                    let ignore = try DockerIgnore(contents: contents)
                    compiled += 1
                    for path in paths {
                        let excluded = ignore.excludes(path)
                        if GoPath.clean(path) == path, !path.unicodeScalars.contains("/"),
                            excluded != ignore.matches(path, parent: .root(for: ignore)).excluded
                        {
                            return "excludes and matches disagree on \(path.debugDescription)"
                        }
                    }
                    return nil
                } catch let error as DockerIgnoreError {
                    let clear = !error.problem.isEmpty && error.description.contains("Docker refuses it too")
                    return clear ? nil : "unclear refusal: \(error)"
                } catch {
                    return "unexpected error type: \(error)"
                }
            }
            return (compiled, outcome)
        }
        print("fuzz .dockerignore: \(Self.cases) files, \(compiled) compiled, slowest \(outcome.slowest)")
        #expect(outcome.failures.isEmpty, "\(outcome.failures.prefix(10))")
        #expect(compiled > Self.cases / 4 && compiled < Self.cases)
    }

    @Test(
        "pathological globs decide a long path within the bound",
        arguments: [
            "**/**/**/**/*a*a*a*a*b", String(repeating: "*a", count: 64) + "*b",
            String(repeating: "**/", count: 5_000) + "x",
            String(repeating: "a/**/", count: 2_000) + "b", String(repeating: "?", count: 4_096),
            String(repeating: "[a-z]*", count: 500), "!" + String(repeating: "**/", count: 5_000) + "*a*b",
            String(repeating: "\\*", count: 20_000),
        ])
    func pathologicalGlobs(pattern: String) async throws {
        // CPU-bound (seconds for the worst pattern): off the cooperative pool, checked on it afterwards.
        let slow = try await OffPool.run { () -> [String] in
            let ignore = try DockerIgnore(contents: Array(pattern.utf8))
            // PATH_MAX-sized paths: 4 KiB in one name, 500 levels, 300 two-letter levels.
            let paths = [
                String(repeating: "a", count: 4_095), String(repeating: "a/", count: 500) + "c",
                (0..<300).map { _ in "ab" }.joined(separator: "/") + "/b",
            ]
            // One directory's decision (what the context walk pays per directory; the walk pays it once per level,
            // so a tree N levels deep costs N of these, as in Docker). Docker's matcher (Go's regexp) takes time
            // proportional to pattern × path; so must this one. A quick decision passes; a slow one (500 `[a-z]*`
            // against 4,095 letters takes about 4.5 s of CPU in a debug build) must take at most 3 times what the
            // path's first half takes: twice is linear, 4 times quadratic, a backtracking blow-up far more.
            var slow: [String] = []
            for path in paths {
                let elapsed = ThreadCPUTime.measure { _ = ignore.matches(path, parent: .root(for: ignore)) }
                guard elapsed >= Self.pathologicalLimit else { continue }
                let half = String(path.prefix(path.count / 2))
                let halfElapsed = ThreadCPUTime.measure { _ = ignore.matches(half, parent: .root(for: ignore)) }
                if elapsed >= halfElapsed * 3 {
                    slow.append("\(pattern.prefix(24))… (\(pattern.count)) vs \(path.prefix(24))… (\(path.count)): "
                        + "\(elapsed), against \(halfElapsed) for its first half")
                }
            }
            return slow
        }
        #expect(slow.isEmpty, "\(slow)")
    }

    @Test("5,000 small patterns match exactly as ICU's engine matches the expression Docker builds")
    func agreesWithAnotherEngine() async throws {
        // CPU-bound: runs off the cooperative pool (see OffPool), expectations checked on it afterwards.
        let (compared, disagreements) = try await OffPool.run { () -> (Int, [String]) in
            var random = SplitMix64(seed: 0x1C0)
            let alphabet = ["a", "b", "/", "*", "**", "?", ".", "[ab]", "[^a]", "\\.", "é"]
            var compared = 0
            var disagreements: [String] = []
            for index in 0..<5_000 {
                let text = (0..<Int(random.next() % 7 + 1)).map { _ in
                    alphabet[Int(random.next() % UInt64(alphabet.count))]
                }
                .joined()
                guard let pattern = try? IgnorePattern(text), pattern.kind == .regex else { continue }
                let expression = try NSRegularExpression(pattern: pattern.regex)
                for _ in 0..<6 {
                    let path = (0..<Int(random.next() % 4 + 1)).map { _ in
                        ["a", "b", "ab", "é", ".a", "a.b"][Int(random.next() % 6)]
                    }
                    .joined(separator: "/")
                    let range = NSRange(path.startIndex..., in: path)
                    let theirs = expression.firstMatch(in: path, range: range) != nil
                    if pattern.matches(Array(path.unicodeScalars)) != theirs {
                        disagreements.append(
                            "case \(index): \(text.debugDescription) → \(pattern.regex) on \(path.debugDescription)")
                    }
                    compared += 1
                }
            }
            return (compared, disagreements)
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(10))")
        #expect(compared > 5_000)
    }

    /// One generated ignore file; the kind rotates so every shape is well represented.
    static func ignoreFile(_ random: inout SplitMix64, index: Int) -> [UInt8] {
        switch index % 6 {
        case 0:
            return (0..<Int(random.next() % 200)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        case 1, 2:
            return Array(lines(&random, count: Int(random.next() % 8) + 1, pieces: 12).utf8)
        case 3:
            let depth = Int(random.next() % 400) + 1
            let tail = String(repeating: "*a", count: Int(random.next() % 8) + 1) + "*b"
            return Array((String(repeating: "**/", count: depth) + tail).utf8)
        case 4:
            return index % 1_000 == 4
                ? Array(
                    String(repeating: fragments[Int(random.next() % UInt64(fragments.count))], count: 65_536 / 4).utf8)
                : Array(lines(&random, count: 40, pieces: 4).utf8)
        default:
            return Array(
                ("\u{FEFF}" + lines(&random, count: 3, pieces: 6) + "\r\n!" + lines(&random, count: 1, pieces: 3)).utf8)
        }
    }

    static func lines(_ random: inout SplitMix64, count: Int, pieces: Int) -> String {
        (0..<count).map { _ in
            (0..<Int(random.next() % UInt64(pieces)) + 1).map { _ in
                fragments[Int(random.next() % UInt64(fragments.count))]
            }
            .joined()
        }.joined(separator: "\n")
    }

    /// A relative path: usually short or up to 16 levels, sometimes 64 levels or one 4 KiB name (unless `short`).
    static func path(_ random: inout SplitMix64, short: Bool = false) -> String {
        switch random.next() % 10 {
        case 0 where !short: return String(repeating: "a/", count: Int(random.next() % 64) + 1) + "b"
        case 1 where !short: return String(repeating: "a", count: 4_095)
        case 2: return String(repeating: "ab/", count: Int(random.next() % 16) + 1) + "x.txt"
        default:
            return (0..<Int(random.next() % 5) + 1).map { _ in names[Int(random.next() % UInt64(names.count))] }
                .joined(separator: "/")
        }
    }
}
