import NIOCore

extension RegistryClient {
    /// Makes NIO's shared event loop group, which registry clients use, one loop instead of one per core: each
    /// client serves its connections from one loop anyway, and a command-line process that runs one client at a
    /// time then starts (and waits for) one event-loop thread instead of several before its first request.
    ///
    /// Call it once, first thing in `main`, before anything uses NIO: NIO refuses a second call and ignores one made
    /// after its shared group exists.
    public static func useOneSharedEventLoop() {
        NIOSingletons.groupLoopCountSuggestion = 1
    }
}
