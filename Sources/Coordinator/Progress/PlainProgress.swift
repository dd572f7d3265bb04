import Foundation
import Shared

/// Prefixed lines, for logs and CI: `[linux/arm64 arm-1] building`. The lines of one event go out in one write.
actor PlainProgress: ProgressSink {
    private let output: FileHandle
    /// Each platform's `[platform host] ` prefix, made once (the platform's description is built on every use).
    private var prefixes: [BuildSlot: (host: String?, bytes: [UInt8])] = [:]

    init(output: FileHandle = .standardError) {
        self.output = output
    }

    func record(_ event: ProgressEvent) {
        let prefix = prefix(event.slot, event.host)
        var bytes: [UInt8] = []
        func add(_ text: String) {
            bytes += prefix
            bytes += text.utf8
            bytes.append(UInt8(ascii: "\n"))
        }
        switch event.kind {
        case .phase(let phase): add("\(phase)")
        case .log(let lines): lines.forEach(add)
        case .attemptFailed(let message, let kind): add("\(kind) failure: \(message)")
        }
        ProgressOutput.write(bytes, to: output.fileDescriptor)
    }

    func finish() {}

    private func prefix(_ slot: BuildSlot, _ host: String?) -> [UInt8] {
        if let known = prefixes[slot], known.host == host { return known.bytes }
        let bytes = Array("[\(slot)\(host.map { " \($0)" } ?? "")] ".utf8)
        prefixes[slot] = (host, bytes)
        return bytes
    }
}

/// Writing progress bytes straight to a descriptor: `FileHandle.write(contentsOf:)` goes through generic
/// `DataProtocol` regions and a dynamic cast per call.
enum ProgressOutput {
    /// Writes all of `bytes`; a closed or failing output is left alone (progress is not worth failing a build).
    static func write(_ bytes: [UInt8], to descriptor: Int32) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if !(written < 0 && errno == EINTR) {
                    return
                }
            }
        }
    }
}
