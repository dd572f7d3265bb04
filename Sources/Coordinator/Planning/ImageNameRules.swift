import Foundation
import Shared

/// The distribution spec's grammar for repository names and tags, checked before anything runs
/// so that a bad `--image` or `--tag` fails fast instead of on the first push.
enum ImageNameRules {
    /// Why `image` (`[HOST[:PORT]/]PATH`, no tag) is not a valid repository, or `nil`.
    static func problem(withRepository image: String) -> String? {
        if image.contains("@") { return "give the repository without a digest" }
        var components = image.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard components.allSatisfy({ !$0.isEmpty }) else { return "has an empty path component" }
        if components.count > 1, isRegistryHost(components[0]) {
            if let problem = problem(withRegistryHost: components[0]) { return problem }
            components.removeFirst()
        }
        if let last = components.last, last.contains(":") {
            return "give the repository without a tag (use --tag for the version)"
        }
        for component in components where !isPathComponent(component) {
            return "\(MessageText.quoted(component)) is not a valid repository path component (lowercase letters, "
                + "digits and "
                + "single '.', '_', '__' or '-' separators)"
        }
        if image.count > 255 { return "is longer than 255 characters" }
        return nil
    }

    /// Why `tag` is not a valid tag (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`), or `nil`.
    static func problem(withTag tag: String) -> String? {
        guard let first = tag.unicodeScalars.first else { return "is empty" }
        if tag.unicodeScalars.count > 128 { return "is longer than 128 characters" }
        guard isWord(first) else { return "must start with a letter, digit or '_'" }
        guard tag.unicodeScalars.allSatisfy({ isWord($0) || $0 == "." || $0 == "-" }) else {
            return "may hold only letters, digits, '_', '.' and '-'"
        }
        return nil
    }

    /// Why the first component, which names a registry, is not `HOST[:PORT]` (DNS labels of letters, digits
    /// and inner `-`, or a bracketed IPv6 address), or `nil`.
    static func problem(withRegistryHost host: String) -> String? {
        var name = Substring(host)
        var port: Substring?
        if name.hasPrefix("["), let close = name.firstIndex(of: "]") {
            let inside = name[name.index(after: name.startIndex)..<close]
            let rest = name[name.index(after: close)...]
            var address = in6_addr()
            let valid = !inside.isEmpty && inside.count <= 45 && inet_pton(AF_INET6, String(inside), &address) == 1
            guard valid, rest.isEmpty || rest.hasPrefix(":") else { return invalidHost(host) }
            port = rest.isEmpty ? nil : rest.dropFirst()
            name = ""
        } else if let colon = name.firstIndex(of: ":") {
            port = name[name.index(after: colon)...]
            name = name[..<colon]
        }
        if let port, !(port.count <= 5 && port.allSatisfy(\.isASCIIDigit) && (1...65535).contains(Int(port) ?? 0)) {
            return invalidHost(host)
        }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        let validName = name.isEmpty || labels.allSatisfy { label in
            (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                && label.unicodeScalars.allSatisfy { $0.isASCII && (isWord($0) && $0 != "_" || $0 == "-") }
        }
        return validName && host.count <= 255 ? nil : invalidHost(host)
    }

    private static func invalidHost(_ host: String) -> String {
        "the registry \(MessageText.quoted(host)) is not HOST[:PORT] (a host name of letters, digits, '-' and '.', "
            + "an IPv4 address or a bracketed IPv6 address, and a port 1-65535)"
    }

    private static func isRegistryHost(_ component: String) -> Bool {
        component.contains(".") || component.contains(":") || component == "localhost"
            || component.first == "["
    }

    private static func isPathComponent(_ component: String) -> Bool {
        // [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
        let scalars = Array(component.unicodeScalars)
        var index = 0
        func alnumRun() -> Bool {
            let start = index
            while index < scalars.count, isLowerAlnum(scalars[index]) { index += 1 }
            return index > start
        }
        guard alnumRun() else { return false }
        while index < scalars.count {
            switch scalars[index] {
            case ".":
                index += 1
            case "_":
                index += 1
                if index < scalars.count, scalars[index] == "_" { index += 1 }
            case "-":
                while index < scalars.count, scalars[index] == "-" { index += 1 }
            default:
                return false
            }
            guard alnumRun() else { return false }
        }
        return true
    }

    private static func isLowerAlnum(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
    }

    private static func isWord(_ scalar: Unicode.Scalar) -> Bool {
        isLowerAlnum(scalar) || ("A"..."Z").contains(scalar) || scalar == "_"
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
