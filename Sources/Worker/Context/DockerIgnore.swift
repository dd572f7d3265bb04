/// The patterns of a `.dockerignore` file, matched exactly as Docker matches them when it sends a build
/// context (moby/patternmatcher as used by BuildKit's file walker, tonistiigi/fsutil).
///
/// Reading (moby/patternmatcher/ignorefile `ReadAll`): a UTF-8 BOM on the first line is dropped; lines that
/// start with `#` are comments; each line is trimmed; a leading `!` marks an exception and is trimmed
/// again; the rest is cleaned with Go's `filepath.Clean` and a leading `/` is removed.
/// Matching: the last pattern that matches a path decides; a path also matches a pattern its parent
/// directory matched (see ``ContextWalker``).
public struct DockerIgnore: Sendable {
    /// The compiled patterns in file order.
    public let patterns: [IgnorePattern]
    /// Whether any pattern is an exception (`!`).
    public let hasExceptions: Bool
    /// Whether every exception is a plain path (no wildcard other than a trailing `/*` or `/**`): then a
    /// directory that is excluded is skipped unless an exception lies below it (fsutil's optimisation).
    let onlyPrefixExceptions: Bool

    /// Reads and compiles an ignore file's bytes; `file` names it in errors.
    /// - Throws: ``DockerIgnoreError`` for a pattern Docker would refuse.
    public init(contents: [UInt8], file: String = ".dockerignore") throws {
        try self.init(patterns: Self.readPatterns(contents), file: file)
    }

    /// Compiles patterns already read with ``readPatterns(_:)``.
    public init(patterns lines: [String], file: String = ".dockerignore") throws {
        var compiled: [IgnorePattern] = []
        for line in lines {
            if let pattern = try IgnorePattern(line, file: file) {
                compiled.append(pattern)
            }
        }
        patterns = compiled
        hasExceptions = compiled.contains { $0.isException }
        onlyPrefixExceptions = compiled.allSatisfy { pattern in
            !pattern.isException || !pattern.withoutTrailingGlob.unicodeScalars.contains { "*[]?^\\".unicodeScalars.contains($0) }
        }
    }

    /// The patterns of an ignore file, cleaned as Docker's `ReadAll` does.
    public static func readPatterns(_ contents: [UInt8]) -> [String] {
        var bytes = contents[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            bytes = bytes.dropFirst(3)
        }
        var patterns: [String] = []
        for rawLine in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            var line = String(decoding: rawLine, as: UTF8.self)
            if GoPath.hasPrefix(line, "#") {
                continue
            }
            line = goTrimSpace(line)
            if line.isEmpty {
                continue
            }
            let invert = GoPath.hasPrefix(line, "!")
            if invert {
                line = goTrimSpace(String(line.unicodeScalars.dropFirst()))
            }
            if !line.isEmpty {
                line = GoPath.clean(line)
                if line.unicodeScalars.count > 1, GoPath.hasPrefix(line, "/") {
                    line = String(line.unicodeScalars.dropFirst())
                }
            }
            patterns.append(invert ? "!" + line : line)
        }
        return patterns
    }

    /// Go's `strings.TrimSpace`: trims Unicode white space (which includes `\r`, so CRLF files work).
    static func goTrimSpace(_ value: String) -> String {
        let scalars = value.unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[start...end])
    }
}

/// Which patterns a path or one of its parent directories matched (moby/patternmatcher `MatchInfo`).
public struct IgnoreMatchState: Sendable, Hashable {
    var matchedPatterns: [Bool]

    /// The state of the context's root: no pattern matched.
    public static func root(for ignore: DockerIgnore) -> IgnoreMatchState {
        IgnoreMatchState(matchedPatterns: Array(repeating: false, count: ignore.patterns.count))
    }
}

extension DockerIgnore {
    /// Whether `path` (relative, `/`-separated) is excluded, given the state of its parent directory;
    /// returns the state to pass for the path's own children (moby/patternmatcher
    /// `MatchesUsingParentResults`: a pattern the parent matched is matched by the child).
    public func matches(_ path: String, parent: IgnoreMatchState) -> (excluded: Bool, state: IgnoreMatchState) {
        let scalars = Array(path.unicodeScalars)
        var matched = false
        var state = IgnoreMatchState(matchedPatterns: Array(repeating: false, count: patterns.count))
        for (index, pattern) in patterns.enumerated() {
            var match = parent.matchedPatterns[index]
            if !match {
                if pattern.isException != matched {
                    continue
                }
                match = pattern.matches(scalars)
            }
            state.matchedPatterns[index] = match
            if match {
                matched = !pattern.isException
            }
        }
        return (matched, state)
    }

    /// Whether `path` is excluded, chaining ``matches(_:parent:)`` through its parent directories exactly as
    /// the context walk does; for one-off questions such as "is the Dockerfile excluded?".
    public func excludes(_ path: String) -> Bool {
        let components = GoPath.clean(path).unicodeScalars.split(separator: "/").map(String.init)
        var state = IgnoreMatchState.root(for: self)
        var excluded = false
        for depth in components.indices {
            (excluded, state) = matches(components[...depth].joined(separator: "/"), parent: state)
        }
        return excluded
    }

    /// Whether the walk may skip everything below an excluded directory (fsutil's optimisation, kept so
    /// that the set of files sent is the same as Docker's in every case).
    func canSkipContents(ofExcludedDirectory path: String) -> Bool {
        guard onlyPrefixExceptions else { return false }
        guard hasExceptions else { return true }
        let directory = path + "/"
        return !patterns.contains { pattern in
            pattern.isException
                && (pattern.withoutTrailingGlob + "/").unicodeScalars.starts(with: directory.unicodeScalars)
        }
    }
}
