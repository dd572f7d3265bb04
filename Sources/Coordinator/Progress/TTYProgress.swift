import Foundation
import Shared

/// A live board on a terminal: one line per platform (platform, host, phase, elapsed, last log
/// line), redrawn in place at most ten times a second.
actor TTYProgress: ProgressSink {
    private struct Row {
        var slot: BuildSlot
        var host: String?
        var phase: BuildPhase = .queued
        var started = ContinuousClock.now
        var finished: ContinuousClock.Instant?
        var lastLine = ""
    }

    private let output: FileHandle
    private let width: Int
    private var rows: [Row]
    private var drawnLines = 0
    private var ticker: Task<Void, Never>?

    init(slots: [BuildSlot], output: FileHandle = .standardError, width: Int = TTYProgress.terminalWidth()) {
        self.output = output
        self.width = max(width, 40)
        self.rows = slots.map { Row(slot: $0) }
    }

    func start() {
        draw()
        ticker = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                await self?.draw()
            }
        }
    }

    func record(_ event: ProgressEvent) {
        guard let index = rows.firstIndex(where: { $0.slot == event.slot }) else { return }
        if let host = event.host { rows[index].host = host }
        switch event.kind {
        case .phase(let phase):
            rows[index].phase = phase
            if phase == .done || phase == .failed || phase == .skipped {
                rows[index].finished = .now
            }
        case .log(let lines):
            if let last = lines.last { rows[index].lastLine = last }
        case .attemptFailed(let message, _):
            rows[index].lastLine = message
        }
    }

    func finish() {
        ticker?.cancel()
        ticker = nil
        draw()
    }

    private func draw() {
        var text = drawnLines > 0 ? "\u{1B}[\(drawnLines)A" : ""
        let slotWidth = rows.map(\.slot.description.count).max() ?? 0
        let hostWidth = rows.map { $0.host?.count ?? 1 }.max() ?? 1
        for row in rows {
            let elapsed = (row.finished ?? .now) - row.started
            let seconds = elapsed.seconds
            var line = [
                row.slot.description.padding(toWidth: slotWidth), (row.host ?? "-").padding(toWidth: hostWidth),
                row.phase.rawValue.padding(toWidth: 9), String(format: "%6.1fs", seconds), row.lastLine,
            ].joined(separator: "  ")
            if line.count > width - 1 { line = String(line.prefix(width - 2)) + "…" }
            text += "\u{1B}[2K" + line + "\n"
        }
        drawnLines = rows.count
        output.write(Data(text.utf8))
    }

    /// Columns of the terminal on stderr, or 120.
    static func terminalWidth() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 120
    }
}

extension TTYProgress {
    /// A board for `slots`, already drawing.
    static func started(slots: [BuildSlot]) -> TTYProgress {
        let board = TTYProgress(slots: slots)
        Task { await board.start() }
        return board
    }
}
