import Shared

/// One `--annotation [TYPE:]KEY=VALUE` in buildx's syntax: `index:` on the list (an OCI index), `manifest:` (the
/// default) on every platform's image manifest, `manifest-descriptor:` on every platform's entry in the list.
struct AnnotationArgument: Hashable, Sendable {
    enum Scope: String, Hashable, Sendable, CaseIterable {
        case index
        case manifest
        case manifestDescriptor = "manifest-descriptor"
    }

    var scope: Scope
    var key: String
    var value: String

    init(parsing text: String) throws(UsageError) {
        var rest = Substring(text)
        scope = .manifest
        if let colon = text.firstIndex(of: ":"), let equals = text.firstIndex(of: "="), colon < equals {
            let prefix = String(text[..<colon])
            guard let given = Scope(rawValue: prefix) else {
                throw UsageError("--annotation \(MessageText.quoted(text)): \(MessageText.quoted(prefix)) is not a type; "
                    + "use index:, manifest: or manifest-descriptor: (no type means manifest:)")
            }
            scope = given
            rest = text[text.index(after: colon)...]
        }
        guard let equals = rest.firstIndex(of: "="), equals != rest.startIndex else {
            throw UsageError("--annotation \(MessageText.quoted(text)) needs a key: [TYPE:]KEY=VALUE")
        }
        key = String(rest[..<equals])
        value = String(rest[rest.index(after: equals)...])
        if key.contains(where: { $0.isWhitespace || $0.isNewline }) {
            throw UsageError("--annotation key \(MessageText.quoted(key)) may not hold spaces")
        }
    }

    /// The annotations of one scope, later ones winning.
    static func collect(_ annotations: [AnnotationArgument], _ scope: Scope) -> [String: String] {
        var result: [String: String] = [:]
        for annotation in annotations where annotation.scope == scope { result[annotation.key] = annotation.value }
        return result
    }
}
