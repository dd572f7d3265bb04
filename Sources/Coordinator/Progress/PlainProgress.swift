import Foundation
import Shared

/// Prefixed lines, for logs and CI: `[linux/arm64 arm-1] building`.
actor PlainProgress: ProgressSink {
    private let output: FileHandle

    init(output: FileHandle = .standardError) {
        self.output = output
    }

    func record(_ event: ProgressEvent) {
        let prefix = "[\(event.slot)\(event.host.map { " \($0)" } ?? "")]"
        let text: String
        switch event.kind {
        case .phase(let phase): text = "\(prefix) \(phase)"
        case .log(let line): text = "\(prefix) \(line)"
        case .attemptFailed(let message, let kind): text = "\(prefix) \(kind) failure: \(message)"
        }
        output.write(Data((text + "\n").utf8))
    }

    func finish() {}
}
