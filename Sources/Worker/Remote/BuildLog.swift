import Foundation
import Shared

/// One line of a remote build's output.
public struct BuildLogLine: Sendable, Hashable {
    /// Which stream the line came from.
    public enum Stream: String, Sendable, Hashable {
        case stdout, stderr
    }

    /// The inventory name of the host.
    public var host: String
    /// The platform being built.
    public var platform: Platform
    /// The stream.
    public var stream: Stream
    /// The text, without its line break, with secrets masked.
    public var text: String
}

/// Collects a build's output: splits it into lines (at `\n` and at the `\r` of progress updates), masks
/// secrets, hands each line to the caller, appends it to the log file and keeps the tail for errors and
/// digest parsing. Notes when the push starts (the builder's push markers). Standard output after the
/// line `resultMarker` is the result file the script prints at its end: it is kept apart, not logged.
actor BuildLog {
    private let host: String
    private let platform: Platform
    private let secrets: [String]
    private let secretBytes: [[UInt8]]
    private let pushMarkerBytes: [[UInt8]]
    private let resultMarker: String?
    private var resultLines: [String]?
    private let onLine: @Sendable (BuildLogLine) -> Void
    private let file: FileHandle?
    private var partial: [BuildLogLine.Stream: [UInt8]] = [:]
    private var lines: [String] = []
    private let keep = 5000
    /// When the first push marker was seen.
    private(set) var pushStarted: ContinuousClock.Instant?

    init(
        host: String, platform: Platform, secrets: [String], pushMarkers: [String], resultMarker: String? = nil,
        file: String?, onLine: @escaping @Sendable (BuildLogLine) -> Void
    ) throws {
        self.host = host
        self.resultMarker = resultMarker
        self.platform = platform
        self.secrets = secrets.filter { !$0.isEmpty }
        secretBytes = self.secrets.map { Array($0.utf8) }
        pushMarkerBytes = pushMarkers.map { Array($0.utf8) }
        self.onLine = onLine
        if let file {
            let directory = (file as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            guard FileManager.default.createFile(atPath: file, contents: nil) else {
                throw ContextReadError(path: file, operation: "create the log file", reason: "it cannot be created")
            }
            self.file = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        } else {
            self.file = nil
        }
    }

    /// Adds a chunk of output.
    func append(_ bytes: [UInt8], from stream: BuildLogLine.Stream) {
        var buffer = partial[stream, default: []] + bytes
        while let index = buffer.firstIndex(where: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) {
            emit(Array(buffer[..<index]), from: stream)
            buffer.removeSubrange(...index)
        }
        partial[stream] = buffer
    }

    /// Flushes unterminated lines and closes the file.
    func finish() {
        for (stream, rest) in partial where !rest.isEmpty {
            emit(rest, from: stream)
        }
        partial = [:]
        try? file?.close()
    }

    /// The last lines kept, joined.
    var text: String {
        lines.joined(separator: "\n")
    }

    /// The result file's text (standard output after the result marker), or nil when the marker never came.
    var result: String? {
        resultLines?.joined(separator: "\n")
    }

    /// The last `count` lines.
    func tail(_ count: Int) -> [String] {
        Array(lines.suffix(count))
    }

    private func emit(_ bytes: [UInt8], from stream: BuildLogLine.Stream) {
        guard !bytes.isEmpty else { return }
        var text = String(decoding: bytes, as: UTF8.self)
        if stream == .stdout, let resultMarker {
            if resultLines != nil {
                resultLines?.append(text)
                return
            }
            if text == resultMarker {
                resultLines = []
                return
            }
        }
        // Searched as bytes: Foundation's string search costs more than the rest of a line's handling.
        for (secret, secretBytes) in zip(secrets, secretBytes) where bytes.firstRange(of: secretBytes) != nil {
            text = text.replacingOccurrences(of: secret, with: "********")
        }
        if pushStarted == nil, pushMarkerBytes.contains(where: { bytes.firstRange(of: $0) != nil }) {
            pushStarted = .now
        }
        lines.append(text)
        if lines.count > keep {
            lines.removeFirst(lines.count - keep)
        }
        try? file?.write(contentsOf: Data((text + "\n").utf8))
        onLine(BuildLogLine(host: host, platform: platform, stream: stream, text: text))
    }
}
