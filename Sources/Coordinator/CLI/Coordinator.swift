import ArgumentParser

/// The `coordinator` command: native multi-arch container builds across your own hosts.
struct Coordinator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Native multi-arch container builds across your own hosts.",
        discussion: """
            Gives each requested platform to an inventory host that builds it natively, runs the \
            host's builder over SSH to push a per-platform tag, and assembles the multi-arch list.

            Exit codes: 0 success, 1 a build failed, 2 usage or inventory error, \
            3 infrastructure failure, 130 interrupted.
            """,
        version: CoordinatorVersion.text,
        subcommands: [BuildCommand.self, PlanCommand.self, ManifestCommand.self, HostsCommand.self]
    )
}
