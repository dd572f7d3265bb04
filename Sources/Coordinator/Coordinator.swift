import ArgumentParser

@main
struct Coordinator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Native multi-arch container builds across your own hosts.",
        subcommands: [ManifestCommand.self]
    )
}
