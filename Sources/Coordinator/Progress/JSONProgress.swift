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

        func with(_ change: (inout Line) -> Void) -> Line {
            var copy = self
            change(&copy)
            return copy
        }
    }

    func record(_ event: ProgressEvent) {
        let line = Line(
            time: Date(), platform: event.slot.platform.description,
            windowsVersion: event.slot.windowsVersion?.rawValue, host: event.host)
        var lines: [Line]
        switch event.kind {
        case .phase(let phase): lines = [line.with { $0.phase = phase.rawValue }]
        case .log(let texts): lines = texts.map { text in line.with { $0.log = text } }
        case .attemptFailed(let message, let kind): lines = [line.with { ($0.error, $0.failureKind) = (message, kind) }]
        }
        var bytes = Data()
        for line in lines {
            guard let data = try? encoder.encode(line) else { continue }
            bytes += data
            bytes.append(UInt8(ascii: "\n"))
        }
        try? output.write(contentsOf: bytes)
    }

    func finish() {}
}
