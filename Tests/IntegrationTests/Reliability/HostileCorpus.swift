import Foundation
import TestSupport
import Testing

/// The hostile strings every field is tried with (``HostileStrings``: quotes, `$()`, backticks, `;`, `|`,
/// `&`, `%`, `!`, `^`, newlines, NUL, unicode, 64 KiB), each carrying a payload that creates this run's
/// canary file if any shell on this machine or on a fleet host (all of them run here) ever executes it.
struct HostileCorpus: Sendable {
    /// A fresh id per run, so that the canary and every file the run creates are its own.
    let id = UUID().uuidString.lowercased()
    /// Strings at least; the figures in the README quote what a run reports.
    static let count = 240

    /// The file any successful injection would create.
    var canary: String { "/tmp/coordinator-canary-\(id)" }

    /// Every string carries the payload: those the generator made without it get it appended in one of
    /// several quoting contexts.
    var strings: [String] {
        let payload = HostileStrings.canaryCommand(canary)
        let wrappers: [(String) -> String] = [
            { "$(\($0))" }, { "`\($0)`" }, { "; \($0)" }, { "| \($0)" }, { "& \($0)" },
            { "\n\($0)" },
        ]
        return HostileStrings.generate(count: Self.count, payload: payload).enumerated().map { index, text in
            text.contains(payload) ? text : text + wrappers[index % wrappers.count](payload)
        }
    }

    /// The strings a command line can carry: `execve` ends every argument at its first NUL and refuses one
    /// longer than 128 KiB (`MAX_ARG_STRLEN`).
    var argumentStrings: [String] {
        strings.filter { !$0.unicodeScalars.contains("\0") && $0.utf8.count < 131_072 - 64 }
    }

    /// Which strings also go through the `coordinator` executable one by one when refused (each run costs a
    /// process start, so a sample: `$()`, newline, NUL, 64 KiB, `--help`, and one seeded pick).
    static func executableSample(_ index: Int, salt: Int) -> Bool {
        [0, 7, 16, 17, 22].contains(index) || index == 24 + (salt * 37) % (count - 24)
    }

    /// Fails the test if the canary exists (and removes it, so one injection is not reported twice).
    func expectNoInjection(_ what: String) {
        let fired = FileManager.default.fileExists(atPath: canary)
        #expect(!fired, "INJECTION: the canary \(canary) was created during \(what)")
        try? FileManager.default.removeItem(atPath: canary)
    }
}

/// Figures for one field: what happened to each string tried.
struct HostileFigures: Sendable {
    var field: String
    var tried = 0
    var rejected = 0
    var literal = 0
    /// Of those, how many ran through the `coordinator` executable (and the fleet, when accepted).
    var viaExecutable = 0
    /// Strings a command line cannot carry (NUL, over 128 KiB), counted apart.
    var notRepresentable = 0

    /// One line of the report printed by each suite.
    var line: String {
        let cells = [field, "\(tried)", "\(rejected)", "\(literal)", "\(viaExecutable)", "\(notRepresentable)", "0"]
        return "| " + cells.joined(separator: " | ") + " |"
    }

    static let header =
        "| field | tried | rejected (clear error) | passed literally | via executable | not in argv (NUL, >128 KiB) "
            + "| injections |"

    static func report(_ title: String, _ figures: [HostileFigures]) -> String {
        ([title, header] + figures.map(\.line)).joined(separator: "\n")
    }
}

extension [HostileFigures] {
    /// Adds what ran end to end (through the executable and the fleet) to each field's count.
    mutating func addViaExecutable(_ counts: [String: Int]) {
        for (field, count) in counts {
            if let index = firstIndex(where: { $0.field == field }) { self[index].viaExecutable += count }
        }
    }

    /// Prints the figures and the phases' times, and checks every field tried 200 strings or more, each
    /// either refused or kept.
    func finish(_ title: String, phases: PhaseClock) {
        print(HostileFigures.report(title, self))
        print("phases: " + phases.marks.joined(separator: ", "))
        #expect(allSatisfy { $0.tried >= 200 && $0.tried == $0.rejected + $0.literal })
    }
}

/// Wall-clock time of a suite's phases, printed with its figures.
struct PhaseClock {
    private let clock = ContinuousClock()
    private var start: ContinuousClock.Instant
    private(set) var marks: [String] = []

    init() { start = clock.now }

    /// Ends the current phase as `name`.
    mutating func mark(_ name: String) {
        marks.append("\(name) \(clock.now - start)")
        start = clock.now
    }
}

/// Whether a refusal is clear: it names `field`, fits on one line of bounded length, and shows no raw
/// control character (the hostile value is escaped and shortened).
func isClearRefusal(_ message: String, naming field: String, lineLimit: Int = 2_048) -> Bool {
    let first = message.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
    let controls = first.unicodeScalars.contains { $0.properties.generalCategory == .control }
    return first.contains(field) && first.count <= lineLimit && !controls
}

/// Creates `path` (and its parents) with `contents`; false when the file system cannot hold the name
/// (a component over 255 bytes, a path over 4 KiB).
func createHostileFile(_ path: String, contents: Data, mode: Int = 0o600) -> Bool {
    let parent = (path as NSString).deletingLastPathComponent
    do {
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        try contents.write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return FileManager.default.contents(atPath: path) == contents
    } catch {
        return false
    }
}

/// Whether `path`, with its `..` resolved, stays below `root` (so the test never writes outside its folder).
func staysInside(_ path: String, root: String) -> Bool {
    var parts: [Substring] = []
    for part in path.unicodeScalars.split(separator: "/").map({ Substring(String($0)) }) {
        if part == ".." {
            guard !parts.isEmpty else { return false }
            parts.removeLast()
        } else if part != "." {
            parts.append(part)
        }
    }
    return ("/" + parts.joined(separator: "/")).hasPrefix(root + "/")
}

/// Runs `work` over `items` with at most `width` at once, keeping the order of results.
func concurrently<Item: Sendable, Result: Sendable>(
    _ items: [Item], width: Int = 4, _ work: @escaping @Sendable (Item) async throws -> Result
) async throws -> [Result] {
    try await withThrowingTaskGroup(of: (Int, Result).self) { group in
        var results = [Result?](repeating: nil, count: items.count)
        var next = 0
        for _ in 0..<min(width, items.count) {
            let index = next
            group.addTask { (index, try await work(items[index])) }
            next += 1
        }
        while let (index, result) = try await group.next() {
            results[index] = result
            if next < items.count {
                let index = next
                group.addTask { (index, try await work(items[index])) }
                next += 1
            }
        }
        return results.compactMap { $0 }
    }
}
