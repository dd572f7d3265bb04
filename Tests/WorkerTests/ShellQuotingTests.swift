import Foundation
import TestSupport
import Shared
import Testing

@testable import Worker

/// Values that break naive quoting in one shell or another.
let hostileValues = [
    "", "plain", "two words", "it's", "'", "''", "\"", "a\"b c", "$HOME", "$(touch /tmp/pwned)", "`id`",
    "back\\slash", "trailing\\", "trailing\\\\", "%PATH%", "!bang!", "^caret", "a&b|c<d>e", "(paren)",
    "semi;colon", "new\nline", "tab\there", "*?[glob]", "~tilde", "#hash", "=start", "é unicode ☃",
    "\u{2019}curly\u{2018}", "'\u{301}combining", "\u{201A}\u{201B}", "ends with space ", "\r\ncrlf",
]

@Suite("POSIX sh quoting")
struct POSIXShellTests {
    @Test("quoted values come back unchanged from /bin/sh", arguments: hostileValues)
    func roundTripThroughSh(value: String) async throws {
        let quoted = try POSIXShell.quote(value)
        #expect(try await runSh("printf '%s' \(quoted)") == value)
    }

    @Test("a command line keeps every argument separate and literal")
    func commandLineRoundTrip() async throws {
        let line = try POSIXShell.commandLine(["printf", "%s\\0"] + hostileValues)
        let output = try await runSh(line)
        #expect(output.split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(String.init)
            == hostileValues)
    }

    @Test(
        "plain words stay unquoted, others are single-quoted",
        arguments: [
            ("abc", "abc"), ("a/b.c:d,e@f%g+h=i-j_k", "a/b.c:d,e@f%g+h=i-j_k"), ("", "''"), ("a b", "'a b'"),
            ("it's", #"'it'\''s'"#), ("$x", "'$x'"), ("~", "'~'"),
        ])
    func quoting(value: String, expected: String) throws {
        #expect(try POSIXShell.quote(value) == expected)
    }

    @Test("a program name with = is quoted so it is not an assignment")
    func programWithEquals() throws {
        #expect(try POSIXShell.commandLine(["A=b", "c"]) == "'A=b' c")
    }

    @Test("NUL is refused with an explanation")
    func refusesNUL() {
        #expect(throws: ShellQuotingError.self) { try POSIXShell.quote("a\0b") }
        let error = ShellQuotingError(shell: .sh, value: "a\0b", reason: .nulCharacter)
        #expect(error.description.contains("NUL"))
    }
}

@Suite("PowerShell quoting (about_Quoting_Rules)")
struct PowerShellQuotingTests {
    @Test(
        "single quotes, including typographic ones, are doubled; nothing else changes",
        arguments: [
            ("abc", "'abc'"), ("", "''"), ("it's", "'it''s'"), ("$env:PATH `n \"x\"", "'$env:PATH `n \"x\"'"),
            ("\u{2019}", "'\u{2019}\u{2019}'"), ("\u{2018}a\u{201A}b\u{201B}", "'\u{2018}\u{2018}a\u{201A}\u{201A}b\u{201B}\u{201B}'"),
            ("'\u{301}", "'''\u{301}'"), ("new\nline", "'new\nline'"),
        ])
    func quoting(value: String, expected: String) throws {
        #expect(try PowerShell.quote(value) == expected)
    }

    @Test("quoted literals parse back to the value under PowerShell's single-quote rule", arguments: hostileValues)
    func parsesBack(value: String) throws {
        #expect(parsePowerShellSingleQuoted(try PowerShell.quote(value)) == value)
    }

    @Test("-EncodedCommand is base64 of UTF-16LE")
    func encodedCommand() throws {
        let script = "Write-Output 'héllo ☃'"
        let command = try PowerShell.encodedInvocation(script)
        #expect(command.hasPrefix("powershell.exe -NoProfile -NonInteractive -EncodedCommand "))
        let encoded = String(command.split(separator: " ").last!)
        let data = try #require(Data(base64Encoded: encoded))
        #expect(String(data: data, encoding: .utf16LittleEndian) == script)
        #expect(encoded.allSatisfy { $0.isLetter || $0.isNumber || "+/=".contains($0) })
    }

    @Test("NUL is refused")
    func refusesNUL() {
        #expect(throws: ShellQuotingError.self) { try PowerShell.quote("\0") }
    }
}

