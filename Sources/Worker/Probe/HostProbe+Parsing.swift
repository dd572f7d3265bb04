import Foundation
import Shared

/// The parsers for each command's output; each takes the text a real host prints.
extension HostProbe {
    /// `uname -s` → `linux`, `darwin`, `freebsd`, …; Cygwin/MSYS spellings → `windows`.
    public static func parseUnameSystem(_ text: String) -> String {
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        if name.hasPrefix("mingw") || name.hasPrefix("msys") || name.hasPrefix("cygwin") || name.hasPrefix("windows") {
            return "windows"
        }
        return name
    }

    /// The version in `cmd /c ver` output: `Microsoft Windows [Version 10.0.20348.2322]` → `10.0.20348.2322`
    /// (localised words before the number are ignored).
    public static func parseWindowsVersion(_ text: String) -> String? {
        guard let open = text.firstIndex(of: "["), let close = text[open...].firstIndex(of: "]") else { return nil }
        let inside = text[text.index(after: open)..<close]
        let version = inside.split(separator: " ").last.map(String.init) ?? ""
        let parts = version.split(separator: ".")
        guard parts.count >= 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else { return nil }
        return version
    }

    /// `PROCESSOR_ARCHITECTURE` (`AMD64`, `ARM64`, `x86`), preferring `PROCESSOR_ARCHITEW6432` (the real
    /// one when a 32-bit process asks) when given.
    public static func parseProcessorArchitecture(_ text: String, wow64: String? = nil) -> String {
        if let wow64 = wow64?.trimmingCharacters(in: .whitespacesAndNewlines), !wow64.isEmpty {
            return wow64
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `docker version` output: the client version, the server (engine) version and the server's OS/Arch.
    /// Works for Docker Engine, Mirantis Container Runtime and Docker Desktop layouts.
    public static func parseDockerVersion(_ text: String) -> (client: String?, server: String?, serverPlatform: String?) {
        var section = ""
        var client: String?
        var server: String?
        var serverPlatform: String?
        for line in text.split(whereSeparator: \.isNewline) {
            if !line.hasPrefix(" "), let colon = line.firstIndex(of: ":") {
                section = String(line[..<colon]).lowercased()
                continue
            }
            let (key, value) = keyValue(line)
            switch (section, key) {
            case ("client", "version"): client = client ?? value
            case ("server", "version"): server = server ?? value
            case ("server", "os/arch"): serverPlatform = serverPlatform ?? value
            default: break
            }
        }
        return (client, server, serverPlatform)
    }

    /// `docker buildx version` → `0.13.1` from `github.com/docker/buildx v0.13.1 788433953af1…`.
    public static func parseBuildxVersion(_ text: String) -> String? {
        let words = text.split(whereSeparator: \.isWhitespace)
        guard let index = words.firstIndex(where: { $0.hasSuffix("buildx") }), index + 1 < words.count else {
            return nil
        }
        var version = String(words[index + 1])
        if version.hasPrefix("v") {
            version.removeFirst()
        }
        return version.first?.isNumber == true ? version : nil
    }

    /// The `Driver:` of `docker buildx inspect` output.
    public static func parseBuildxDriver(_ text: String) -> String? {
        for line in text.split(whereSeparator: \.isNewline) {
            let (key, value) = keyValue(line)
            if key == "driver", let value, !value.isEmpty {
                return value
            }
        }
        return nil
    }

    /// `buildah version` / `podman version`: the `Version:` and `OS/Arch:` lines (the client section for
    /// podman); also accepts the one-line `buildah version 1.28.2 (image-spec …)`.
    public static func parseBuildahVersion(_ text: String) -> (version: String?, platform: String?) {
        var version: String?
        var platform: String?
        for line in text.split(whereSeparator: \.isNewline) {
            let (key, value) = keyValue(line)
            if key == "version" { version = version ?? value }
            if key == "os/arch" { platform = platform ?? value }
        }
        if version == nil {
            let words = text.split(whereSeparator: \.isWhitespace)
            if let index = words.firstIndex(of: "version"), index + 1 < words.count {
                version = String(words[index + 1])
            }
        }
        return (version, platform)
    }

    /// `Key:   value` → (`key` lowercased, `value`), for the `docker version` style of output.
    static func keyValue(_ line: Substring) -> (String, String?) {
        guard let colon = line.firstIndex(of: ":") else {
            return (line.trimmingCharacters(in: .whitespaces).lowercased(), nil)
        }
        let key = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        return (key, value.isEmpty ? nil : value)
    }
}
