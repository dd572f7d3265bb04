import Shared

/// What the scheduler tells the progress display about one platform slot.
struct ProgressEvent: Sendable {
    enum Kind: Sendable {
        /// The slot entered a phase on a host.
        case phase(BuildPhase)
        /// Lines of the builder's output, in order (those of one piece of output arrive together).
        case log([String])
        /// An attempt failed and the slot moves on (or gives up); the message says why.
        case attemptFailed(String, FailureKind)
    }

    var slot: BuildSlot
    var host: String?
    var kind: Kind
}

/// Where progress goes: a live TTY board, prefixed plain lines, or JSON lines.
protocol ProgressSink: Sendable {
    func record(_ event: ProgressEvent) async
    /// Stops any live display, leaving the final state on screen.
    func finish() async
}

/// `--progress auto|tty|plain|json`.
enum ProgressMode: String, CaseIterable, Sendable {
    case auto, tty, plain, json
}
