import Foundation

/// A Docker credential helper, `docker-credential-NAME`, run as `docker-credential-NAME get` with the server
/// on stdin; it prints `{"ServerURL":…,"Username":…,"Secret":…}`. The secret never appears in arguments,
/// logs or errors.
struct CredentialHelper: Sendable {
    let name: String
    let searchPath: String

    var executableName: String { "docker-credential-" + name }

    /// The stored credentials for `server`, or `nil` when the helper has none.
    func get(server: String) async throws(CredentialError) -> RegistryCredentials? {
        guard let executable = locate() else {
            throw CredentialError(
                description: "the credential helper \(executableName) named in the Docker config is not on PATH: "
                    + "install it or remove it from config.json")
        }
        let output: ProcessOutput
        do {
            output = try await ProcessOutput.run(executable: executable, arguments: ["get"], stdin: Array(server.utf8))
        } catch {
            throw CredentialError(description: "\(executableName) could not be run: \(error)")
        }
        let errorText = String(decoding: output.stderr + output.stdout, as: UTF8.self)
        guard output.status == 0 else {
            if errorText.lowercased().contains("credentials not found") { return nil }
            throw CredentialError(
                description: "\(executableName) get failed (exit \(output.status)): "
                    + errorText.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300))
        }
        struct Reply: Decodable {
            var Username: String
            var Secret: String
        }
        guard let reply = try? JSONDecoder().decode(Reply.self, from: Data(output.stdout)) else {
            throw CredentialError(description: "\(executableName) get printed something that is not its JSON reply")
        }
        if reply.Username == "<token>" {
            return RegistryCredentials(username: "", password: "", identityToken: reply.Secret)
        }
        return RegistryCredentials(username: reply.Username, password: reply.Secret)
    }

    private func locate() -> String? {
        searchPath.split(separator: ":").map { "\($0)/\(executableName)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// The result of a short local process, run on a dedicated thread (never on the cooperative pool).
struct ProcessOutput: Sendable {
    var status: Int32
    var stdout: [UInt8]
    var stderr: [UInt8]

    static func run(executable: String, arguments: [String], stdin: [UInt8]) async throws -> ProcessOutput {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try runBlocking(executable: executable, arguments: arguments, stdin: stdin) })
            }
            thread.name = "credential-helper"
            thread.start()
        }
    }

    private static func runBlocking(executable: String, arguments: [String], stdin: [UInt8]) throws -> ProcessOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let input = Pipe()
        let output = Pipe()
        let error = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        input.fileHandleForWriting.write(Data(stdin))
        try input.fileHandleForWriting.close()
        // Read both pipes together so that a helper filling one of them cannot stall.
        let errorBytes = LockedBytes()
        let errorReader = Thread { errorBytes.set(error.fileHandleForReading.readDataToEndOfFile()) }
        errorReader.start()
        let outputBytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = errorBytes.wait()
        return ProcessOutput(status: process.terminationStatus, stdout: Array(outputBytes), stderr: Array(stderr))
    }
}

/// Bytes handed from a reader thread to its waiter.
private final class LockedBytes: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: Data?

    func set(_ data: Data) {
        condition.lock()
        value = data
        condition.signal()
        condition.unlock()
    }

    func wait() -> Data {
        condition.lock()
        defer { condition.unlock() }
        while value == nil { condition.wait() }
        return value!
    }
}
