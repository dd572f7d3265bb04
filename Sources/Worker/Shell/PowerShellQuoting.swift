import Foundation
import Shared

/// Quoting and invocation for Windows PowerShell 5.1 (`powershell.exe`, present on every Windows Server).
///
/// PowerShell's documented rules (about_Quoting_Rules): inside a single-quoted string nothing is expanded,
/// and a single quote is written by doubling it. PowerShell also treats the typographic quotes U+2018,
/// U+2019, U+201A and U+201B as single quotes, so those are doubled as well.
///
/// Scripts reach a host through the constant ``WindowsBootstrap``, whose own `-EncodedCommand` (UTF-16LE,
/// base64-encoded: only `[A-Za-z0-9+/=]`, which every default shell of OpenSSH for Windows passes through unchanged)
/// reads them from standard input.
public enum PowerShell {
    /// The four characters PowerShell's tokenizer accepts as a single quote.
    static let singleQuotes: Set<Unicode.Scalar> = ["'", "\u{2018}", "\u{2019}", "\u{201A}", "\u{201B}"]

    /// Quotes `value` as a PowerShell single-quoted string literal.
    /// - Throws: ``ShellQuotingError`` when the value contains NUL.
    public static func quote(_ value: String) throws -> String {
        if value.unicodeScalars.contains("\0") {
            throw ShellQuotingError(shell: .powershell, value: value, reason: .nulCharacter)
        }
        var quoted = String.UnicodeScalarView()
        quoted.append("'")
        for scalar in value.unicodeScalars {
            if singleQuotes.contains(scalar) {
                quoted.append(scalar)
            }
            quoted.append(scalar)
        }
        quoted.append("'")
        return String(quoted)
    }

    /// The base64 of `script` encoded as UTF-16LE, as `-EncodedCommand` expects.
    public static func encode(_ script: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(script.utf16.count * 2)
        for unit in script.utf16 {
            bytes.append(UInt8(unit & 0xFF))
            bytes.append(UInt8(unit >> 8))
        }
        return Data(bytes).base64EncodedString()
    }

    /// The command line that would carry `script` itself as `-EncodedCommand`: how scripts were sent before the
    /// bootstrap, about 2.7 characters per script character, over cmd.exe's 8,191 for any real build script. Kept
    /// to measure that (WindowsScriptProofTests); nothing sends it.
    public static func encodedInvocation(_ script: String) throws -> String {
        if script.unicodeScalars.contains("\0") {
            throw ShellQuotingError(shell: .powershell, value: script, reason: .nulCharacter)
        }
        return "powershell.exe -NoProfile -NonInteractive -EncodedCommand " + encode(script)
    }
}
