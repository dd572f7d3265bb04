import Foundation
import Testing

@testable import Worker

/// Expectations from moby/patternmatcher's own test table: `exact` matches the path itself,
/// `viaParent` only through a parent directory, `none` not at all.
enum Expected: Sendable {
    case exact, viaParent, none
}

/// Evaluates `path` the way BuildKit's walker does: each parent directory first, passing its state down.
func walkMatch(_ ignore: DockerIgnore, _ path: String) -> Bool {
    var parents: [String] = []
    var parent = GoPath.parent(path)
    while parent != "." {
        parents.insert(parent, at: 0)
        parent = GoPath.parent(parent)
    }
    var state = IgnoreMatchState.root(for: ignore)
    for directory in parents {
        state = ignore.matches(directory, parent: state).state
    }
    return ignore.matches(path, parent: state).excluded
}

@Suite(".dockerignore matching (moby/patternmatcher)")
struct DockerIgnoreTests {
    @Test(
        "single patterns",
        arguments: [
            ("**", "file", Expected.exact), ("**", "file/", .exact), ("**/", "file", .exact), ("**/", "file/", .exact),
            ("**", "/", .exact), ("**/", "/", .exact), ("**", "dir/file", .exact), ("**/", "dir/file", .exact),
            ("**", "dir/file/", .exact), ("**/", "dir/file/", .exact), ("**/**", "dir/file", .exact),
            ("**/**", "dir/file/", .exact), ("dir/**", "dir/file", .exact), ("dir/**", "dir/file/", .exact),
            ("dir/**", "dir/dir2/file", .exact), ("dir/**", "dir/dir2/file/", .exact), ("**/dir", "dir", .exact),
            ("**/dir", "dir/file", .viaParent), ("**/dir2/*", "dir/dir2/file", .exact),
            ("**/dir2/*", "dir/dir2/file/", .viaParent), ("**/dir2/**", "dir/dir2/dir3/file", .exact),
            ("**/dir2/**", "dir/dir2/dir3/file/", .exact), ("**file", "file", .exact), ("**file", "dir/file", .exact),
            ("**/file", "dir/file", .exact), ("**file", "dir/dir/file", .exact), ("**/file", "dir/dir/file", .exact),
            ("**/file*", "dir/dir/file", .exact), ("**/file*", "dir/dir/file.txt", .exact),
            ("**/file*txt", "dir/dir/file.txt", .exact), ("**/file*.txt", "dir/dir/file.txt", .exact),
            ("**/file*.txt*", "dir/dir/file.txt", .exact), ("**/**/*.txt", "dir/dir/file.txt", .exact),
            ("**/**/*.txt2", "dir/dir/file.txt", .none), ("**/*.txt", "file.txt", .exact),
            ("**/**/*.txt", "file.txt", .exact), ("a**/*.txt", "a/file.txt", .exact),
            ("a**/*.txt", "a/dir/file.txt", .exact), ("a**/*.txt", "a/dir/dir/file.txt", .exact),
            ("a/*.txt", "a/dir/file.txt", .none), ("a/*.txt", "a/file.txt", .exact), ("a/*.txt**", "a/file.txt", .exact),
            ("a[b-d]e", "ae", .none), ("a[b-d]e", "ace", .exact), ("a[b-d]e", "aae", .none), ("a[^b-d]e", "aze", .exact),
            (".*", ".foo", .exact), (".*", "foo", .none), ("abc.def", "abcdef", .none), ("abc.def", "abc.def", .exact),
            ("abc.def", "abcZdef", .none), ("abc?def", "abcZdef", .exact), ("abc?def", "abcdef", .none),
            ("**/foo/bar", "foo/bar", .exact), ("**/foo/bar", "dir/foo/bar", .exact),
            ("**/foo/bar", "dir/dir2/foo/bar", .exact), ("abc/**", "abc", .none), ("abc/**", "abc/def", .exact),
            ("abc/**", "abc/def/ghi", .exact), ("**/.foo", ".foo", .exact), ("**/.foo", "bar.foo", .none),
            ("a(b)c/def", "a(b)c/def", .exact), ("a(b)c/def", "a(b)c/xyz", .none),
            ("a.|)$(}+{bc", "a.|)$(}+{bc", .exact), ("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", .exact),
            (#"a\\"#, #"a\"#, .exact), (#"a\*b"#, "a*b", .exact),
        ])
    func singlePattern(pattern: String, path: String, expected: Expected) throws {
        let ignore = try DockerIgnore(patterns: [pattern])
        let direct = ignore.matches(path, parent: .root(for: ignore)).excluded
        #expect(direct == (expected == .exact), "direct match of \(path) against \(pattern)")
        #expect(walkMatch(ignore, path) == (expected != .none), "walk match of \(path) against \(pattern)")
    }

    @Test(
        "exceptions, last match wins",
        arguments: [
            (["**", "!util/docker/web"], "util/docker/web/foo", false),
            (["**", "!util/docker/web", "util/docker/web/foo"], "util/docker/web/foo", true),
            (["**", "!dist/*.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", false),
            (["*.go"], "fileutils.go", true), (["!fileutils.go", "*.go"], "fileutils.go", true),
            (["*.go", "!fileutils.go"], "fileutils.go", false), (["docs", "!docs/README.md"], "docs/README.md", false),
            (["docs/", "!docs/README.md"], "docs/README.md", false), (["docs/*", "!docs/README.md"], "docs/README.md", false),
            (["docs", "!docs/README.md"], "docs/other.md", true),
        ])
    func exceptions(patterns: [String], path: String, excluded: Bool) throws {
        let ignore = try DockerIgnore(patterns: patterns)
        #expect(walkMatch(ignore, path) == excluded)
    }

    @Test(
        "filepath.Match table (Go)",
        arguments: [
            ("abc", "abc", true), ("*", "abc", true), ("*c", "abc", true), ("a*", "a", true), ("a*", "abc", true),
            ("a*", "ab/c", true), ("a*/b", "abc/b", true), ("a*/b", "a/c/b", false), ("a*b*c*d*e*/f", "axbxcxdxe/f", true),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", true), ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", false), ("a*b?c*x", "abxbbxdbxebxczzx", true),
            ("a*b?c*x", "abxbbxdbxebxczzy", false), ("ab[c]", "abc", true), ("ab[b-d]", "abc", true),
            ("ab[e-g]", "abc", false), ("ab[^c]", "abc", false), ("ab[^b-d]", "abc", false), ("ab[^e-g]", "abc", true),
            (#"a\*b"#, "a*b", true), (#"a\*b"#, "ab", false), ("a?b", "a☺b", true), ("a[^a]b", "a☺b", true),
            ("a???b", "a☺b", false), ("a[^a][^a][^a]b", "a☺b", false), ("[a-ζ]*", "α", true), ("*[a-ζ]", "A", false),
            ("a?b", "a/b", false), ("a*b", "a/b", false), (#"[\]a]"#, "]", true), (#"[\-]"#, "-", true),
            (#"[x\-]"#, "x", true), (#"[x\-]"#, "-", true), (#"[x\-]"#, "z", false), (#"[\-x]"#, "x", true),
            (#"[\-x]"#, "-", true), (#"[\-x]"#, "a", false), ("*x", "xxx", true),
        ])
    func goMatchTable(pattern: String, path: String, matches: Bool) throws {
        let ignore = try DockerIgnore(patterns: [pattern])
        #expect(walkMatch(ignore, path) == matches)
    }

    @Test("patterns Docker refuses are refused",
        arguments: ["!", "[", "[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[^", "[^bc", "a[", "[z-a]"])
    func malformed(pattern: String) {
        #expect(throws: DockerIgnoreError.self) { try DockerIgnore(patterns: [pattern]) }
    }

    @Test(
        "compiled expressions equal patternmatcher's",
        arguments: [
            ("*", IgnorePattern.Kind.regex, "^[^/]*$"), ("file*", .regex, "^file[^/]*$"), ("a*/b", .regex, "^a[^/]*/b$"),
            ("**", .suffix, "^"), ("**/**", .regex, "^(.*/)?.*$"), ("dir/**", .prefix, "^dir/"), ("**/dir", .suffix, "^(.*/)?dir"),
            ("**/dir2/*", .regex, "^(.*/)?dir2/[^/]*$"), ("**/dir2/**", .regex, "^(.*/)?dir2/.*$"), ("**file", .suffix, "^(.*/)?file"),
            ("**/file*txt", .regex, "^(.*/)?file[^/]*txt$"),
            // The text is patternmatcher's; only the compiled program folds the run of `(.*/)?` into one.
            ("**/**/*.txt", .regex, #"^(.*/)?(.*/)?[^/]*\.txt$"#),
            ("a[b-d]e", .regex, "^a[b-d]e$"), (".*", .regex, #"^\.[^/]*$"#), ("abc.def", .exact, #"^abc\.def"#),
        ])
    func compiled(pattern: String, kind: IgnorePattern.Kind, regex: String) throws {
        let compiled = try #require(try IgnorePattern(pattern))
        #expect(compiled.kind == kind)
        #expect(compiled.regex == regex)
    }

    @Test("the compiled program writes a run of `(.*/)?` groups once, and nothing else")
    func globstarRunsFold() {
        #expect(IgnorePattern.collapsingGlobstars(#"^(.*/)?(.*/)?(.*/)?[^/]*\.txt$"#) == #"^(.*/)?[^/]*\.txt$"#)
        #expect(IgnorePattern.collapsingGlobstars(#"^(.*/)?a/(.*/)?b$"#) == #"^(.*/)?a/(.*/)?b$"#)
        // A pattern's own parentheses are escaped by compile, so they are never taken for the group.
        #expect(IgnorePattern.collapsingGlobstars(#"^\(\.[^/]*/\)?\(\.[^/]*/\)?$"#) == #"^\(\.[^/]*/\)?\(\.[^/]*/\)?$"#)
        #expect(IgnorePattern.collapsingGlobstars("") == "")
    }

    @Test("quirks follow Go's RE2 reading of the generated expression")
    func quirks() throws {
        // `[*]` becomes `[[^/]*]`: a class of `[`, `^`, `/` repeated, then a literal `]`.
        let star = try DockerIgnore(patterns: ["[*]"])
        #expect(walkMatch(star, "]"))
        #expect(walkMatch(star, "[^]"))
        #expect(!walkMatch(star, "*"))
        // `\d` is a digit class in the expression.
        let digit = try DockerIgnore(patterns: [#"file\d*"#])
        #expect(walkMatch(digit, "file1"))
        #expect(!walkMatch(digit, "filed"))
        // `^` in the middle is a text anchor, so this never matches once it is an expression.
        let caret = try DockerIgnore(patterns: ["a^b*"])
        #expect(!walkMatch(caret, "a^bc"))
        // ... but an exact pattern compares text.
        #expect(walkMatch(try DockerIgnore(patterns: ["a^b"]), "a^b"))
        // POSIX classes survive into the expression.
        let alpha = try DockerIgnore(patterns: ["[[:alpha:]]x"])
        #expect(walkMatch(alpha, "ax"))
        #expect(!walkMatch(alpha, "]x"))
    }

    @Test("reading: BOM, comments, trimming, cleaning, leading slash, CRLF")
    func reading() {
        let text = "\u{FEFF}# comment\n  /foo/../bar/  \r\n\n! /docs//README.md\n  # not a comment\n*.tmp\r\n!\n/\n"
        #expect(DockerIgnore.readPatterns(Array(text.utf8))
            == ["bar", "!docs/README.md", "# not a comment", "*.tmp", "!", "/"])
    }

    @Test("Go's filepath.Clean", arguments: [
        ("", "."), ("a//b", "a/b"), ("a/./b", "a/b"), ("a/../b", "b"), ("../a", "../a"), ("/../a", "/a"),
        ("a/b/..", "a"), ("./", "."), ("/", "/"), ("a/", "a"), ("a/b/../../..", ".."),
    ])
    func clean(path: String, expected: String) {
        #expect(GoPath.clean(path) == expected)
    }
}
