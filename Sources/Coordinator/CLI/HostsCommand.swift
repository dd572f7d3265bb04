import ArgumentParser
import Foundation
import Shared
import Worker

/// `coordinator hosts`: the fleet itself.
struct HostsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hosts",
        abstract: "Check the inventory's build hosts, or add one.",
        subcommands: [HostsCheckCommand.self, HostsAddCommand.self]
    )
}

/// `coordinator hosts check`: per host, reachable, host key, authentication, OS, architecture,
/// Windows build, builder and version, free disk in the work directory, and (POSIX hosts) the host tools
/// the build path runs.
struct HostsCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Connect to every host, probe it, and say whether it can build what the inventory says.",
        discussion: """
            On Linux hosts also checks the programs the build path runs there (GNU tar, coreutils, ...; gzip, \
            openssl, flock are optional: notes). Exits 3 when any host is unusable. With --smoke, builds a one-file image on every host through \
            the real build path instead (with --image, also logs in and pushes REPO:smoke-HOST) and exits 3 \
            when any step fails on any host.
            """
    )

    @OptionGroup var inventoryOption: InventoryOption

    @Flag(name: .customLong("accept-new-host-keys"), help: "Trust and record host keys not yet in known_hosts.")
    var acceptNewHostKeys = false

    @Flag(name: .long, help: "Print the results as JSON.")
    var json = false

    @OptionGroup var smokeOptions: HostSmokeOptions

    func run() async throws {
        if smokeOptions.smoke {
            return try await smokeOptions.run(inventory: inventoryOption.load(), acceptNewHostKeys: acceptNewHostKeys, json: json)
        }
        let inventory = try inventoryOption.load()
        let policy: HostKeyPolicy = acceptNewHostKeys ? .acceptNew : .strict
        let results = await withTaskGroup(of: (Int, HostCheck).self) { group in
            for (index, host) in inventory.hosts.enumerated() {
                group.addTask { (index, await HostCheck.run(host, policy: policy)) }
            }
            var results = [HostCheck?](repeating: nil, count: inventory.hosts.count)
            for await (index, check) in group { results[index] = check }
            return results.compactMap { $0 }
        }
        if json {
            let encoder = JSONEncoder.output
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        } else {
            print(HostCheck.table(results), terminator: "")
        }
        let unusable = results.filter { $0.problem != nil }
        if !unusable.isEmpty {
            throw ReleaseReporting.Failure(
                description: "\(unusable.count) of \(results.count) host(s) unusable: "
                    + unusable.map(\.host).joined(separator: ", "),
                exitCode: .infrastructure)
        }
    }
}

/// What `hosts check` found on one host.
struct HostCheck: Codable, Sendable {
    var host: String
    var address: String
    var reachable: Bool
    var hostKey: String
    var authenticated: Bool
    var os: String?
    var architecture: String?
    var windowsBuild: String?
    var builder: String?
    var builderVersion: String?
    var freeBytes: Int64?
    /// What `--cache registry` does on the host: `registry (mode=max)`, `inline (final stage only)`,
    /// `registry (layers)` or `none`.
    var cache: String?
    /// What a Windows host answered beyond the probe (DefaultShell, PowerShell, tar.exe, engine, disk).
    var windows: WindowsHostFacts?
    /// The host tools that failed their check on a POSIX host (empty when all passed; nil when not checked): a
    /// required one makes the host unusable, the others are notes.
    var tools: [HostTools.Finding]?
    /// Why the host cannot be used, or `nil`.
    var problem: String?

