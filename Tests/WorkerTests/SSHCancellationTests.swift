import Foundation
import Testing

@testable import Worker

extension SSHTests {
    @Suite("Cancellation and cleanup")
    struct Cancellation {
        private func remoteProcesses(_ fleet: SSHFleet, matching pattern: String) async throws -> [String] {
            try await fleet.remoteProcesses(matching: pattern)
        }

        private func waitForProcess(_ fleet: SSHFleet, matching pattern: String) async throws {
            for _ in 0..<50 {
                if try await !remoteProcesses(fleet, matching: pattern).isEmpty { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            Issue.record("\(pattern) never started on the host")
        }

        private func uniqueSleep() -> String {
            "sleep 600.\(UInt32.random(in: 100_000...999_999))"
        }

        @Test("cancelling the task running `sleep 600` leaves no such process on the host")
        func cancelSleep() async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect()
            let command = uniqueSleep()
            let task = Task { try await connection.run(command) }
            try await waitForProcess(fleet, matching: command)
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(try await remoteProcesses(fleet, matching: command).isEmpty)
            // The connection is still usable afterwards.
            #expect(try await connection.run("echo still here").stdoutText == "still here\n")
            await connection.close()
        }

        @Test("cancelling kills the command's children too")
        func cancelKillsChildren() async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect()
            let command = uniqueSleep()
            let process = connection.execute("\(command) & \(command) & sh -c '\(command)'; wait")
            try await waitForProcess(fleet, matching: command)
            #expect(try await remoteProcesses(fleet, matching: command).count >= 3)
            let waiter = Task { try await process.wait() }
            waiter.cancel()
            await #expect(throws: CancellationError.self) { try await waiter.value }
            #expect(try await remoteProcesses(fleet, matching: command).isEmpty)
            await connection.close()
        }

        @Test("dropping a running process kills it")
        func droppedProcess() async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect()
            let command = uniqueSleep()
            do {
                let process = connection.execute(command)
                _ = process
                try await waitForProcess(fleet, matching: command)
            }
            var remaining = try await remoteProcesses(fleet, matching: command)
            for _ in 0..<50 where !remaining.isEmpty {
                try await Task.sleep(for: .milliseconds(100))
                remaining = try await remoteProcesses(fleet, matching: command)
            }
            #expect(remaining.isEmpty)
            await connection.close()
        }

        @Test("closing the connection stops commands still running")
        func closeStopsCommands() async throws {
            let fleet = try SSHFleet.load()
            let connection = try await fleet.connect()
            let command = uniqueSleep()
            let process = connection.execute(command)
            try await waitForProcess(fleet, matching: command)
            await connection.close()
            let error = await #expect(throws: SSHError.self) { try await process.wait() }
            #expect(error?.kind == .closed)
            #expect(try await remoteProcesses(fleet, matching: command).isEmpty)
        }

        @Test("no descriptor or session thread outlives its connection")
        func noLeaks() async throws {
            let fleet = try SSHFleet.load()
            let before = ResourceSnapshot.take()
            let connection = try await fleet.connect()
            _ = try await connection.run("echo hello")
            var opened = ResourceSnapshot.take().added(since: before)
            // Other suites open sessions in this process meanwhile: this connection's thread is the one to follow.
            let thread = try #require(connection.loop.threadID, "the session thread reports its id")
            #expect(opened.sessionThreads.contains(thread), "the session thread: \(opened)")
            opened.sessionThreads = [thread]
            #expect(opened.descriptors.values.contains { $0.hasPrefix("socket:") }, "the session socket: \(opened)")

            let command = uniqueSleep()
            let task = Task { try await connection.run(command) }
            try await waitForProcess(fleet, matching: command)
            task.cancel()
            _ = await task.result
            await connection.close()

            // The thread exits just after close() returns. `opened` may also hold pipes that tests running in
            // parallel opened meanwhile (their Shell.run children), which this process cannot tell from the
            // session's wake pipe; the session closes that pipe as the last thing its thread does, so the
            // thread's exit and the socket's close are what is checked here.
            func sessionLeft() -> ResourceSnapshot {
                let held = ResourceSnapshot.take().stillHolds(opened)
                return ResourceSnapshot(
                    descriptors: held.descriptors.filter { $0.value.hasPrefix("socket:") },
                    sessionThreads: held.sessionThreads)
            }
            var left = sessionLeft()
            // A leak stays forever; on a loaded machine the session thread may take seconds to finish.
            for _ in 0..<200 where !left.isEmpty {
                try await Task.sleep(for: .milliseconds(50))
                left = sessionLeft()
            }
            #expect(left.isEmpty, "still open after close: \(left)")
        }

        @Test("a failed connection leaves nothing behind either")
        func noLeaksOnFailure() async throws {
            let fleet = try SSHFleet.load()
            let directory = try TemporaryDirectory()
            let file = try directory.file("known_hosts", contents: "")
            // Tests in other suites open sockets and pipes in this process at the same time, and a snapshot
            // cannot tell theirs from ours. A real leak shows in every attempt; interference comes and goes.
            var left = ResourceSnapshot(descriptors: [:], sessionThreads: [])
            for _ in 0..<10 {
                let before = ResourceSnapshot.take()
                _ = try? await SSHConnection.connect(to: fleet.target(knownHosts: [file]))
                left = ResourceSnapshot.take().added(since: before)
                for _ in 0..<20 where !left.isLeakFree {
                    try await Task.sleep(for: .milliseconds(50))
                    left = ResourceSnapshot.take().added(since: before)
                }
                if left.isLeakFree { break }
            }
            #expect(left.isLeakFree, "\(left)")
        }
    }
}

extension ResourceSnapshot {
    /// No session thread, socket or pipe among these entries.
    fileprivate var isLeakFree: Bool {
        sessionThreads.isEmpty && !descriptors.values.contains { $0.hasPrefix("socket:") || $0.hasPrefix("pipe:") }
    }
}
