/// The part of Go's RE2 syntax that moby/patternmatcher's generated expressions can contain, with Go's
/// semantics (Perl flags: `.` does not match `\n`, negated classes do, `^`/`$` are text anchors).
///
/// Supported: literals; `.`; classes with ranges, negation, POSIX names (`[:alpha:]`) and Perl escapes;
/// escapes `\d \D \s \S \w \W`, `\a \f \t \n \r \v`, octal and `\x` hex, `\Q…\E`, `\A \z \b \B`;
/// groups; `*`, `+`, `?` (greedy or lazy: a yes/no match does not care). Unicode classes (`\p`) are
/// refused with an error. Evaluation is a Thompson NFA, linear in the path length.
struct GoRegex: Sendable, Hashable {
    /// An expression Go would refuse, or one using a construct not supported here.
    struct SyntaxError: Error, Sendable {
        var message: String
    }

    fileprivate enum Assertion: Sendable, Hashable {
        case beginText, endText, wordBoundary, notWordBoundary
    }

    fileprivate indirect enum Node: Sendable, Hashable {
        case characters(CharacterSet)
        case assertion(Assertion)
        case sequence([Node])
        case star(Node)
        case plus(Node)
        case optional(Node)
    }

    fileprivate enum Instruction: Sendable, Hashable {
        case consume(CharacterSet)
        case split(Int, Int)
        case jump(Int)
        case assert(Assertion)
        case accept
    }

    private let program: [Instruction]

    /// Parses and compiles `expression`.
    init(_ expression: String) throws {
        var parser = Parser(Array(expression.unicodeScalars))
        let node = try parser.parseSequence(topLevel: true)
        var program: [Instruction] = []
        Self.emit(node, into: &program)
        program.append(.accept)
        self.program = program
    }

    /// Whether the expression matches anywhere in `text` (Go's `MatchString`).
    ///
    /// Each position visits every instruction at most once (a generation-stamped sparse set, and an explicit
    /// stack instead of recursion), so time is O(text × program) and stack use is constant even for the
    /// 5,000-deep `(.*/)?` chains a hostile `**/**/…` pattern produces.
    func matches(_ text: [Unicode.Scalar]) -> Bool {
        var current = ThreadList(size: program.count)
        var next = ThreadList(size: program.count)
        var stack: [Int] = []
        for position in 0...text.count {
            if addThread(0, at: position, in: text, to: &current, stack: &stack) {
                return true
            }
            guard position < text.count else { break }
            next.clear()
            for pc in current.members {
                if case .consume(let set) = program[pc], set.contains(text[position]) {
                    if addThread(pc + 1, at: position + 1, in: text, to: &next, stack: &stack) {
                        return true
                    }
                }
            }
            swap(&current, &next)
        }
        return false
    }

    /// Follows empty transitions from `start`, adding the consuming instructions reached to `list`; returns
    /// true when `accept` is reached.
    private func addThread(
        _ start: Int, at position: Int, in text: [Unicode.Scalar], to list: inout ThreadList, stack: inout [Int]
    ) -> Bool {
        stack.removeAll(keepingCapacity: true)
        stack.append(start)
        while let pc = stack.popLast() {
            guard list.visit(pc) else { continue }
            switch program[pc] {
            case .accept:
                return true
            case .consume:
                list.members.append(pc)
            case .jump(let target):
                stack.append(target)
            case .split(let first, let second):
                stack.append(second)
                stack.append(first)
            case .assert(let assertion):
                if Self.holds(assertion, at: position, in: text) {
                    stack.append(pc + 1)
                }
            }
        }
        return false
    }

    /// The instructions visited at one position: a sparse set cleared in O(1) by a new generation.
    private struct ThreadList {
        var members: [Int] = []
        private var stamps: [UInt32]
        private var generation: UInt32 = 1

        init(size: Int) {
            stamps = Array(repeating: 0, count: size)
        }

        /// Marks `pc` visited; false when it already was in this generation.
        mutating func visit(_ pc: Int) -> Bool {
            guard stamps[pc] != generation else { return false }
            stamps[pc] = generation
            return true
        }

