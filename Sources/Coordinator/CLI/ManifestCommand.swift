import ArgumentParser

/// `coordinator manifest`: assemble and inspect multi-platform lists.
struct ManifestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifest",
        abstract: "Assemble, push and inspect multi-platform manifest lists.",
        subcommands: [ManifestCreateCommand.self, ManifestInspectCommand.self]
    )
}
