import ArgumentParser
import Foundation
import Shared

/// `coordinator manifest create --target REGISTRY/REPO:TAG SOURCE...`
struct ManifestCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        // Named in help and usage when `manifest create` is parsed without the tree (see CommandLineParsing); this
        // also leaves out the completion-script check, which only the `coordinator` root offers.
        _superCommandName: "coordinator manifest",
        abstract: "Assemble a multi-platform list from per-platform images, push it and verify it.",
        discussion: """
            Each SOURCE is an image in the target's repository or another repository of the same registry, \
            optionally with the platform it must be: `linux/arm64=REGISTRY/REPO:v1-linux-arm64`, \
            `windows/amd64=:v1-windows-ltsc2022-amd64` (`:TAG` and `@DIGEST` are relative to the target). \
            Each image's config must prove its platform; Windows entries carry os.version. \
            Nothing is pushed unless every source passes.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The list's reference.", valueName: "registry/repo:tag"))
    var target: String

    @Argument(help: ArgumentHelp("Per-platform images: [PLATFORM=]REFERENCE.", valueName: "source"))
    var sources: [String]

    @Option(
        name: .customLong("windows-version"),
        help: ArgumentHelp(
            "The Windows build the Windows images were built for (ltsc2019, ltsc2022, ltsc2025 or 10.0.N), used "
                + "when an image config has no os.version and checked against it when it has one.",
            valueName: "version"))
    var windowsVersion: String?

    @Flag(name: .customLong("drop-attestations"), help: "Leave out attestation manifests of index sources.")
    var dropAttestations = false

    @Flag(
        name: .customLong("no-cross-repository"),
        help: "Refuse sources from other repositories instead of mounting them into the target's.")
    var noCrossRepository = false

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    @OptionGroup var registry: RegistryOptions

    func validate() throws {
        guard !sources.isEmpty else { throw ValidationError("Give at least one SOURCE, e.g. linux/arm64=:v1-linux-arm64.") }
        let target = try ImageReference(parsing: target)
        if target.digest != nil { throw ValidationError("--target must be a tag, not a digest: REGISTRY/REPO:TAG.") }
        if let windowsVersion { _ = try WindowsBuildArgument.build(windowsVersion) }
    }

    func run() async throws {
        do {
            try await execute()
        } catch {
            throw ManifestFailure(error)
        }
    }

    private func execute() async throws {
        let target = try ImageReference(parsing: self.target)
        let hostWindows = try windowsVersion.map(WindowsBuildArgument.build)
        let slots = try sources.map { text in
            let source = try ManifestSourceArgument(parsing: text, target: target)
            return ManifestSlot(expected: source.platform, source: source.reference, hostWindowsVersion: hostWindows)
        }
        let options = ManifestAssembler.Options(keepAttestations: !dropAttestations, allowCrossRepository: !noCrossRepository)
        let pushed = try await RegistryClient.withClient(configuration: registry.clientConfiguration) { client in
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
            FileHandle.standardOutput.write(Data((summary + "\n" + ManifestTableRow.render(rows) + "\n").utf8))
        }
    }
}
