import Foundation

/// The parts of an OpenSSH client configuration (`~/.ssh/config`) that name where a host really is
/// and how to log in: `Host` blocks with `HostName`, `User`, `Port` and `IdentityFile`.
///
/// As in OpenSSH, the first value found for a keyword wins and `IdentityFile`s accumulate across
/// matching blocks; `Host` patterns support `*`, `?` and `!negation`; `%h`, `%%`, `%d`, `%u`, `%r`
/// and `~` are expanded. `Match` blocks and `Include` are not evaluated (their settings are ignored).
public struct SSHConfig: Sendable {
    /// The settings one host alias resolves to.
    public struct HostSettings: Sendable, Equatable {
        /// `HostName`: the real host name or address behind the alias.
        public var hostName: String?
        /// `User`.
        public var user: String?
        /// `Port`.
        public var port: Int?
        /// Every `IdentityFile` of every matching block, in order, `~` and tokens expanded.
        public var identityFiles: [String] = []
    }

    private struct Block: Sendable {
        var patterns: [String]
        var options: [(keyword: String, value: String)]
    }

    private var blocks: [Block]

    /// Parses configuration text.
    public init(text: String) {
        var blocks = [Block(patterns: ["*"], options: [])]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let (keyword, value) = Self.split(line) else { continue }
            switch keyword {
            case "host":
                blocks.append(Block(patterns: Self.words(value), options: []))
            case "match":
                blocks.append(Block(patterns: [], options: []))  // never applies
            default:
                blocks[blocks.count - 1].options.append((keyword, value))
            }
        }
        self.blocks = blocks
    }

    /// Loads a file; a missing file is an empty configuration.
    public static func load(path: String) throws -> SSHConfig {
        let expanded = LocalPaths.expand(path)
        guard LocalPaths.exists(expanded) else { return SSHConfig(text: "") }
        do {
            return SSHConfig(text: try String(contentsOfFile: expanded, encoding: .utf8))
        } catch {
            throw SSHError(.invalidTarget, host: "", "cannot read the SSH client configuration \(expanded): \(error)")
        }
    }

    /// What the configuration says about `alias`.
    public func settings(for alias: String, remoteUser: String? = nil) -> HostSettings {
        var settings = HostSettings()
        for block in blocks where Self.matches(alias, patterns: block.patterns) {
            for (keyword, value) in block.options {
                switch keyword {
                case "hostname" where settings.hostName == nil:
                    settings.hostName = expandTokens(value, alias: alias, user: remoteUser)
                case "user" where settings.user == nil:
                    settings.user = value
                case "port" where settings.port == nil:
                    settings.port = Int(value)
                case "identityfile":
                    let user = remoteUser ?? settings.user
                    settings.identityFiles.append(LocalPaths.expand(expandTokens(value, alias: alias, user: user)))
                default:
                    break
                }
            }
        }
        return settings
    }

    /// Whether any `Host` block other than the implicit global one names `alias`.
    public func hasHostBlock(for alias: String) -> Bool {
        blocks.dropFirst().contains { Self.matches(alias, patterns: $0.patterns) }
    }

    private func expandTokens(_ value: String, alias: String, user: String?) -> String {
        var result = ""
        var iterator = value.makeIterator()
        while let character = iterator.next() {
            guard character == "%", let token = iterator.next() else {
                result.append(character)
                continue
            }
            switch token {
            case "h": result += alias
            case "d": result += LocalPaths.home
            case "u": result += LocalPaths.userName
            case "r": result += user ?? LocalPaths.userName
            case "%": result += "%"
            default: result += "%\(token)"
            }
        }
        return result
    }

    private static func split(_ line: String) -> (String, String)? {
        guard let separator = line.firstIndex(where: { $0 == " " || $0 == "\t" || $0 == "=" }) else { return nil }
        let keyword = line[..<separator].lowercased()
        var value = line[separator...].drop { $0 == " " || $0 == "\t" || $0 == "=" }
        if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
        return (keyword, String(value).trimmingCharacters(in: .whitespaces))
    }

    private static func words(_ value: String) -> [String] {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { String($0).trimmingCharacters(in: ["\""]) }
    }

    static func matches(_ host: String, patterns: [String]) -> Bool {
        var matched = false
        for pattern in patterns {
            if pattern.hasPrefix("!") {
                if glob(String(pattern.dropFirst()), host) { return false }
            } else if glob(pattern, host) {
                matched = true
            }
        }
        return matched
    }

    /// Shell-style `*` / `?` matching, case-insensitive like OpenSSH's host patterns.
    static func glob(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.lowercased()), t = Array(text.lowercased())
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi
                mark = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}

extension SSHTarget {
    /// This target with `~/.ssh/config` applied (see ``sshConfigFile``) and defaults filled in:
    /// `HostName` replaces an alias address; `User`, `Port` and `IdentityFile` apply where the
    /// target leaves them unset (empty user, default port, no identity files); an empty user then
    /// falls back to the local user name.
    public func resolved() throws -> SSHTarget {
        var target = self
        if let file = sshConfigFile {
            let config = try SSHConfig.load(path: file)
            let settings = config.settings(for: hostAddress, remoteUser: user.isEmpty ? nil : user)
            if let hostName = settings.hostName { target.address = hostName }
            if portMayComeFromConfig, let configured = settings.port { target.port = configured }
            if user.isEmpty, let configured = settings.user { target.user = configured }
            if identityFiles.isEmpty { target.identityFiles = settings.identityFiles }
        }
        if target.user.isEmpty { target.user = LocalPaths.userName }
        return target
    }
}
