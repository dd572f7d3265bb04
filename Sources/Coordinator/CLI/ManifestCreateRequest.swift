import ArgumentParser
import Foundation
import Shared

/// What `coordinator manifest create` was asked to do, as plain values: the same whether the command line went
/// through ArgumentParser (``ManifestCreateCommand``) or through the quick parse of
/// ``parse(_:)`` (see ManifestCreateRequest+Parsing.swift).
struct ManifestCreateRequest: Sendable, Equatable {
    var target: String
    var sources: [String]
    var windowsVersion: String?
    var dropAttestations = false
    var noCrossRepository = false
    var json = false
    var insecureRegistries: [String] = []
    var caCertificates: [String] = []
    var certsDirectory = RegistryOptions.defaultCertsDirectory

    /// The checks ArgumentParser runs before ``run()`` (``ManifestCreateCommand/validate()``).
    func validate() throws {
        guard !sources.isEmpty else { throw ValidationError("Give at least one SOURCE, e.g. linux/arm64=:v1-linux-arm64.") }
        let target = try ImageReference(parsing: target)
        if target.digest != nil { throw ValidationError("--target must be a tag, not a digest: REGISTRY/REPO:TAG.") }
        if let windowsVersion { _ = try WindowsBuildArgument.build(windowsVersion) }
    }

    /// Assembles, pushes and verifies the list and prints it; failures become ``ManifestFailure``s. Runs on the
    /// caller's executor until the registry client takes over (its event loop): no hop to the cooperative pool and
    /// back, each a thread wake-up, before the first request and after the last.
    nonisolated(nonsending) func run() async throws {
        try await ManifestFailure.reporting(execute)
    }

    nonisolated(nonsending) private func execute() async throws {
        let target = try ImageReference(parsing: self.target)
        let hostWindows = try windowsVersion.map(WindowsBuildArgument.build)
        let slots = try sources.map { text in
            let source = try ManifestSourceArgument(parsing: text, target: target)
            return ManifestSlot(expected: source.platform, source: source.reference, hostWindowsVersion: hostWindows)
        }
        let options = ManifestAssembler.Options(keepAttestations: !dropAttestations, allowCrossRepository: !noCrossRepository)
        let configuration = RegistryOptions.clientConfiguration(
            insecureRegistries: insecureRegistries, caCertificates: caCertificates, certsDirectory: certsDirectory)
        // `@Sendable`, so that the body is not isolated to the main actor this function runs on (see `run()`): it runs
        // on the client's event loop.
        let pushed = try await RegistryClient.withClient(configuration: configuration) { @Sendable client in
            try await ManifestAssembler(client: client).assemble(target: target, slots: slots, options: options)
        }
        let rows = pushed.children.flatMap { child in
            [ManifestTableRow(entry: child.entry, source: child.slot.source.description)]
                + child.attestations.map { ManifestTableRow(entry: $0, source: child.slot.source.description) }
        }
        if json {
            struct Output: Encodable {
                var target: String
                var digest: String
                var mediaType: String
                var size: Int
                var manifests: [ManifestTableRow]
            }
            let output = Output(
                target: pushed.target.description, digest: pushed.digest.description, mediaType: pushed.kind.mediaType,
                size: pushed.bytes.count, manifests: rows)
            let encoder = JSONEncoder.output
            FileHandle.standardOutput.write(try encoder.encode(output) + Data("\n".utf8))
        } else {
            // Written as bytes: `print` would look up each value's description conformances, a cost paid at start-up.
            let summary =
                "pushed \(pushed.target)@\(pushed.digest) (\(pushed.kind.mediaType), \(pushed.bytes.count) bytes)"
            var text = summary + "\n" + ManifestTableRow.render(rows) + "\n"
            FileHandle.standardOutput.write(text.withUTF8 { Data(bytes: $0.baseAddress!, count: $0.count) })
        }
    }
}
