/// Names derived from a platform in the Velero design: the per-platform tag
/// `VERSION-linux-arm64` / `VERSION-windows-ltsc2022-amd64` and the tarball
/// `_output/BIN-VERSION-linux-arm64.tar`.
extension Platform {
    /// `linux-arm64`, `linux-arm-v7`, or for Windows `windows-ltsc2022-amd64`.
    ///
    /// - Parameter windowsVersion: required for Windows platforms; ignored for others.
    public func tagSuffix(windowsVersion: WindowsVersion?) -> String {
        var parts = [os]
        if isWindows, let windowsVersion { parts.append(windowsVersion.rawValue) }
        parts.append(architecture)
        if let variant { parts.append(variant) }
        return parts.joined(separator: "-")
    }

    /// The per-platform tag: `VERSION-linux-arm64`, `VERSION-windows-ltsc2022-amd64`.
    public func tag(version: String, windowsVersion: WindowsVersion?) -> String {
        "\(version)-\(tagSuffix(windowsVersion: windowsVersion))"
    }

    /// The Velero tarball path: `_output/BIN-VERSION-linux-arm64.tar`,
    /// `_output/BIN-VERSION-windows-ltsc2022-amd64.tar`.
    public func tarballPath(bin: String, version: String, windowsVersion: WindowsVersion?) -> String {
        "_output/\(bin)-\(version)-\(tagSuffix(windowsVersion: windowsVersion)).tar"
    }
}
