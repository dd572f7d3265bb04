import ArgumentParser

/// Turns the command line into the command to run.
enum CommandLineParsing {
    /// The `manifest create` request `arguments` (the command line without the program name) make in its plain form,
    /// read without ArgumentParser (see ``ManifestCreateRequest/parse(_:)``); `nil` for anything else, which goes
    /// to ``command(for:)``.
    static func manifestCreateRequest(for arguments: [String]) -> ManifestCreateRequest? {
        guard arguments.count > 2, arguments[0] == "manifest", arguments[1] == "create" else { return nil }
        return ManifestCreateRequest.parse(Array(arguments.dropFirst(2)))
    }

    /// The command `arguments` (the command line without the program name) ask for.
    ///
    /// `manifest create` closes release pipelines and scripts, where its start-up time shows next to the few
    /// requests it makes: it is parsed on its own first, which skips reflecting over the whole command tree and the
    /// completion-script check. Anything that parse does not accept (help, usage errors) is parsed again through the
    /// tree, so help, messages and exit codes are the tree's.
    static func command(for arguments: [String]) throws -> any ParsableCommand {
        if arguments.starts(with: ["manifest", "create"]),
            let parsed = try? ManifestCreateCommand.parseAsRoot(Array(arguments.dropFirst(2))),
            let command = parsed as? ManifestCreateCommand
        {
            return command
        }
        return try Coordinator.parseAsRoot(arguments)
    }
}
