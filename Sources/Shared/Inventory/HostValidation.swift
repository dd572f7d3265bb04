#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Character-level checks for inventory strings that end up in SSH, file names or remote paths.
public enum HostValidation {
    public static func isValidName(_ name: String) -> Bool {
        guard (1...63).contains(name.count), let first = name.unicodeScalars.first,
            isASCIIAlphanumeric(first)
        else { return false }
        return name.unicodeScalars.allSatisfy { isASCIIAlphanumeric($0) || "._-".unicodeScalars.contains($0) }
    }

    /// A builder instance or similar token: letters, digits, `.`, `_`, `-`.
    static func isValidToken(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 128
            && text.unicodeScalars.allSatisfy { isASCIIAlphanumeric($0) || "._-".unicodeScalars.contains($0) }
    }

    /// A builder instance name: a token that starts with a letter or digit, so that no builder reads it as
    /// an option.
    static func isValidBuilderName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, isASCIIAlphanumeric(first) else { return false }
        return isValidToken(text)
    }

    /// The address without IPv6 brackets, or `nil` when it is not a hostname, IPv4 or IPv6 address.
    public static func normalisedAddress(_ address: String) -> String? {
        var text = address
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        guard !text.isEmpty, text.count <= 253 else { return nil }
        if text.contains(":") {
            // IPv6, optionally with a zone (`fe80::1%eth0`).
            let parts = text.split(separator: "%", maxSplits: 1).map(String.init)
            var buffer = in6_addr()
            let zoneOK = parts.count == 1 || isValidToken(parts[1])
            return zoneOK && inet_pton(AF_INET6, parts[0], &buffer) == 1 ? text : nil
        }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        let valid = labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy { isASCIIAlphanumeric($0) || $0 == "-" || $0 == "_" }
        }
        return valid ? text : nil
    }

    /// A remote user: no whitespace, quotes, control or shell characters (`DOMAIN\user` and
    /// `user@domain` are allowed for Windows hosts).
    public static func isValidUser(_ user: String) -> Bool {
        !user.isEmpty && user.count <= 256
            && user.unicodeScalars.allSatisfy { isASCIIAlphanumeric($0) || "._-@\\$".unicodeScalars.contains($0) }
    }

    /// An absolute POSIX (`/var/tmp/x`) or Windows (`C:/x`, `C:\x`) path without control
    /// characters or quotes.
    static func isValidRemotePath(_ path: String) -> Bool {
        let scalars = Array(path.unicodeScalars)
        guard !scalars.isEmpty, path.count <= 1024 else { return false }
        let absolute =
            scalars[0] == "/"
            || (scalars.count >= 3 && scalars[0].properties.isAlphabetic && scalars[1] == ":"
                && (scalars[2] == "/" || scalars[2] == "\\"))
        let clean = scalars.allSatisfy {
            $0.value >= 0x20 && $0.value != 0x7F && !"'\"`$%!^&|;<>*?\n\r".unicodeScalars.contains($0)
        }
        return absolute && clean
    }

    private static func isASCIIAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar))
    }
}

extension BuildHost {
    /// Why `name` cannot be a builder instance (the inventory's `builderInstance`, `--builder`,
    /// `BUILDX_INSTANCE`), or `nil` when it can.
    public static func builderInstanceProblem(_ name: String) -> String? {
        guard HostValidation.isValidBuilderName(name) else {
            return "\(MessageText.quoted(name)) is not a valid builder name: use at most 128 letters, digits, '.', "
                + "'_' or '-', starting with a letter or digit"
        }
        return nil
    }
}
