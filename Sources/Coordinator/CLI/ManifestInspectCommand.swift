import ArgumentParser
import Foundation
import Shared

/// `coordinator manifest inspect REF`
struct ManifestInspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a list's entries (platform, os.version, media type, digest, size), or print its exact bytes."
    )

    @Argument(help: ArgumentHelp("The image or list.", valueName: "reference"))
    var reference: String

    @Flag(name: .long, help: "Print the manifest's exact bytes as served.")
    var raw = false

    @Flag(name: .long, help: "Print the rows as JSON.")
    var json = false

    @OptionGroup var registry: RegistryOptions

    func validate() throws {
        _ = try ImageReference(parsing: reference)
        if raw && json { throw ValidationError("--raw and --json cannot be combined.") }
    }

    func run() async throws {
        try await ManifestFailure.reporting(execute)
    }

    private func execute() async throws {
        let reference = try ImageReference(parsing: self.reference)
        let (document, rows) = try await RegistryClient.withClient(configuration: registry.clientConfiguration) {
            client in
            let document = try await client.manifest(reference)
            switch document.content {
            case .index(let index):
                return (document, index.manifests.map { ManifestTableRow(entry: $0) })
            case .image(let image):
                let config = try CanonicalJSON.decode(
                    ImageConfiguration.self, from: try await client.blob(image.config.digest, in: reference))
                return (document, [ManifestTableRow(entry: document.descriptor(platform: config.platform))])
            }
        }
        if raw {
            FileHandle.standardOutput.write(Data(document.bytes))
        } else if json {
            let encoder = JSONEncoder.output
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        } else {
            print("\(reference.registry)/\(reference.repository)@\(document.digest) (\(document.kind.mediaType), "
                + "\(document.bytes.count) bytes)")
            print(ManifestTableRow.render(rows))
        }
    }
}
