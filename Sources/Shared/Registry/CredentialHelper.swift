import Foundation
import Subprocess
import SystemPackage

/// A Docker credential helper, `docker-credential-NAME`, run as `docker-credential-NAME get` with the server
/// on stdin; it prints `{"ServerURL":…,"Username":…,"Secret":…}`. The secret never appears in arguments,
/// logs or errors.
struct CredentialHelper: Sendable {
    let name: String
    let searchPath: String

    var executableName: String { "docker-credential-" + name }

    /// The most a helper may print on either stream (a reply is a few hundred bytes).
    static let replyLimit = 1 << 20

    /// The stored credentials for `server`, or `nil` when the helper has none.
    func get(server: String) async throws(CredentialError) -> RegistryCredentials? {
        guard let executable = locate() else {
            throw CredentialError(
                description: "the credential helper \(executableName) named in the Docker config is not on PATH: "
                    + "install it or remove it from config.json")
        }
        let output: ExecutionResult<Void, BytesOutput, BytesOutput>
        do {
            let input = try Self.filledPipe(Array(server.utf8))
            defer { try? input.close() }
            // swift-subprocess: posix_spawn with no inherited descriptors, output read off the cooperative pool.
            output = try await Subprocess.run(
                .path(FilePath(executable)), arguments: ["get"],
                input: .fileDescriptor(input, closeAfterSpawningProcess: false),
                output: .bytes(limit: Self.replyLimit), error: .bytes(limit: Self.replyLimit))
        } catch let error as SubprocessError where error.code == .outputLimitExceeded {
            throw CredentialError(
                description: "\(executableName) get printed more than \(Self.replyLimit / 1024) KiB: that is not "
                    + "its JSON reply")
        } catch {
            throw CredentialError(description: "\(executableName) could not be run: \(error)")
        }
        let failure: String? =
            switch output.terminationStatus {
            case .exited(0): nil
            case .exited(let code): "exit \(code)"
            case .signaled(let signal): "killed by signal \(signal)"
            }
        let errorText = String(decoding: output.standardError + output.standardOutput, as: UTF8.self)
        if let failure {
            if errorText.lowercased().contains("credentials not found") { return nil }
            throw CredentialError(
                description: "\(executableName) get failed (\(failure)): "
                    + errorText.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300))
        }
        struct Reply: Decodable {
            var Username: String
            var Secret: String
        }
        guard let reply = try? JSONDecoder().decode(Reply.self, from: Data(output.standardOutput)) else {
            throw CredentialError(description: "\(executableName) get printed something that is not its JSON reply")
        }
        if reply.Username == "<token>" {
            return RegistryCredentials(username: "", password: "", identityToken: reply.Secret)
        }
        return RegistryCredentials(username: reply.Username, password: reply.Secret)
    }

    /// The read end of a pipe that already holds `bytes` (a server name, far less than a pipe's 64 KiB) and is
    /// closed for writing: nothing is written once the helper runs, so a helper that exits without reading its
    /// input cannot raise SIGPIPE in this process.
    private static func filledPipe(_ bytes: [UInt8]) throws -> FileDescriptor {
        guard bytes.count <= 4096 else {
            throw CredentialError(description: "the registry server name is longer than 4096 bytes")
        }
        // Not close-on-exec, which does not matter: swift-subprocess closes every descriptor above 2 in its children.
        let (readEnd, writeEnd) = try FileDescriptor.pipe()
        do {
            try writeEnd.closeAfter { _ = try writeEnd.writeAll(bytes) }
        } catch {
            try? readEnd.close()
            throw error
        }
        return readEnd
    }

    private func locate() -> String? {
        searchPath.split(separator: ":").map { "\($0)/\(executableName)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
