/// One `.dockerignore` pattern compiled as moby/patternmatcher compiles it.
///
/// patternmatcher turns a pattern into one of four matchers: an exact string (no wildcard), a prefix
/// (`foo/**`), a suffix (`**/foo`), or a regular expression built character by character: `*` → `[^/]*`,
/// `?` → `[^/]`, `**` → `(.*/)?` (or `.*` at the end), `\x` → `\x`, `.+()|{}$` escaped, everything else
/// (including `[`, `]` and `^`) copied. The expression is then evaluated with Go's RE2 semantics
/// (``GoRegex``), so unusual patterns behave as in Docker, quirks included.
public struct IgnorePattern: Sendable, Hashable {
    /// How a compiled pattern is evaluated.
    public enum Kind: Sendable, Hashable {
        /// The path equals the pattern.
        case exact
        /// The path starts with the pattern minus its trailing `**`.
        case prefix
        /// The path ends with the pattern minus its leading `**` (or equals it minus `**/`).
        case suffix
        /// The path matches ``IgnorePattern/regex``.
        case regex
    }

    /// The pattern after cleaning, without its `!`.
    public let pattern: String
    /// Whether the pattern is an exception (`!pattern`), which re-includes what it matches.
    public let isException: Bool
    /// How the pattern is evaluated.
    public let kind: Kind
    /// The regular expression patternmatcher builds (also for other kinds, for diagnostics).
    public let regex: String
    private let program: GoRegex?
    private let scalars: [Unicode.Scalar]

    /// Compiles one line as produced by ``DockerIgnore/readPatterns(_:)``; nil for a blank line.
    /// - Throws: ``DockerIgnoreError`` for `!` alone, a malformed glob or a regular expression Go refuses.
    public init?(_ line: String, file: String = ".dockerignore") throws {
        var text = DockerIgnore.goTrimSpace(line)
        if text.isEmpty {
            return nil
        }
        text = GoPath.clean(text)
        var exception = false
        if GoPath.hasPrefix(text, "!") {
            if text.unicodeScalars.count == 1 {
                throw DockerIgnoreError(file: file, pattern: line, problem: "is an exception with no path (\"!\")")
            }
            exception = true
            text = String(text.unicodeScalars.dropFirst())
        }
        if let problem = GoGlob.syntaxError(in: text) {
            throw DockerIgnoreError(file: file, pattern: text, problem: problem)
        }
        pattern = text
        isException = exception
        scalars = Array(text.unicodeScalars)
        let (kind, regex) = Self.compile(scalars)
        self.kind = kind
        self.regex = regex
        if kind == .regex {
            do {
                program = try GoRegex(Self.collapsingGlobstars(regex))
            } catch let error as GoRegex.SyntaxError {
                throw DockerIgnoreError(file: file, pattern: text, problem: "becomes the expression \(regex), which "
                    + "Go's regexp refuses (\(error.message))")
            }
        } else {
            program = nil
        }
    }

    /// The pattern without a trailing `/**` or `/*` (fsutil's `patternWithoutTrailingGlob`).
    var withoutTrailingGlob: String {
        var text = pattern
        for suffix in ["/**", "/*"]
        where text.unicodeScalars.reversed().starts(with: suffix.unicodeScalars.reversed()) {
            text = String(text.unicodeScalars.dropLast(suffix.unicodeScalars.count))
        }
        return text
    }

    /// Whether the relative, `/`-separated path (as Unicode scalars) matches this pattern alone.
    func matches(_ path: [Unicode.Scalar]) -> Bool {
        switch kind {
        case .exact:
            return path == scalars
        case .prefix:
            return path.starts(with: scalars.dropLast(2))
        case .suffix:
            let suffix = scalars.dropFirst(2)
            if path.count >= suffix.count, path[(path.count - suffix.count)...].elementsEqual(suffix) {
                return true
            }
            return suffix.first == "/" && path.elementsEqual(suffix.dropFirst())
        case .regex:
            return program?.matches(path) ?? false
        }
    }

    /// `regex` with each run of `(.*/)?` groups (from `**/**/…`) written once: it matches the same paths,
    /// and a hostile `**/` repeated 5,000 times no longer makes a 5,000-step chain for every character.
    /// The group is always written whole by ``compile(_:)`` (a pattern's own `(` is escaped), so the text
    /// can be matched as it is.
    static func collapsingGlobstars(_ regex: String) -> String {
        let group = Array("(.*/)?".unicodeScalars)
        var scalars: [Unicode.Scalar] = []
        var rest = Array(regex.unicodeScalars)[...]
        while !rest.isEmpty {
            if rest.starts(with: group) {
                if !scalars.reversed().starts(with: group.reversed()) {
                    scalars += group
                }
                rest = rest.dropFirst(group.count)
            } else {
                scalars.append(rest.removeFirst())
            }
        }
        var result = ""
        result.unicodeScalars.append(contentsOf: scalars)
        return result
    }

    /// patternmatcher's `compile`, step for step.
    static func compile(_ pattern: [Unicode.Scalar]) -> (Kind, String) {
        var regex = "^"
        var kind = Kind.exact
        var index = 0
        var token = 0
        func peek() -> Unicode.Scalar? { index < pattern.count ? pattern[index] : nil }
        while let character = peek() {
            index += 1
            defer { token += 1 }
            switch character {
            case "*":
                if peek() == "*" {
                    index += 1
                    if peek() == "/" {
                        index += 1
                    }
                    if peek() == nil {
                        if kind == .exact {
                            kind = .prefix
                        } else {
                            regex += ".*"
                            kind = .regex
                        }
                    } else {
                        regex += "(.*/)?"
                        kind = .regex
                    }
                    if token == 0 {
                        kind = .suffix
                    }
                } else {
                    regex += "[^/]*"
                    kind = .regex
                }
            case "?":
                regex += "[^/]"
                kind = .regex
            case ".", "+", "(", ")", "|", "{", "}", "$":
                regex += "\\" + String(character)
            case "\\":
                if let next = peek() {
                    index += 1
                    regex += "\\" + String(next)
                    kind = .regex
                } else {
                    regex += "\\"
                }
            case "[", "]":
                regex += String(character)
                kind = .regex
            default:
                regex += String(character)
            }
        }
        if kind == .regex {
            regex += "$"
        }
        return (kind, regex)
    }
}
