/// Quoting for values that reach a POSIX shell.
enum ShellQuote {
    /// `'value'`, with embedded single quotes written as `'\''`.
    static func single(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
