extension RemoteProcess {
    /// Reads the command's output to its end, standard output discarded, and returns the first 64 KiB (or so) of
    /// its standard error, for the error that names what went wrong on the host.
    func collectingErrors() async throws -> [UInt8] {
        try await withThrowingTaskGroup(of: [UInt8].self) { group in
            group.addTask {
                for try await _ in stdout {}
                return []
            }
            group.addTask { try await standardErrorHead() }
            return try await group.reduce(into: []) { $0 += $1 }
        }
    }

    /// Reads standard error to its end and returns its first 64 KiB (or so); for a caller that reads standard output
    /// itself.
    func standardErrorHead() async throws -> [UInt8] {
        var collected: [UInt8] = []
        for try await chunk in stderr where collected.count < 65_536 { collected += chunk }
        return collected
    }
}
