extension SSHConnection {
    /// Runs `invocation` to completion: its own input (a Windows script's frame) goes first on standard input,
    /// then `stdin`. A non-zero exit is a result, not an error.
    public func run(_ invocation: RemoteInvocation, stdin: [UInt8] = []) async throws -> CommandResult {
        try await run(invocation.command, stdin: invocation.input + stdin)
    }

    /// Starts `invocation` with nothing on standard input beyond its own.
    public func execute(_ invocation: RemoteInvocation) -> RemoteProcess {
        guard !invocation.input.isEmpty else { return execute(invocation.command) }
        return execute(invocation, stdin: PrefixedInput(prefix: [], base: EmptyInput()))
    }

    /// Starts `invocation` and feeds it its own input, then `stdin`, then end-of-file.
    public func execute(
        _ invocation: RemoteInvocation, stdin: some AsyncSequence<[UInt8], any Error> & Sendable
    ) -> RemoteProcess {
        execute(invocation.command, stdin: PrefixedInput(prefix: invocation.input, base: stdin))
    }
}

/// An input that sends `prefix` (when not empty) and then every chunk of `base`.
struct PrefixedInput<Base: AsyncSequence<[UInt8], any Error> & Sendable>: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let prefix: [UInt8]
    let base: Base

    struct AsyncIterator: AsyncIteratorProtocol {
        var prefix: [UInt8]?
        var base: Base.AsyncIterator

        mutating func next() async throws -> [UInt8]? {
            if let pending = prefix {
                prefix = nil
                if !pending.isEmpty { return pending }
            }
            return try await base.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(prefix: prefix, base: base.makeAsyncIterator())
    }
}

/// An input with no chunks.
struct EmptyInput: AsyncSequence, Sendable {
    typealias Element = [UInt8]

    struct AsyncIterator: AsyncIteratorProtocol {
        mutating func next() async throws -> [UInt8]? { nil }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator() }
}
