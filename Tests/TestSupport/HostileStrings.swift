/// Strings that break naive quoting: shell metacharacters, command substitution, quotes of every
/// kind, cmd.exe and PowerShell specials, control characters, NUL, unicode and very long values.
/// Deterministic, so a failure names a reproducible case.
public enum HostileStrings {
    /// A marker file that any successful injection would create; tests check it never appears.
    public static func canaryCommand(_ path: String) -> String { "touch \(path)" }

    static let fragments: [String] = [
        "'", "\"", "`", "$(", ")", "${", "}", ";", "|", "&", "&&", "||", ">", "<", "\n", "\r\n", "\t", "%", "!",
        "^", "\\", "*", "?", "[", "]", "~", "#", " ", "$", "'\\''", "\u{0}", "é", "日本", "🚀", "\u{202E}",
        "%PATH%", "!VAR!", "$env:PATH", "@(", "-", "--", "=", ",", ":", "/", "..", "C:\\", "\u{7F}",
    ]

    /// `count` strings (at least 200 by default); each embeds `payload` (e.g. a canary command)
    /// in a different quoting context.
    public static func generate(count: Int = 240, payload: String = "touch /tmp/coordinator-canary") -> [String] {
        var generator = SplitMix64(seed: 0xC0FFEE)
        var result: [String] = [
            "$(\(payload))", "`\(payload)`", "; \(payload)", "| \(payload)", "&& \(payload)", "'; \(payload); '",
            "\"; \(payload); \"", "\n\(payload)\n", "& \(payload)", "%COMSPEC% /c \(payload)", "!x! & \(payload)",
            "^& \(payload)", "$(\(payload)) `\(payload)` '\"", "'$(\(payload))'", "\"$(\(payload))\"",
            "\\'; \(payload); \\'", "x\u{0}; \(payload)", String(repeating: "A", count: 65_536),
            String(repeating: "$(\(payload))", count: 2048), "", " ", "-", "--help", "../../etc/passwd",
        ]
        while result.count < count {
            let pieces = Int(generator.next() % 6) + 1
            var text = ""
            for _ in 0..<pieces {
                text += fragments[Int(generator.next() % UInt64(fragments.count))]
                if generator.next() % 3 == 0 { text += payload }
            }
            result.append(text)
        }
        return result
    }
}

/// A small deterministic PRNG (SplitMix64) for reproducible property tests.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
