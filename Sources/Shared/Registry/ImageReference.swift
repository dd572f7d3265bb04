/// A reference to an image in a registry: `[registry/]repository[:tag][@digest]`.
///
/// Parsed the way Docker does: the first path component is a registry when it contains `.` or `:` or is
/// `localhost`; otherwise the reference is on Docker Hub (`docker.io`), where one-component names live
/// under `library/`. With neither tag nor digest the tag is `latest`.
public struct ImageReference: Sendable, Hashable, CustomStringConvertible {
    /// Docker Hub's name in references.
    public static let dockerHub = "docker.io"

    /// The registry, `host[:port]` (`docker.io` for Docker Hub).
    public var registry: String
    /// The repository path inside the registry, e.g. `library/busybox` or `velero/velero`.
    public var repository: String
    /// The tag, if the reference names one.
    public var tag: String?
    /// The digest, if the reference names one (it wins over the tag when both are given).
    public var digest: Digest?

    /// Creates a reference from its parts.
    public init(registry: String, repository: String, tag: String? = nil, digest: Digest? = nil) {
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    /// Parses a reference; throws ``ImageReferenceError`` naming the part that is wrong.
    public init(parsing text: String) throws(ImageReferenceError) {
        func fail(_ reason: String) -> ImageReferenceError { ImageReferenceError(text: text, reason: reason) }
        var rest = Substring(text)
        if let at = rest.firstIndex(of: "@") {
            do throws(DigestError) {
                digest = try Digest(parsing: String(rest[rest.index(after: at)...]))
            } catch {
                throw fail(error.reason)
            }
            rest = rest[..<at]
        }
        let lastSlash = rest.lastIndex(of: "/")
        if let colon = rest.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            let tag = String(rest[rest.index(after: colon)...])
            guard Self.isValidTag(tag) else {
                throw fail("the tag `\(tag)` must be 1 to 128 of letters, digits, `_`, `.`, `-`, not starting with `.` or `-`")
            }
            self.tag = tag
            rest = rest[..<colon]
        }
        var components = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if components.count > 1, Self.looksLikeRegistry(components[0]) {
            registry = components.removeFirst()
            guard Self.isValidRegistry(registry) else { throw fail("the registry `\(registry)` is not host[:port]") }
        } else {
            registry = Self.dockerHub
        }
        if registry == "index.docker.io" || registry == "registry-1.docker.io" { registry = Self.dockerHub }
        if registry == Self.dockerHub, components.count == 1 { components.insert("library", at: 0) }
        guard !components.isEmpty, components.allSatisfy(Self.isValidPathComponent) else {
            throw fail("the repository `\(components.joined(separator: "/"))` must be lowercase path components "
                + "of letters and digits separated by `.`, `_`, `__` or `-`")
        }
        // Joined by hand: `joined(separator:)` looks up conformances at run time on its first call, a scan of every
        // conformance in the binary.
        repository = components.dropFirst().reduce(into: components[0]) { $0 += "/" + $1 }
        guard repository.utf8.count + registry.utf8.count < 256 else { throw fail("the name is longer than 255 characters") }
        if tag == nil, digest == nil { tag = "latest" }
    }

    /// `registry/repository[:tag][@digest]`.
    public var description: String {
        var text = "\(registry)/\(repository)"
        if let tag { text += ":\(tag)" }
        if let digest { text += "@\(digest)" }
        return text
    }

    /// The reference that the registry API takes: the digest when there is one, else the tag.
    public var reference: String { digest?.description ?? tag ?? "latest" }

    /// The same repository with another tag (and no digest).
    public func withTag(_ tag: String) -> ImageReference {
        ImageReference(registry: registry, repository: repository, tag: tag)
    }

    /// The same repository at `digest` (and no tag).
    public func withDigest(_ digest: Digest) -> ImageReference {
        ImageReference(registry: registry, repository: repository, digest: digest)
    }

    /// Whether `other` names the same repository in the same registry.
    public func isSameRepository(as other: ImageReference) -> Bool {
        registry == other.registry && repository == other.repository
    }

    /// The host:port to connect to (`registry-1.docker.io` for Docker Hub).
    public var apiHost: String { registry == Self.dockerHub ? "registry-1.docker.io" : registry }

    static func looksLikeRegistry(_ component: String) -> Bool {
        component.contains(".") || component.contains(":") || component == "localhost"
            || component.lowercased() != component
    }

    static func isValidRegistry(_ registry: String) -> Bool {
        var host = Substring(registry)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let after = host[host.index(after: close)...]
            return after.isEmpty || (after.first == ":" && isPort(after.dropFirst()))
        }
        if let colon = host.firstIndex(of: ":") {
            guard isPort(host[host.index(after: colon)...]) else { return false }
            host = host[..<colon]
        }
        return !host.isEmpty && host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy { isAlphanumeric($0) || $0 == "-" }
        }
    }

    static func isValidPathComponent(_ component: String) -> Bool {
        // [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
        let scalars = Array(component.unicodeScalars)
        guard let first = scalars.first, let last = scalars.last, isLowerAlphanumeric(first), isLowerAlphanumeric(last)
        else { return false }
        var index = 0
        while index < scalars.count {
            if isLowerAlphanumeric(scalars[index]) {
                index += 1
                continue
            }
            var end = index
            while end < scalars.count, !isLowerAlphanumeric(scalars[end]) { end += 1 }
            let separator = String(String.UnicodeScalarView(scalars[index..<end]))
            guard separator == "." || separator == "_" || separator == "__" || separator.allSatisfy({ $0 == "-" })
            else { return false }
            index = end
        }
        return true
    }

    static func isValidTag(_ tag: String) -> Bool {
        guard let first = tag.unicodeScalars.first, tag.unicodeScalars.count <= 128, first != ".", first != "-" else {
            return false
        }
        return tag.unicodeScalars.allSatisfy { isAlphanumeric($0) || $0 == "_" || $0 == "." || $0 == "-" }
    }

    private static func isPort(_ text: Substring) -> Bool {
        !text.isEmpty && text.count <= 5 && text.allSatisfy(\.isASCII) && text.allSatisfy(\.isNumber)
    }

    private static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        isLowerAlphanumeric(scalar) || ("A"..."Z").contains(scalar)
    }

    private static func isLowerAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}

/// An image reference that cannot be parsed.
public struct ImageReferenceError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The text that was given.
    public let text: String
    /// Which part is wrong and what it should look like.
    public let reason: String

    public var description: String { "invalid image reference `\(text)`: \(reason)" }
}
