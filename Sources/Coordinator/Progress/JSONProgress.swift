import Foundation
import Shared

/// One JSON object per line, for machines: `{"platform":"linux/arm64","host":"arm-1","phase":"building"}`.
actor JSONProgress: ProgressSink {
    private let output: FileHandle
    private let encoder: JSONEncoder

    init(output: FileHandle = .standardError) {
        self.output = output
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    private struct Line: Encodable {
        var time: Date
        var platform: String
        var windowsVersion: String?
        var host: String?
        var phase: String?
        var log: String?
        var error: String?
        var failureKind: FailureKind?
    }

    func record(_ event: ProgressEvent) {
        var line = Line(
            time: Date(), platform: event.slot.platform.description,
            windowsVersion: event.slot.windowsVersion?.rawValue, host: event.host)
        switch event.kind {
        case .phase(let phase): line.phase = phase.rawValue
        case .log(let text): line.log = text
        case .attemptFailed(let message, let kind): (line.error, line.failureKind) = (message, kind)
        }
        guard let data = try? encoder.encode(line) else { return }
        output.write(data + Data("\n".utf8))
    }

    func finish() {}
}
