import Foundation
import Shared
import TestSupport

/// `Tests/Fixtures/registry-fault-proxy.py` in front of a plain fleet registry, started for one test and stopped
/// (by its own process, nothing else) when the test is done.
final class FaultProxy: Sendable {
    struct LogEntry: Decodable, Sendable {
        var listener: String
        var method: String
        var path: String
        var authorization: Bool
        var status: StatusValue

        enum StatusValue: Decodable, Sendable, Equatable {
            case code(Int)
            case dropped
            /// The upstream registry refused the connection (it was down), so the client's connection was dropped.
            case upstreamDown

            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let code = try? container.decode(Int.self) {
                    self = .code(code)
                } else {
                    self = (try? container.decode(String.self)) == "upstream-down" ? .upstreamDown : .dropped
                }
            }
        }
    }

    let host: String
    let redirectPort: Int
    private let process: SpawnedProcess
    private let logFile: String

    /// Starts the proxy for `upstream` with the given fault flags and waits until it listens.
    init(upstream: String, flags: [String]) async throws {
        let folder = NSTemporaryDirectory() + "fault-proxy-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        logFile = folder + "/log.jsonl"
        let ready = folder + "/ready.json"
        let script = SourceTree.path("Tests/Fixtures/registry-fault-proxy.py")
        let process = try SpawnedProcess(
            ["python3", script, "--upstream", upstream, "--ready-file", ready, "--log", logFile] + flags,
            stderr: .inherited)
        self.process = process
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: ready) {
            try await Task.sleep(for: .milliseconds(50))
        }
        struct Ready: Decodable {
            var port: Int
            var redirectPort: Int
        }
        guard let data = FileManager.default.contents(atPath: ready), let ports = try? JSONDecoder().decode(Ready.self, from: data)
        else {
            process.stop(grace: .seconds(2))
            throw ExternalTool.Failure(description: "the fault proxy did not start within 5 s")
        }
        host = "127.0.0.1:\(ports.port)"
        redirectPort = ports.redirectPort
    }

    /// What reached the proxy so far.
    func log() throws -> [LogEntry] {
        let text = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { try JSONDecoder().decode(LogEntry.self, from: Data($0.utf8)) }
    }

    /// Stops the proxy: SIGTERM, then SIGKILL if it is still running after 2 seconds.
    func stop() {
        process.stop(grace: .seconds(2))
    }
}
