import Foundation
import Shared

/// The full log of every platform, one file each under `_output/logs/`
/// (`_output/logs/BIN-VERSION-linux-arm64.log`), written as lines arrive.
actor BuildLogs: ProgressSink {
    let directory: String
    private let bin: String
    private var handles: [BuildSlot: FileHandle] = [:]

    init(directory: String = "_output/logs", bin: String) {
        self.directory = directory
        self.bin = bin
    }

    /// The log file of `slot`.
    nonisolated func path(for slot: BuildSlot) -> String {
        "\(directory)/\(bin)-\(slot.version)-\(slot.platform.tagSuffix(windowsVersion: slot.windowsVersion)).log"
    }

    func record(_ event: ProgressEvent) {
        let line: String
        switch event.kind {
        case .phase(let phase): line = "== \(phase)\(event.host.map { " on \($0)" } ?? "")"
        case .log(let text): line = text
        case .attemptFailed(let message, let kind): line = "== \(kind) failure on \(event.host ?? "-"): \(message)"
        }
        guard let handle = handle(for: event.slot) else { return }
        handle.write(Data((line + "\n").utf8))
    }

    func finish() {
        for handle in handles.values { try? handle.close() }
        handles.removeAll()
    }

    private func handle(for slot: BuildSlot) -> FileHandle? {
        if let handle = handles[slot] { return handle }
        let file = path(for: slot)
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: file, contents: nil),
            let handle = FileHandle(forWritingAtPath: file)
        else { return nil }
        handles[slot] = handle
        return handle
    }
}

/// Sends every event to several sinks (the display and the log files).
struct ProgressFanOut: ProgressSink {
    var sinks: [any ProgressSink]

    func record(_ event: ProgressEvent) async {
        for sink in sinks { await sink.record(event) }
    }

    func finish() async {
        for sink in sinks { await sink.finish() }
    }
}
