import NIOCore

/// Runs Swift tasks on one NIO event loop, the one that also serves the registry client's connections.
///
/// With this as a task's executor preference, a request's continuation resumes on the thread that read its
/// response: no hop to the cooperative pool and back for every request, which on a loaded machine costs a
/// scheduler wake-up each time (more than a registry round trip on loopback).
@available(macOS 15.0, *)
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
