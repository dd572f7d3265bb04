import Foundation

/// Reads files under /proc whole. procfs files report a size of 0, and Foundation's
/// `contents(atPath:)` / `String(contentsOfFile:)` stop after the first page of them, so a long
/// command line or a busy /proc/net/tcp would be cut short.
public enum ProcFS {
    /// The whole file, or nil when it cannot be opened (for example a process that just exited).
    public static func read(_ path: String) -> Data? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return try? handle.readToEnd() ?? Data()
    }

    /// A process's command line with its NUL separators turned into spaces.
    public static func commandLine(of pid: String) -> String? {
        guard let bytes = read("/proc/\(pid)/cmdline"), !bytes.isEmpty else { return nil }
        return String(decoding: bytes.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    }

    /// The ids of the processes running now.
    public static func processes() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { Int($0) != nil }
    }

    /// Whether a running process's command line contains `text`: pgrep -f, without starting a process.
    public static func running(commandContaining text: String) -> Bool {
        processes().contains { commandLine(of: $0)?.contains(text) == true }
    }
}
