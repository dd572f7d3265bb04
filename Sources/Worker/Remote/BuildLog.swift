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
/// secrets, hands the lines of each piece of output to the caller in one call, appends them to the log file
/// (one write per piece) and keeps the tail for errors and digest parsing; lines are found and searched as
/// bytes. Notes when the push starts (the builder's push markers). Standard output after the line
/// `resultMarker` is the result file the script prints at its end: it is kept apart, not logged.
actor BuildLog {
    private let host: String
    private let platform: Platform
    private let secrets: [String]
    private let secretBytes: [[UInt8]]
    private let pushMarkerBytes: [[UInt8]]
    private let resultMarker: String?
    private var resultLines: [String]?
    private let onLines: @Sendable ([BuildLogLine]) -> Void
    private let file: FileHandle?
    private var partialOut: [UInt8] = []
    private var partialErr: [UInt8] = []
    private var lines: [String] = []
    private let keep = 5000
    /// When the first push marker was seen.
    private(set) var pushStarted: ContinuousClock.Instant?

    init(
        host: String, platform: Platform, secrets: [String], pushMarkers: [String], resultMarker: String? = nil,
        file: String?, onLines: @escaping @Sendable ([BuildLogLine]) -> Void
    ) throws {
        self.host = host
        self.resultMarker = resultMarker
        self.platform = platform
        self.secrets = secrets.filter { !$0.isEmpty }
        secretBytes = self.secrets.map { Array($0.utf8) }
        pushMarkerBytes = pushMarkers.map { Array($0.utf8) }
        self.onLines = onLines
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
        var buffer = stream == .stdout ? partialOut : partialErr
        let scanFrom = buffer.count
        buffer += bytes
        var emitted: [BuildLogLine] = []
        var lineStart = 0
        var index = scanFrom
        while index < buffer.count {
            let byte = buffer[index]
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                if let line = emit(Array(buffer[lineStart..<index]), from: stream) { emitted.append(line) }
                lineStart = index + 1
            }
            index += 1
        }
        let rest = lineStart == 0 ? buffer : Array(buffer[lineStart...])
        if stream == .stdout { partialOut = rest } else { partialErr = rest }
        deliver(emitted)
    }

    /// Flushes unterminated lines and closes the file.
    func finish() {
        var emitted: [BuildLogLine] = []
        for (stream, rest) in [(BuildLogLine.Stream.stdout, partialOut), (.stderr, partialErr)] where !rest.isEmpty {
            if let line = emit(rest, from: stream) { emitted.append(line) }
        }
        partialOut = []
        partialErr = []
        deliver(emitted)
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

    /// Records one line; returns it for the caller unless it is empty or part of the result file.
    private func emit(_ bytes: [UInt8], from stream: BuildLogLine.Stream) -> BuildLogLine? {
        guard !bytes.isEmpty else { return nil }
        var text = String(decoding: bytes, as: UTF8.self)
        if stream == .stdout, let resultMarker {
            if resultLines != nil {
                resultLines?.append(text)
                return nil
            }
            if text == resultMarker {
                resultLines = []
                return nil
            }
        }
        if stream == .stderr, CLIXML.isRecordLine(text) {
            // Windows PowerShell's serialized errors (`#< CLIXML`): the messages, readable, or nothing.
            text = CLIXML.messages(in: text).joined(separator: " ")
            guard !text.isEmpty else { return nil }
            for secret in secrets where text.contains(secret) {
                text = text.replacingOccurrences(of: secret, with: "********")
            }
        }
        for (secret, secretBytes) in zip(secrets, secretBytes) where bytes.containsBytes(secretBytes) {
            text = text.replacingOccurrences(of: secret, with: "********")
        }
        if pushStarted == nil, pushMarkerBytes.contains(where: { bytes.containsBytes($0) }) {
            pushStarted = .now
        }
        lines.append(text)
        if lines.count > keep {
            lines.removeFirst(lines.count - keep)
        }
        return BuildLogLine(host: host, platform: platform, stream: stream, text: text)
    }

    /// Writes a piece's lines to the log file at once and hands them to the caller.
    private func deliver(_ emitted: [BuildLogLine]) {
        guard !emitted.isEmpty else { return }
        if let file {
            var bytes: [UInt8] = []
            for line in emitted {
                bytes += line.text.utf8
                bytes.append(UInt8(ascii: "\n"))
            }
            try? file.write(contentsOf: bytes)
        }
        onLines(emitted)
    }
}