        mutating func clear() {
            members.removeAll(keepingCapacity: true)
            generation &+= 1
            if generation == 0 {
                stamps = Array(repeating: 0, count: stamps.count)
                generation = 1
            }
        }
    }

    private static func holds(_ assertion: Assertion, at position: Int, in text: [Unicode.Scalar]) -> Bool {
        switch assertion {
        case .beginText:
            return position == 0
        case .endText:
            return position == text.count
        case .wordBoundary, .notWordBoundary:
            let before = position > 0 && CharacterSet.word.contains(text[position - 1])
            let after = position < text.count && CharacterSet.word.contains(text[position])
            return (before != after) == (assertion == .wordBoundary)
        }
    }

    private static func emit(_ node: Node, into program: inout [Instruction]) {
        switch node {
        case .characters(let set):
            program.append(.consume(set))
        case .assertion(let assertion):
            program.append(.assert(assertion))
        case .sequence(let nodes):
            for node in nodes {
                emit(node, into: &program)
            }
        case .star(let inner):
            let split = program.count
            program.append(.split(0, 0))
            emit(inner, into: &program)
            program.append(.jump(split))
            program[split] = .split(split + 1, program.count)
        case .plus(let inner):
            let start = program.count
            emit(inner, into: &program)
            program.append(.split(start, program.count + 1))
        case .optional(let inner):
            let split = program.count
            program.append(.split(0, 0))
            emit(inner, into: &program)
            program[split] = .split(split + 1, program.count)
        }
    }
}

/// A set of Unicode scalars: ranges, possibly negated.
struct CharacterSet: Sendable, Hashable {
    var ranges: [ClosedRange<UInt32>]
    var negated: Bool

    static let word = CharacterSet(ranges: [48...57, 65...90, 95...95, 97...122], negated: false)
    static let digit = CharacterSet(ranges: [48...57], negated: false)
    static let space = CharacterSet(ranges: [9...10, 12...13, 32...32], negated: false)
    static let anyButNewline = CharacterSet(ranges: [10...10], negated: true)

    static func single(_ scalar: Unicode.Scalar) -> CharacterSet {
        CharacterSet(ranges: [scalar.value...scalar.value], negated: false)
    }

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        for range in ranges where range.contains(value) {
            return !negated
        }
        return negated
    }

    /// The ranges this set matches, flattened for use inside a class (negation applied against all scalars).
    var positiveRanges: [ClosedRange<UInt32>] {
        guard negated else { return ranges }
        var result: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if range.lowerBound > next {
                result.append(next...(range.lowerBound - 1))
            }
            next = max(next, range.upperBound &+ 1)
        }
        if next <= 0x10FFFF {
            result.append(next...0x10FFFF)
        }
        return result
    }

    /// The POSIX classes RE2 accepts as `[:name:]`.
    static func posix(_ name: String) -> CharacterSet? {
        let ranges: [ClosedRange<UInt32>]
        switch name {
        case "alnum": ranges = [48...57, 65...90, 97...122]
        case "alpha": ranges = [65...90, 97...122]
        case "ascii": ranges = [0...0x7F]
        case "blank": ranges = [9...9, 32...32]
        case "cntrl": ranges = [0...31, 127...127]
        case "digit": ranges = [48...57]
        case "graph": ranges = [33...126]
        case "lower": ranges = [97...122]
        case "print": ranges = [32...126]
        case "punct": ranges = [33...47, 58...64, 91...96, 123...126]
        case "space": ranges = [9...13, 32...32]
        case "upper": ranges = [65...90]
        case "word": ranges = [48...57, 65...90, 95...95, 97...122]
        case "xdigit": ranges = [48...57, 65...70, 97...102]
        default: return nil
        }
        return CharacterSet(ranges: ranges, negated: false)
    }
}