@Suite("Windows command lines (C runtime argument rules)")
struct WindowsCommandLineTests {
    @Test(
        "documented examples split as Microsoft documents them",
        arguments: [
            (#""abc" d e"#, ["abc", "d", "e"]), (#"a\\\b d"e f"g h"#, [#"a\\\b"#, "de fg", "h"]),
            (#"a\\\"b c d"#, [#"a\"b"#, "c", "d"]), (#"a\\\\"b c" d e"#, [#"a\\b c"#, "d", "e"]),
            (#"a"b"" c d"#, [#"ab""#, "c", "d"]),
        ])
    func documentedSplitting(commandLine: String, expected: [String]) {
        #expect(WindowsCommandLine.split(commandLine) == expected)
    }

    @Test("quote then split gives each argument back", arguments: hostileValues)
    func roundTrip(value: String) throws {
        let line = try WindowsCommandLine.join(["first", value, "last"])
        #expect(WindowsCommandLine.split(line) == ["first", value, "last"])
    }

    @Test(
        "quoting rules",
        arguments: [
            ("abc", "abc"), ("", "\"\""), ("a b", "\"a b\""), ("a\"b", #""a\"b""#), (#"C:\dir\"#, #"C:\dir\"#),
            (#"C:\my dir\"#, #""C:\my dir\\""#), (#"a\"b"#, #""a\\\"b""#),
        ])
    func quoting(value: String, expected: String) throws {
        #expect(try WindowsCommandLine.quote(value) == expected)
    }
}

@Suite("cmd.exe quoting")
struct CmdShellTests {
    @Test("characters cmd.exe cannot carry are refused, naming PowerShell as the fix",
        arguments: ["%PATH%", "!x!", "a\"b", "new\nline", "cr\rx", "100%"])
    func refuses(value: String) {
        #expect {
            try CmdShell.quote(value)
        } throws: { error in
            guard let error = error as? ShellQuotingError, case .unsafeForCmd = error.reason else { return false }
            return error.description.contains("powershell")
        }
    }

    @Test(
        "operators and spaces are quoted, trailing backslashes doubled",
        arguments: [
            ("abc", "abc"), ("", "\"\""), ("a b", "\"a b\""), ("a&b", "\"a&b\""), ("a|b", "\"a|b\""),
            ("a^b", "\"a^b\""), ("<x>", "\"<x>\""), ("(x)", "\"(x)\""), (#"C:\my dir\"#, #""C:\my dir\\""#),
            (#"C:\dir\"#, #"C:\dir\"#),
        ])
    func quoting(value: String, expected: String) throws {
        let quoted = try CmdShell.quote(value)
        #expect(quoted == expected)
        #expect(WindowsCommandLine.split(quoted) == [value])
    }

    @Test("the program name is never quoted")
    func programName() throws {
        #expect(try CmdShell.commandLine(["docker", "a b"]) == "docker \"a b\"")
        #expect(throws: ShellQuotingError.self) { try CmdShell.commandLine(["my program", "x"]) }
    }

    @Test("a cmd host runs every command through the constant PowerShell bootstrap")
    func routesThroughPowerShell() throws {
        let shell = RemoteShell(.cmd)
        #expect(try shell.commandLine(["docker", "version"]).command == WindowsBootstrap.command)
        let routed = try shell.commandLine(["docker", "build", "--build-arg", "X=%PATH%"])
        #expect(routed.command == WindowsBootstrap.command)
    }
}

/// Runs `command` with /bin/sh -c and returns its standard output.
func runSh(_ command: String, input: String = "") async throws -> String {
    try await Shell.run(["/bin/sh", "-c", command], input: Data(input.utf8)).stdout
}

/// Runs a POSIX `invocation` (its own input first, then `input`) and returns its standard output.
func runSh(_ invocation: RemoteInvocation, input: String = "") async throws -> String {
    try await Shell.run(["/bin/sh", "-c", invocation.command], input: Data(invocation.input + Array(input.utf8))).stdout
}

/// PowerShell's tokenizer rule for a single-quoted string (any of the four single quotes opens and closes
/// it; two in a row stand for the second).
func parsePowerShellSingleQuoted(_ text: String) -> String? {
    var scalars = Array(text.unicodeScalars)[...]
    guard let first = scalars.popFirst(), PowerShell.singleQuotes.contains(first) else { return nil }
    var value = String.UnicodeScalarView()
    while let scalar = scalars.popFirst() {
        if PowerShell.singleQuotes.contains(scalar) {
            if let next = scalars.first, PowerShell.singleQuotes.contains(next) {
                value.append(scalars.removeFirst())
                continue
            }
            return scalars.isEmpty ? String(value) : nil
        }
        value.append(scalar)
    }
    return nil
}
