import ArgumentParser
import Foundation
import Shared

/// Entry point: runs the parsed command and maps failures to the documented exit codes
/// (2 for usage and inventory errors, not ArgumentParser's 64).
@main
enum Main {
    static func main() async {
        do {
            let arguments = Array(CommandLine.arguments.dropFirst())
            if let request = CommandLineParsing.manifestCreateRequest(for: arguments) {
                RegistryClient.useOneSharedEventLoop()
                try await request.run()
                return
            }
            var command = try CommandLineParsing.command(for: arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as any CoordinatorFailure {
            FileHandle.standardError.write(Data("error: \(failure.description)\n".utf8))
            exit(failure.exitCode.rawValue)
        } catch {
            let code = Coordinator.exitCode(for: error)
            if code == .success {
                // --help, --version
                print(Coordinator.fullMessage(for: error))
                exit(0)
            }
            FileHandle.standardError.write(Data((Coordinator.fullMessage(for: error) + "\n").utf8))
            exit(code == .validationFailure ? CoordinatorExitCode.usage.rawValue : code.rawValue)
        }
    }
}
