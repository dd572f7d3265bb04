import Foundation
import Shared

/// The full log of every platform, one file each under `_output/logs/`
/// (`_output/logs/BIN-VERSION-linux-arm64.log`), written as lines arrive.
actor BuildLogs: ProgressSink {
    let directory: String
    private let bin: String
    private var handles: [BuildSlot: FileHandle] = [:]
    private var directoryMade = false

    init(directory: String = "_output/logs", bin: String) {
        self.directory = directory
        self.bin = bin
    }

    /// The log file of `slot`.
    nonisolated func path(for slot: BuildSlot) -> String {
        "\(directory)/\(bin)-\(slot.version)-\(slot.platform.tagSuffix(windowsVersion: slot.windowsVersion)).log"
    }

    func record(_ event: ProgressEvent) {
        var bytes: [UInt8] = []
        func add(_ text: String) {
            bytes += text.utf8
            bytes.append(UInt8(ascii: "\n"))
        }
        switch event.kind {
        case .phase(let phase): add("== \(phase)\(event.host.map { " on \($0)" } ?? "")")
        case .log(let lines): lines.forEach(add)
        case .attemptFailed(let message, let kind): add("== \(kind) failure on \(event.host ?? "-"): \(message)")
        }
        guard let handle = handle(for: event.slot) else { return }
        ProgressOutput.write(bytes, to: handle.fileDescriptor)
    }

    func finish() {
        for handle in handles.values { try? handle.close() }
        handles.removeAll()
    }

    /// The slot's file, created (or truncated) on its first event.
    private func handle(for slot: BuildSlot) -> FileHandle? {
        if let handle = handles[slot] { return handle }
        if !directoryMade {
            directoryMade = (try? FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true)) != nil
        }
        let descriptor = open(path(for: slot), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return nil }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
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
