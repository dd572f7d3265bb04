import ArgumentParser
import Foundation
import Shared
import Worker

/// `coordinator hosts add NAME ADDRESS`: connects to a new host, asks it what it is, and appends a
/// correct entry to the inventory (the rest of the file is kept byte for byte).
struct HostsAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Probe a new host over SSH and add its entry to the inventory.",
        discussion: """
            Connects with the same host-key rules as build (an unknown key is refused unless \
            --accept-new-host-keys; a changed key always is), asks the host its shell, OS, architecture, \
            Windows build and builders, and appends the entry at the end of the inventory's hosts. \
            The file is created when missing; the rest of it is kept as it is.
            """
    )

    @Argument(help: "A short unique name for the host (letters, digits, '.', '_', '-').")
    var name: String

    @Argument(help: "Its hostname, IP address or ~/.ssh/config alias.")
    var address: String

    @Option(help: "The SSH port (default: the inventory's defaults, ~/.ssh/config, or 22).")
    var port: Int?

    @Option(help: "The remote user (default: the inventory's defaults, ~/.ssh/config, or yours).")
    var user: String?

    @Option(name: .customLong("identity-file"), help: ArgumentHelp(
        "A private key to log in with; repeat for several.", valueName: "file"))
    var identityFiles: [String] = []

    @Option(help: ArgumentHelp(
        "The builder to use: buildx, podman, buildah or docker (default: the first the host has, in that "
            + "order; docker on Windows).", valueName: "builder"))
    var builder: String?

    @Option(name: .customLong("cross-platform"), help: ArgumentHelp(
        "A platform the host cross-builds (e.g. windows/amd64); repeat for several.", valueName: "platform"))
    var crossPlatforms: [String] = []

    @Option(name: .customLong("windows-version"), help: ArgumentHelp(
        "The Windows release a Linux host cross-builds windows images for (ltsc2019, ltsc2022, ltsc2025).",
        valueName: "version"))
    var windowsVersion: String?

    @Flag(name: .customLong("accept-new-host-keys"), help: "Trust the host's key if unknown and record it in ~/.ssh/known_hosts.")
    var acceptNewHostKeys = false

    @Flag(name: .customLong("dry-run"), help: "Print the entry; do not write the inventory.")
    var dryRun = false

    @OptionGroup var inventoryOption: InventoryOption

    func validate() throws {
        guard HostValidation.isValidName(name) else {
            throw ValidationError(
                "\(MessageText.quoted(name)) is not a valid host NAME: use 1-63 letters, digits, '.', '_' or '-', "
                    + "starting with a letter or digit")
        }
        guard HostValidation.normalisedAddress(address) != nil else {
            throw ValidationError("\(MessageText.quoted(address)) is not a hostname, IPv4 or IPv6 ADDRESS")
        }
        if let port, !(1...65535).contains(port) {
            throw ValidationError("--port \(port) is not a TCP port; give 1-65535")
        }
        if let user, !HostValidation.isValidUser(user) {
            throw ValidationError("--user \(MessageText.quoted(user)) is not a valid user name")
        }
        _ = try parsedBuilder()
        let cross = try parsedCrossPlatforms()
        if try parsedWindowsVersion() == nil, let windows = cross.first(where: \.isWindows) {
            throw ValidationError(
                "--cross-platform \(windows) needs --windows-version: the Windows release the images are for "
                    + "(ltsc2019, ltsc2022 or ltsc2025)")
        }
    }

    func run() async throws {
        let request = HostsAddRequest(
            name: name, address: address, port: port, user: user, identityFiles: identityFiles.map(Self.absolute),
            builder: try parsedBuilder(), crossPlatforms: try parsedCrossPlatforms(),
            windowsVersion: try parsedWindowsVersion(), hostKeyPolicy: acceptNewHostKeys ? .acceptNew : .strict,
            inventoryFile: inventoryOption.inventory, dryRun: dryRun)
        try await request.run()
    }

    private func parsedBuilder() throws -> BuilderKind? {
        guard let builder else { return nil }
        guard let kind = BuilderKind(rawValue: builder.lowercased()) else {
            throw ValidationError(
                "--builder \(MessageText.quoted(builder)) is not a builder; use one of "
                    + BuilderKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return kind
    }

    private func parsedCrossPlatforms() throws -> [Platform] {
        var platforms: [Platform] = []
        for text in crossPlatforms {
            do {
                let platform = try Platform(parsing: text)
                if !platforms.contains(platform) { platforms.append(platform) }
            } catch {
                throw ValidationError("--cross-platform: \(error)")
            }
        }
        return platforms
    }

    private func parsedWindowsVersion() throws -> WindowsVersion? {
        guard let windowsVersion else { return nil }
        switch WindowsVersion.parseList(windowsVersion) {
        case .success(let versions) where versions.count == 1: return versions[0]
        case .failure(let error): throw ValidationError("--windows-version: \(error)")
        default: throw ValidationError("--windows-version \(MessageText.quoted(windowsVersion)): give one release, e.g. ltsc2022")
        }
    }

    /// A relative key path made absolute, so the inventory works from any directory (`~` stays as written).
    private static func absolute(_ path: String) -> String {
        guard !path.hasPrefix("/"), !path.hasPrefix("~") else { return path }
        return FileManager.default.currentDirectoryPath + "/" + path
    }
}
