extension RemoteShell {
    /// The path separator of the host.
    public var pathSeparator: String {
        family == .posix ? "/" : "\\"
    }

    /// Whether `path` is absolute on the host: `/…` on POSIX; `C:\…`, `C:/…` or `\\server\share…` on Windows.
    public func isAbsolute(_ path: String) -> Bool {
        switch family {
        case .posix:
            return path.hasPrefix("/")
        case .windows:
            let scalars = Array(path.unicodeScalars)
            if path.hasPrefix("\\\\") { return true }
            guard scalars.count >= 3, scalars[1] == ":", scalars[2] == "\\" || scalars[2] == "/" else { return false }
            return ("a"..."z").contains(scalars[0]) || ("A"..."Z").contains(scalars[0])
        }
    }

    /// Joins `base` with relative `components` (written with `/`, converted to `\` on Windows).
    public func join(_ base: String, _ components: String...) -> String {
        join(base, components)
    }

    /// Joins `base` with relative `components` (written with `/`, converted to `\` on Windows).
    public func join(_ base: String, _ components: [String]) -> String {
        var result = base
        for component in components where !component.isEmpty {
            let native = family == .posix ? component : component.replacingOccurrences(of: "/", with: "\\")
            let trimmed = native.drop { String($0) == pathSeparator }
            if !result.hasSuffix(pathSeparator) {
                result += pathSeparator
            }
            result += trimmed
        }
        return result
    }

    /// A command that prints a (small, text) remote file to standard output.
    public func readFileCommand(_ path: String) throws -> RemoteInvocation {
        switch family {
        case .posix: RemoteInvocation(command: try checked("cat -- " + POSIXShell.quote(path)))
        case .windows: try command(forScriptText: "[Console]::Out.Write([System.IO.File]::ReadAllText("
            + (try PowerShell.quote(path)) + "))")
        }
    }

    /// Resolves an inventory path (`workDir`): `~` and `~/…` (or `~\…`) start at the remote user's `home`;
    /// anything else must already be absolute.
    /// - Throws: ``ShellQuotingError`` with ``ShellQuotingError/Reason/relativePath``.
    public func resolve(_ path: String, home: String) throws -> String {
        if path == "~" {
            return home
        }
        if path.hasPrefix("~/") || path.hasPrefix("~\\") {
            return join(home, String(path.dropFirst(2)))
        }
        guard isAbsolute(path) else {
            throw ShellQuotingError(shell: kind, value: path, reason: .relativePath)
        }
        return path
    }
}
