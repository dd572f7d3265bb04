import Foundation

/// A value shared between a sampling thread and the test that reads it, behind a lock.
/// (`Synchronization.Mutex` needs macOS 15; the package supports macOS 14.)
public final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var state: Value

    public init(_ value: Value) { state = value }

    /// A copy of the value as it is now.
    public var value: Value { lock.withLock { state } }

    /// Runs `body` with the value, which no other thread touches meanwhile.
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try lock.withLock { try body(&state) }
    }
}
