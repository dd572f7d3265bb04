import Foundation
import Shared
import Worker

/// What `hosts add` was asked, and doing it: check the inventory, connect, discover, edit, write.
struct HostsAddRequest: Sendable {
    var name: String
    var address: String
    var port: Int?
    var user: String?
    var identityFiles: [String]
    var builder: BuilderKind?
    var crossPlatforms: [Platform]
    var windowsVersion: WindowsVersion?
    var hostKeyPolicy: HostKeyPolicy
    var inventoryFile: String
    var dryRun: Bool

    func run() async throws {
        let existing = try InventoryFile.read(inventoryFile)
        // A first edit with a stand-in platform refuses a duplicate before connecting, and gives the host as
        // `build` would see it: the file's `defaults` (user, port, keys, known_hosts file) applied.
        let provisional = try edit(makeEntry(platforms: [Platform(os: "linux", architecture: "amd64")]), existing)
        var target = SSHTarget(host: provisional.host, hostKeyPolicy: hostKeyPolicy)
        target.posixShell = false  // the shell is not known yet
        let connection: SSHConnection
        do {
            connection = try await SSHConnection.connect(to: target)
        } catch let error as SSHError {
            throw HostsAddFailure.connect(error, acceptNew: hostKeyPolicy == .acceptNew)
        }
        if let key = connection.hostKey, let file = key.recordedIn {
            print("recorded the new \(key.type) host key of \(target.endpoint) in \(file): \(key.fingerprint)")
        }
        let discovery: HostDiscovery
        do {
            discovery = try await HostDiscovery.run(on: connection, host: name)
        } catch {
            await connection.close()
            throw HostsAddFailure(description: "host \(name): the probe failed: \(error)", exitCode: .infrastructure)
        }
        await connection.close()

        let entry = try finalEntry(discovery)
        let result = try edit(entry, existing)
        let probed = describe(discovery, chosen: entry.builder ?? .buildx)
        // A host without the programs the build path runs would only fail at its first build: refused here, as
        // `hosts check` would report it; a missing optional one is a note.
        let tools = discovery.tools(for: entry.builder ?? .buildx) ?? HostTools()
        if let problem = tools.problem {
            throw HostsAddFailure(
                description: "host \(name): \(problem); nothing was written to \(inventoryFile)",
                exitCode: .infrastructure)
        }
        for finding in tools.notes {
            print("note: \(name): \(finding.note)")
        }
        if dryRun {
            print(probed)
            print(entry.json(indent: "", unit: "  "))
            return
        }
        try InventoryFile.writeAtomically(result.bytes, to: inventoryFile)
        print(probed)
        print("added host \(name) to \(inventoryFile):")
        print(entry.json(indent: "", unit: "  "))
    }

    private func makeEntry(platforms: [Platform]) -> InventoryEntry {
        InventoryEntry(
            name: name, address: address, port: port, user: user, identityFiles: identityFiles, platforms: platforms,
            crossPlatforms: crossPlatforms, builder: builder, windowsVersion: windowsVersion)
    }

    /// The entry from what the host said: its native platform, builder, shell and Windows release.
    private func finalEntry(_ discovery: HostDiscovery) throws -> InventoryEntry {
        do {
            let native = try discovery.platform(host: name)
            if crossPlatforms.contains(native) {
                throw UsageError(
                    "--cross-platform \(native): host \(name) builds \(native) natively; drop that --cross-platform")
            }
            let chosen = try discovery.builder(requested: builder, host: name)
            var entry = makeEntry(platforms: [native])
            entry.builder = chosen.kind
            entry.shell = discovery.shell
            entry.windowsVersion = try resolvedWindowsVersion(native: native, discovery: discovery)
            return entry
        } catch let error as HostProbeError {
            throw HostsAddFailure(description: error.description, exitCode: .infrastructure)
        }
    }

    private func resolvedWindowsVersion(native: Platform, discovery: HostDiscovery) throws -> WindowsVersion? {
        if native.isWindows {
            guard let found = discovery.windowsVersion else {
                throw UsageError(
                    "host \(name) runs Windows build \(discovery.windowsBuild ?? "?"), which is no Windows Server "
                        + "LTSC release the coordinator knows (\(WindowsVersion.allCases.map(\.build).joined(separator: ", ")))")
            }
            if let windowsVersion, windowsVersion != found {
                throw UsageError(
                    "--windows-version \(windowsVersion): host \(name) runs \(found) (build \(discovery.windowsBuild ?? "?")); "
                        + "drop --windows-version, it is read from the host")
            }
            return found
        }
        guard crossPlatforms.contains(where: \.isWindows) else {
            if let windowsVersion {
                throw UsageError(
                    "--windows-version \(windowsVersion) given, but host \(name) builds no windows platform; drop it, "
                        + "or add --cross-platform windows/amd64")
            }
            return nil
        }
        guard let windowsVersion else {
            throw UsageError(
                "--cross-platform windows/…: say which Windows release host \(name) builds for with --windows-version "
                    + "(e.g. ltsc2022)")
        }
        return windowsVersion
    }

    private func edit(_ entry: InventoryEntry, _ existing: [UInt8]?) throws -> InventoryEditor.Edit {
        do {
            return try InventoryEditor.adding(entry, to: existing, file: inventoryFile)
        } catch {
            throw UsageError("cannot add host \(name): \(error)")
        }
    }

    /// One line per finding: `host arm-1: linux/arm64 (uname -m: aarch64), shell sh, builders: buildx 0.13.1 (chosen), …`.
    private func describe(_ discovery: HostDiscovery, chosen: BuilderKind) -> String {
        let builders = discovery.builders.map { probe -> String in
            if probe.problem != nil { return "\(probe.kind.rawValue) absent" }
            let version = probe.buildxVersion.map { "\($0) (engine \(probe.version ?? "?"))" } ?? probe.version ?? "?"
            return "\(probe.kind.rawValue) \(version)" + (probe.kind == chosen ? " (chosen)" : "")
        }
        let platform = (try? discovery.platform(host: name))?.description ?? "?"
        var text = "host \(name): \(platform) (\(discovery.operatingSystem) \(discovery.reportedArchitecture)"
        if let build = discovery.windowsBuild { text += ", Windows \(build)" }
        return text + "), shell \(discovery.shell.rawValue), builders: \(builders.joined(separator: ", "))"
    }
}

/// A failure of `hosts add`, with its exit code.
struct HostsAddFailure: CoordinatorFailure {
    let description: String
    let exitCode: CoordinatorExitCode

    /// A connection that failed, with what to do about the host key.
    static func connect(_ error: SSHError, acceptNew: Bool) -> HostsAddFailure {
        switch error.kind {
        case .hostKeyUnknown where !acceptNew:
            return HostsAddFailure(
                description: "\(error.description); or pass --accept-new-host-keys to trust it and record it in "
                    + "~/.ssh/known_hosts", exitCode: .infrastructure)
        default:
            return HostsAddFailure(description: error.description, exitCode: .infrastructure)
        }
    }
}
