import Foundation

/// Runs an independent command-line tool (buildah, skopeo, docker, python3) for the manifest integration tests.
/// Output goes to temporary files, so neither stream can fill up and stall the tool.
enum ExternalTool {
    struct Output: Sendable {
        var status: Int32
        var stdout: [UInt8]
        var stderr: String
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `arguments[0]` (looked up on PATH) with the rest as arguments; `environment` adds to the inherited one.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        let folder = NSTemporaryDirectory() + "manifest-tool-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        FileManager.default.createFile(atPath: folder + "/out", contents: nil)
        FileManager.default.createFile(atPath: folder + "/err", contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: folder + "/out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: folder + "/err"))
        try process.run()
        process.waitUntilExit()
        let stdout = FileManager.default.contents(atPath: folder + "/out") ?? Data()
        let stderr = FileManager.default.contents(atPath: folder + "/err") ?? Data()
        return Output(status: process.terminationStatus, stdout: Array(stdout), stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Runs and requires exit status 0, else throws with the command and its stderr.
    @discardableResult
    static func check(_ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        let output = try run(arguments, environment: environment)
        guard output.status == 0 else {
            throw Failure(description: "`\(arguments.joined(separator: " "))` exited \(output.status): \(output.stderr)")
        }
        return output
    }
}
