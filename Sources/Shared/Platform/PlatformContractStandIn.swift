// TEMPORARY: stands in for the lead's `Platform` (Sources/Shared/Platform) until it lands on main,
// written against the contract in BRIEF.md. Delete this file when merging main brings the real type.

/// A target platform such as `linux/arm64` or `linux/arm/v7`.
public struct Platform: Sendable, Hashable, CustomStringConvertible {
    public var os: String
    public var architecture: String
    public var variant: String?

    public init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    /// Parses `os/arch[/variant]`, normalising `aarch64`, `x86_64` and `armv7l`.
    public init(parsing text: String) throws(PlatformError) {
        let parts = text.lowercased().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            throw PlatformError(description: "invalid platform `\(text)`: expected os/architecture[/variant]")
        }
        var architecture = parts[1]
        var variant = parts.count == 3 ? parts[2] : nil
        switch architecture {
        case "aarch64": architecture = "arm64"
        case "x86_64", "x86-64": architecture = "amd64"
        case "armv7l", "armhf": architecture = "arm"; variant = variant ?? "v7"
        default: break
        }
        self.init(os: parts[0], architecture: architecture, variant: variant)
    }

    public var description: String { [os, architecture, variant].compactMap { $0 }.joined(separator: "/") }
}

public struct PlatformError: Error, CustomStringConvertible, Sendable {
    public let description: String
}
