import Foundation
import Shared

/// Prefixed lines, for logs and CI: `[linux/arm64 arm-1] building`. The lines of one event go out in one write.
actor PlainProgress: ProgressSink {
    private let output: FileHandle

    init(output: FileHandle = .standardError) {
        self.output = output
    }

    func record(_ event: ProgressEvent) {
        let prefix = "[\(event.slot)\(event.host.map { " \($0)" } ?? "")] "
        var bytes: [UInt8] = []
        func add(_ text: String) {
            bytes += prefix.utf8
            bytes += text.utf8
            bytes.append(UInt8(ascii: "\n"))
        }
        switch event.kind {
        case .phase(let phase): add("\(phase)")
        case .log(let lines): lines.forEach(add)
        case .attemptFailed(let message, let kind): add("\(kind) failure: \(message)")
        }
        try? output.write(contentsOf: bytes)
    }

    func finish() {}
}