extension GoRegex {
    fileprivate struct Parser {
        var input: ArraySlice<Unicode.Scalar>

        init(_ scalars: [Unicode.Scalar]) {
            input = scalars[...]
        }

        mutating func parseSequence(topLevel: Bool) throws -> Node {
            var nodes: [Node] = []
            while let scalar = input.first {
                switch scalar {
                case ")":
                    guard !topLevel else { throw SyntaxError(message: "unexpected )") }
                    return .sequence(nodes)
                case "(":
                    input.removeFirst()
                    if input.first == "?" {
                        throw SyntaxError(message: "group flags are not supported")
                    }
                    let inner = try parseSequence(topLevel: false)
                    guard input.popFirst() == ")" else { throw SyntaxError(message: "missing closing )") }
                    nodes.append(inner)
                case "|":
                    throw SyntaxError(message: "alternation is not supported")
                case "*", "+", "?":
                    input.removeFirst()
                    guard let last = nodes.popLast(), !Self.isQuantified(last) else {
                        throw SyntaxError(message: "missing argument to repetition operator: \(scalar)")
                    }
                    if input.first == "?" {
                        input.removeFirst()
                    }
                    nodes.append(scalar == "*" ? .star(last) : scalar == "+" ? .plus(last) : .optional(last))
                    if let following = input.first, ["*", "+", "?"].contains(following) {
                        throw SyntaxError(message: "bad repetition operator")
                    }
                case "{":
                    throw SyntaxError(message: "counted repetition is not supported")
                case "^":
                    input.removeFirst()
                    nodes.append(.assertion(.beginText))
                case "$":
                    input.removeFirst()
                    nodes.append(.assertion(.endText))
                case ".":
                    input.removeFirst()
                    nodes.append(.characters(.anyButNewline))
                case "[":
                    nodes.append(.characters(try parseClass()))
                case "\\":
                    nodes.append(contentsOf: try parseEscapeOutsideClass())
                default:
                    input.removeFirst()
                    nodes.append(.characters(.single(scalar)))
                }
            }
            if !topLevel {
                throw SyntaxError(message: "missing closing )")
            }
            return .sequence(nodes)
        }

        static func isQuantified(_ node: Node) -> Bool {
            switch node {
            case .star, .plus, .optional: true
            default: false
            }
        }

        mutating func parseEscapeOutsideClass() throws -> [Node] {
            guard let scalar = input.dropFirst().first else { throw SyntaxError(message: "trailing backslash") }
            let assertions: [Unicode.Scalar: Assertion] = [
                "A": .beginText, "z": .endText, "b": .wordBoundary, "B": .notWordBoundary,
            ]
            if let assertion = assertions[scalar] {
                input.removeFirst(2)
                return [.assertion(assertion)]
            }
            guard scalar == "Q" else {
                return [.characters(try parseClassEscapeOrCharacter())]
            }
            input.removeFirst(2)
            var literal: [Node] = []
            while let next = input.first {
                if next == "\\", input.dropFirst().first == "E" {
                    input.removeFirst(2)
                    break
                }
                input.removeFirst()
                literal.append(.characters(.single(next)))
            }
            return literal
        }

        /// A Perl class escape or one (possibly escaped) character.
        mutating func parseClassEscapeOrCharacter() throws -> CharacterSet {
            guard input.first == "\\" else {
                return .single(input.removeFirst())
            }
            input.removeFirst()
            guard let scalar = input.popFirst() else { throw SyntaxError(message: "trailing backslash") }
            switch scalar {
            case "d": return .digit
            case "D": return CharacterSet(ranges: CharacterSet.digit.ranges, negated: true)
            case "s": return .space
            case "S": return CharacterSet(ranges: CharacterSet.space.ranges, negated: true)
            case "w": return .word
            case "W": return CharacterSet(ranges: CharacterSet.word.ranges, negated: true)
            case "p", "P": throw SyntaxError(message: "Unicode classes (\\p) are not supported")
            default: return .single(try parseEscapedCharacter(scalar))
            }
        }

        /// Go's `parseEscape` after the backslash: punctuation, C escapes, octal, hex.
        mutating func parseEscapedCharacter(_ scalar: Unicode.Scalar) throws -> Unicode.Scalar {
            switch scalar {
            case "a": return "\u{07}"
            case "f": return "\u{0C}"
            case "n": return "\n"
            case "r": return "\r"
            case "t": return "\t"
            case "v": return "\u{0B}"
            case "0"..."7":
                guard scalar == "0" || (input.first.map { ("0"..."7").contains($0) } ?? false) else {
                    throw SyntaxError(message: "invalid escape sequence: \\\(scalar)")
                }
                var value = scalar.value - 48
                for _ in 0..<2 {
                    guard let digit = input.first, ("0"..."7").contains(digit) else { break }
                    input.removeFirst()
                    value = value * 8 + digit.value - 48
                }
                return Unicode.Scalar(value)!
            case "x":
                var digits = ""
                if input.first == "{" {
                    input.removeFirst()
                    while let next = input.popFirst(), next != "}" {
                        digits.unicodeScalars.append(next)
                    }
                } else {
                    for _ in 0..<2 {
                        guard let next = input.popFirst() else { break }
                        digits.unicodeScalars.append(next)
                    }
                }
                guard let value = UInt32(digits, radix: 16), let decoded = Unicode.Scalar(value) else {
                    throw SyntaxError(message: "invalid escape sequence: \\x\(digits)")
                }
                return decoded
            default:
                let isPunctuation = scalar.isASCII && !("a"..."z").contains(scalar) && !("A"..."Z").contains(scalar)
                    && !("0"..."9").contains(scalar)
                guard isPunctuation else { throw SyntaxError(message: "invalid escape sequence: \\\(scalar)") }
                return scalar
            }
        }

        /// Go's `parseClass`.
        mutating func parseClass() throws -> CharacterSet {
            input.removeFirst()
            var negated = false
            if input.first == "^" {
                negated = true
                input.removeFirst()
            }
            var ranges: [ClosedRange<UInt32>] = []
            var first = true
            while input.first != "]" || first {
                guard !input.isEmpty else { throw SyntaxError(message: "missing closing ]") }
                first = false
                if input.starts(with: ["[", ":"]), let named = try parseNamedClass() {
                    ranges += named.positiveRanges
                    continue
                }
                if input.first == "\\", let next = input.dropFirst().first, "dDsSwWpP".unicodeScalars.contains(next) {
                    ranges += try parseClassEscapeOrCharacter().positiveRanges
                    continue
                }
                let low = try classCharacter()
                var high = low
                if input.count >= 2, input.first == "-", input.dropFirst().first != "]" {
                    input.removeFirst()
                    high = try classCharacter()
                    guard high.value >= low.value else {
                        throw SyntaxError(message: "invalid character class range: \(low)-\(high)")
                    }
                }
                ranges.append(low.value...high.value)
            }
            input.removeFirst()
            return CharacterSet(ranges: ranges, negated: negated)
        }

        mutating func classCharacter() throws -> Unicode.Scalar {
            guard let scalar = input.popFirst() else { throw SyntaxError(message: "missing closing ]") }
            guard scalar == "\\" else { return scalar }
            guard let escaped = input.popFirst() else { throw SyntaxError(message: "trailing backslash") }
            return try parseEscapedCharacter(escaped)
        }

        /// `[:name:]` or `[:^name:]`; nil when the text is not a named class (then `[` is a literal).
        mutating func parseNamedClass() throws -> CharacterSet? {
            let body = input.dropFirst(2)
            guard let end = body.indices.first(where: { body[$0] == ":" && body.index(after: $0) < body.endIndex
                && body[body.index(after: $0)] == "]" }) else { return nil }
            var name = String(String.UnicodeScalarView(body[body.startIndex..<end]))
            var negated = false
            if name.hasPrefix("^") {
                negated = true
                name.removeFirst()
            }
            guard let set = CharacterSet.posix(name) else {
                throw SyntaxError(message: "invalid character class range: [:\(name):]")
            }
            input = input[(end + 2)...]
            return CharacterSet(ranges: set.ranges, negated: negated)
        }
    }
}