    static func run(_ host: BuildHost, policy: HostKeyPolicy) async -> HostCheck {
        var check = HostCheck(
            host: host.name, address: "\(host.address):\(host.effectivePort)", reachable: false, hostKey: "-",
            authenticated: false)
        let connection: SSHConnection
        do {
            connection = try await SSHConnection.connect(to: SSHTarget(host: host, hostKeyPolicy: policy))
        } catch let error as SSHError {
            switch error.kind {
            case .hostKeyUnknown, .hostKeyMismatch, .hostKeyRevoked, .knownHostsUnwritable:
                (check.reachable, check.hostKey) = (true, "refused")
            case .authenticationFailed, .rsaKeyUnsupported, .passphraseMissing:
                (check.reachable, check.hostKey) = (true, "ok")
            default:
                break
            }
            check.problem = error.description
            return check
        } catch {
            check.problem = "\(error)"
            return check
        }
        (check.reachable, check.hostKey, check.authenticated) = (true, "ok", true)
        do {
            let answer = try await connection.run(HostProbe.command(for: host, asking: [.all, .tools]))
            let probe = try HostProbe.parse(answer.stdoutText, builder: host.builder, host: host.name)
            check.tools = probe.tools?.findings
            check.os = probe.operatingSystem
            check.architecture = probe.reportedArchitecture
            check.windowsBuild = probe.windowsBuild
            check.builder = host.builder.rawValue
            check.builderVersion = probe.builder.buildxVersion ?? probe.builder.version
            check.cache = BuildCache.mode(for: host.builder, buildxDriver: probe.builder.buildxDriver)
            if host.shell == .sh {
                check.freeBytes = try await freeBytes(in: host.workDir, connection: connection)
            } else {
                let facts = try await windowsFacts(of: host, connection: connection)
                (check.windows, check.freeBytes) = (facts, facts.freeBytes)
                if !facts.problems.isEmpty {
                    throw HostProbeError(host: host.name, message: facts.problems.joined(separator: "; "))
                }
            }
            try probe.verify(against: host)
        } catch {
            check.problem = "\(error)"
        }
        if let tools = check.tools, let problem = HostTools(findings: tools).problem {
            let toolsProblem = HostProbeError(host: "\(host.name) (\(host.address))", message: problem).description
            check.problem = [check.problem, toolsProblem].compactMap { $0 }.joined(separator: "; ")
        }
        await connection.close()
        return check
    }

    /// A Windows host's ``WindowsHostFacts``.
    private static func windowsFacts(of host: BuildHost, connection: SSHConnection) async throws -> WindowsHostFacts {
        let answer = try await connection.run(WindowsHostCheck.invocation(workDirectory: host.workDir))
        return WindowsHostCheck.parse(answer.stdoutText)
    }

    /// Free space where the work directory is (created if missing), from POSIX `df -Pk`.
    private static func freeBytes(in directory: String, connection: SSHConnection) async throws -> Int64? {
        let quoted = try POSIXShell.quote(directory)
        let result = try await connection.run("mkdir -p \(quoted) && df -Pk \(quoted)")
        guard result.status == .exited(0), let line = result.stdoutText.split(separator: "\n").last else { return nil }
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 4, let kilobytes = Int64(fields[3]) else { return nil }
        return kilobytes * 1024
    }

    static func table(_ checks: [HostCheck]) -> String {
        let rows = checks.map { check -> [String] in
            [
                check.host, check.address, check.reachable ? "yes" : "no", check.hostKey,
                check.authenticated ? "ok" : "-", check.os ?? "-", check.architecture ?? "-", check.windowsBuild ?? "-",
                [check.builder, check.builderVersion].compactMap { $0 }.joined(separator: " ").ifEmpty("-"),
                check.freeBytes.map { String(format: "%.1f GiB", Double($0) / 1_073_741_824) } ?? "-",
                check.cache ?? "-", toolsCell(check.tools), check.problem == nil ? "usable" : "UNUSABLE",
            ]
        }
        var text = TextTable.render(
            header: ["HOST", "ADDRESS", "REACHABLE", "HOST KEY", "AUTH", "OS", "ARCH", "WINDOWS", "BUILDER", "FREE", "CACHE",
                     "TOOLS", "STATUS"],
            rows: rows)
        text += windowsSummary(checks)
        text += toolNotes(checks)
        for check in checks {
            if let problem = check.problem { text += "\n\(check.host): \(problem)\n" }
        }
        return text
    }
}

extension String {
    fileprivate func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
