import Foundation
import Shared

/// Builds one platform on one host over SSH: connect, probe (and refuse a host that is not what the
/// inventory says), ship the build context unless the host already has it, log in through standard input,
/// run the builder while streaming its log, read the digest, fetch an image archive back, clean up. On POSIX
/// hosts the probe and the build are one command (``GatedBuildCommand``); the builder is checked when the build
/// needs its answers or failed.
///
/// Every value that reaches the host is quoted for its shell (``RemoteShell``); credentials travel only on
/// standard input; the run directory (`WORKDIR/runs/ID`) is removed whether the build succeeds or not.
public struct RemoteWorker: Sendable {
    /// The host, from the inventory.
    public let host: BuildHost
    /// How to reach it.
    public let target: SSHTarget
    /// The local memory of context digests (shared by the workers of one run).
    public let digestCache: ContextDigestCache
    /// How long contexts stay on the host.
    public let retention: ContextRetention

    /// Creates a worker for `host`; `target` defaults to the host's own SSH settings.
    public init(
        host: BuildHost, target: SSHTarget? = nil, digestCache: ContextDigestCache = ContextDigestCache(),
        retention: ContextRetention = .standard
    ) {
        self.host = host
        self.target = target ?? SSHTarget(host: host)
        self.digestCache = digestCache
        self.retention = retention
    }

    /// Options of one build that are not part of the request.
    public struct Options: Sendable {
        /// Where to store an image archive locally (`_output/BIN-VERSION-OS[-WINVER]-ARCH.tar`).
        public var tarballDestination: String?
        /// Where to save the log, or nil.
        public var logFile: String?
        /// Receives the log lines of each piece of output as it arrives, in order (one call per piece).
        public var onLog: @Sendable ([BuildLogLine]) -> Void
        /// Receives each phase as it starts.
        public var onPhase: @Sendable (BuildPhase) -> Void
        /// Looks up a pushed manifest's media type and size (the coordinator's registry client) when the
        /// builder does not report them (buildah gives only the digest).
        public var describe: (@Sendable (_ tag: String, _ digest: String) async throws -> (mediaType: String, size: Int64))?
        /// Ask the builder its version (and buildx plugin and driver) before building, for the result's probe (the
        /// coordinator's provenance). Best effort: an unanswered question leaves them unknown and fails nothing.
        public var describeBuilder = false
        /// A connection to the host opened earlier (or the error its attempt ended with), used instead of
        /// connecting; nil connects as usual.
        public var preconnected: (@Sendable () async -> Result<SSHConnection, any Error>?)?

        /// Creates options.
        public init(
            tarballDestination: String? = nil, logFile: String? = nil,
            onLog: @escaping @Sendable ([BuildLogLine]) -> Void = { _ in },
            onPhase: @escaping @Sendable (BuildPhase) -> Void = { _ in },
            describe: (@Sendable (_ tag: String, _ digest: String) async throws -> (mediaType: String, size: Int64))? = nil
        ) {
            self.tarballDestination = tarballDestination
            self.logFile = logFile
            self.onLog = onLog
            self.onPhase = onPhase
            self.describe = describe
        }
    }

    /// Builds `request` from a local context directory on the host.
    /// - Throws: ``RemoteBuildError`` (classified: infrastructure, build or cancelled).
    public func build(_ request: BuildRequest, context: BuildContext, options: Options = Options()) async throws
        -> RemoteBuildResult
    {
        try await build(request, source: .context(context), options: options)
    }

    /// Builds `request` from `source` (a local context, shipped unless the host has it, or a git URL).
    /// - Throws: ``RemoteBuildError`` (classified: infrastructure, build or cancelled).
    public func build(_ request: BuildRequest, source: BuildSource, options: Options = Options()) async throws
        -> RemoteBuildResult
    {
        var phases: [BuildPhase: Duration] = [:]
        options.onPhase(.connecting)
        let connection = try await timed(.connecting, into: &phases) {
            if let early = await options.preconnected?() { return try early.get() }
            return try await SSHConnection.connect(to: target)
        }
        do {
            let result = try await build(request, source: source, options: options, on: connection, phases: phases)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    private func build(
        _ request: BuildRequest, source: BuildSource, options: Options, on connection: SSHConnection,
        phases: [BuildPhase: Duration]
    ) async throws -> RemoteBuildResult {
        let shell = RemoteShell(host.shell)
        // When the context's digest is already known and the work directory needs no home directory, the
        // probe also answers whether the host has the context: no extra round trip for an unchanged context.
        var knownDigest: String?
        if case .context(let context) = source {
            // Hosts assemble contexts from their store, named by the tree digest.
            knownDigest = await digestCache.digest(for: ContextManifest.cacheKey(fingerprint: context.fingerprint))?
                .digest
        }
        let knownDirectory = knownDigest.flatMap { digest in
            shell.isAbsolute(host.workDir)
                ? RemoteContextStore(shell: shell, workDirectory: host.workDir).path(for: digest) : nil
        }
        let builder = host.builder.builder
        let resultMarker = HostProbe.marker + "result " + Self.randomID()
        let log = try classified(.probing, kind: .infrastructure) {
            try BuildLog(host: host.name, platform: request.platform, secrets: request.secrets,
                pushMarkers: builder.pushMarkers, resultMarker: resultMarker, file: options.logFile,
                onLines: options.onLog)
        }
        options.onPhase(.probing)
        // On POSIX hosts the build's own command asks the platform questions, then waits at its gate for the
        // script: one command per build. Elsewhere a probe command comes first.
        let gated = try classified(.probing, kind: .infrastructure) {
            shell.family == .posix
                ? try GatedBuildCommand.start(
                    probe: try HostSlots.posixLines(workDir: host.workDir, capacity: host.capacity)
                        + HostProbe.posixLines(for: host, contextDirectory: knownDirectory, asking: .platform),
                    shell: shell, connection: connection, log: log)
                : nil
        }
        let upload = await earlyUpload(source, shell: shell, connection: connection)
        let command = BuildCommand(
            gated: gated, connection: connection, log: log, resultMarker: resultMarker, upload: upload)
        do {
            return try await build(
                request, source: source, options: options, command: command, known: (knownDigest, knownDirectory),
                phases: phases)
        } catch {
            upload?.abandon()
            await gated?.refuse()
            throw error
        }
    }

    /// The upload command, started at once beside the build's (or, on a Windows host, beside its probe: there the
    /// command's own start, a Windows PowerShell process, then overlaps it), for a work directory that needs no home
    /// directory, when the context is likely new to the host: one this run had to read to learn its digest, because
    /// this machine had not seen it before (``ContextDigestCache/wasRead(_:)``: a changed context in a release). Its
    /// channel and exec request then cross the link while the probe does, and its file list (from the manifest that
    /// read left) goes as soon as it runs; the contents go only once the probe has answered that the host lacks the
    /// context and holds a slot for the build. A context the host has after all (a
    /// fresh CI runner releasing an unchanged context) costs a command that ends as soon as it is abandoned.
    private func earlyUpload(_ source: BuildSource, shell: RemoteShell, connection: SSHConnection) async
        -> ContextSync.Started?
    {
        guard case .context(let context) = source, shell.isAbsolute(host.workDir),
            await digestCache.wasRead(ContextManifest.cacheKey(fingerprint: context.fingerprint))
        else { return nil }
        let listing = await ContextManifests.shared.known(for: context).map {
            ContextSync.Listing(context, $0, family: shell.family)
        }
        return try? ContextSync.Started.start(
            connection: connection, store: RemoteContextStore(shell: shell, workDirectory: host.workDir),
            listing: listing)
    }

    /// The build's command: the gated one already started, or one to start once the script is known.
    private struct BuildCommand: Sendable {
        var gated: GatedBuildCommand?
        var connection: SSHConnection
        var log: BuildLog
        var resultMarker: String
        /// The upload command started beside it, or nil (``earlyUpload(_:shell:connection:)``).
        var upload: ContextSync.Started?
    }

    private func build(
        _ request: BuildRequest, source: BuildSource, options: Options, command: BuildCommand,
        known: (digest: String?, directory: String?), phases initial: [BuildPhase: Duration]
    ) async throws -> RemoteBuildResult {
        var phases = initial
        let connection = command.connection
        let shell = RemoteShell(host.shell)
        var probe = try await timed(.probing, into: &phases) {
            let probe: HostProbe
            if let gated = command.gated {
                switch try await gated.answers() {
                case .ready(let answers):
                    probe = try HostProbe.parse(answers, builder: host.builder, host: host.name)
                case .ended(let answers):
                    if HostSlots.saidFull(answers) { throw HostSlotsFull(host: host.name, capacity: host.capacity) }
                    // Parsing says what is missing; a command that answered everything and still ended was stopped.
                    _ = try HostProbe.parse(answers, builder: host.builder, host: host.name)
                    let status = try await gated.finish()
                    throw HostProbeError(host: host.name, message: "the build command ended (\(status)) before it "
                        + "was ready to build: was it stopped on the host?")
                }
            } else {
                probe = try await HostProbe.probe(
                    host, over: connection, contextDirectory: known.directory, asking: .platform)
            }
            try probe.verifyPlatform(against: host)
            return probe
        }
        // The builder is asked about only when the script needs its answers, or when the build fails.
        probe.builder = BuilderProbe(kind: host.builder)
        if host.builder == .buildx, request.output != .registry || request.cache != nil {
            // The archive and the cache export are made differently per buildx driver: the build script needs the
            // builder's answers.
            probe = try await checkBuilder(on: connection, probe: probe)
            if request.cache != nil, probe.builder.buildxDriver == nil || probe.builder.buildxDriver == "docker" {
                options.onLog([BuildLogLine(host: host.name, platform: request.platform, stream: .stderr,
                    text: "cache: buildx's docker driver exports inline cache only: only final-stage steps are cached")])
            }
        } else if options.describeBuilder, let builder = try? await HostProbe.probeBuilder(host, over: connection) {
            probe.builder = builder
        }
        let workDirectory = try classified(.probing, kind: .infrastructure) {
            try shell.resolve(host.workDir, home: probe.home ?? "")
        }
        let shipped: ContextShipment.Shipped
        switch source {
        case .context(let context):
            if let knownDigest = known.digest, let knownDirectory = known.directory, probe.contextPresent == true {
                command.upload?.abandon()
                shipped = ContextShipment.Shipped(
                    context, digest: knownDigest, directory: knownDirectory, bytesSent: 0, filesSent: 0)
                phases[.uploading] = .zero
            } else {
                options.onPhase(.uploading)
                // What the probe already found missing is not asked about again.
                let absent = known.directory != nil && probe.contextPresent == false ? known.digest : nil
                shipped = try await timed(.uploading, into: &phases) {
                    try await ContextShipment(connection: connection, shell: shell, workDirectory: workDirectory,
                        cache: digestCache, probedAbsent: absent, started: command.upload).ship(context)
                }
            }
        case .git(let url):
            shipped = ContextShipment.Shipped(digest: url, directory: url, bytesSent: 0)
        }
        // After a new context arrived, older ones are pruned while the build runs, not after it: off the build's
        // critical path (on a host with a large store, the size pass and the store sweep take seconds). The build's
        // own context is kept by name, and any context a build is reading holds a shared lock (``ContextLock``).
        let pruning = shipped.bytesSent > 0 ? prune(keeping: shipped.digest, shell: shell,
            workDirectory: workDirectory, connection: connection) : nil
        let runDirectory = shell.join(workDirectory, "runs", Self.randomID())
        // A context in use is never pruned: the build holds a shared lock on it (``ContextLock``).
        var holding: String?
        if case .context = source { holding = shipped.directory }
        let invocation = BuildInvocation(
            request: request, shell: shell, contextDirectory: shipped.directory, runDirectory: runDirectory,
            builderInstance: host.builderInstance, buildxDriver: probe.builder.buildxDriver,
            hostDockerConfig: probe.dockerConfig)
        let builder = host.builder.builder
        do {
            let image = try await buildingCheckedOnFailure(
                {
                    try await runBuild(builder, invocation, command: command, options: options, holding: holding,
                        slots: shell.join(workDirectory, "slots"))
                },
                on: connection, probe: probe)
            phases.merge(image.phases) { _, timed in timed }
            var tarball: (path: String, sha256: String)?
            if let remote = image.tarball, let destination = options.tarballDestination {
                options.onPhase(.fetching)
                tarball = try await timed(.fetching, into: &phases) {
                    let directory = (destination as NSString).deletingLastPathComponent
                    if !directory.isEmpty {
                        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                    }
                    let summary = try await connection.download(remote, to: destination)
                    return (destination, summary.sha256)
                }
            }
            // Without an archive to fetch, the build script already removed the run directory.
            await cleanUp(image.tarball == nil ? nil : runDirectory, pruning: pruning, shell: shell,
                connection: connection)
            var built = image.built
            if let digest = built.digest, built.mediaType == nil || built.size == nil, let describe = options.describe {
                if let described = try? await describe(request.tag, digest) {
                    built.mediaType = built.mediaType ?? described.mediaType
                    built.size = built.size ?? described.size
                }
            }
            return RemoteBuildResult(
                platform: request.platform, host: host.name, tag: request.tag, digest: built.digest,
                mediaType: built.mediaType, size: built.size, tarball: tarball?.path,
                tarballSHA256: tarball?.sha256, contextDigest: shipped.digest, contextBytesSent: shipped.bytesSent,
                contextFiles: shipped.files, contextFileBytes: shipped.fileBytes, contextFilesSent: shipped.filesSent,
                phases: phases, logFile: options.logFile, probe: probe)
        } catch {
            await cleanUp(runDirectory, pruning: pruning, shell: shell, connection: connection)
            throw error
        }
    }

    /// Runs the builder's script, streaming its log; reads the digest. Returns the building and pushing times.
    private func runBuild(
        _ builder: any ImageBuilder, _ invocation: BuildInvocation, command: BuildCommand, options: Options,
        holding context: String?, slots: String
    ) async throws -> (built: BuiltImage, tarball: String?, phases: [BuildPhase: Duration]) {
        var phases: [BuildPhase: Duration] = [:]
        let log = command.log
        let plan = try classified(.building, kind: .build) { try builder.plan(invocation) }
        // The script prints the digest file and removes the run directory itself: one command for the build.
        let script = plan.scriptHandingBackResults(marker: command.resultMarker, runDirectory: invocation.runDirectory)
        let started: ContinuousClock.Instant
        let status: ExitStatus
        if let gated = command.gated {
            let text = try classified(.building, kind: .build) {
                try (context.map(ContextLock.posixLines(holding:)) ?? []).joined(separator: "\n") + "\n"
                    + invocation.shell.render(script)
            }
            options.onPhase(.building)
            started = ContinuousClock.now
            gated.open(script: text, input: plan.standardInput)
            status = try await classifiedAsync(.building, kind: .infrastructure) { try await gated.finish() }
        } else {
            let line = try classified(.building, kind: .build) {
                // Elsewhere (Windows) the build's own process takes its slot of the host (``HostSlots``).
                try HostSlots.powerShellCommand(
                    script, shell: invocation.shell, directory: slots, capacity: host.capacity, holding: context)
            }
            options.onPhase(.building)
            started = ContinuousClock.now
            status = try await classifiedAsync(.building, kind: .infrastructure) {
                try await Self.stream(line, stdin: plan.standardInput, on: command.connection, into: log)
            }
        }
        await log.finish()
        let ended = ContinuousClock.now
        if let pushed = await log.pushStarted {
            phases[.building] = pushed - started
            phases[.pushing] = ended - pushed
        } else {
            phases[.building] = ended - started
        }
        guard status == .exited(0) else {
            let tail = await log.tail(30)
            if command.gated == nil, status == .exited(HostSlots.fullStatus), tail.contains(where: HostSlots.saidFull) {
                throw HostSlotsFull(host: host.name, capacity: host.capacity)
            }
            if let fault = RegistryPushFault.find(in: tail, tag: invocation.request.tag) {
                throw RemoteBuildError(
                    phase: .pushing, host: host.name, message: fault.message, failureKind: .infrastructure, logTail: tail)
            }
            throw RemoteBuildError(
                phase: .building, host: host.name,
                message: "the \(builder.kind.rawValue) build ended with \(status); the log follows",
                failureKind: RemoteBuildError.kind(ofFailedBuild: tail, status: status), logTail: tail)
        }
        let digestText = await log.result
        if let file = plan.digestFile, digestText == nil {
            throw RemoteBuildError(
                phase: .pushing, host: host.name,
                message: "the \(builder.kind.rawValue) build succeeded but its digest file \(file) was not there to "
                    + "read back",
                failureKind: .infrastructure, logTail: [])
        }
        let text = await log.text
        let built = try classified(.pushing, kind: .infrastructure) {
            try builder.image(for: invocation, digestFile: digestText, log: text)
        }
        return (built, plan.tarball, phases)
    }

    /// Runs `command`, feeding `stdin` (if any), reading both output streams into `log`.
    private static func stream(
        _ invocation: RemoteInvocation, stdin: [UInt8], on connection: SSHConnection, into log: BuildLog
    ) async throws -> ExitStatus {
        let process: RemoteProcess
        if stdin.isEmpty {
            process = connection.execute(invocation)
        } else {
            let input = AsyncThrowingStream<[UInt8], any Error> { continuation in
                continuation.yield(stdin)
                continuation.finish()
            }
            process = connection.execute(invocation, stdin: input)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await chunk in process.stdout { await log.append(chunk, from: .stdout) }
            }
            group.addTask {
                for try await chunk in process.stderr { await log.append(chunk, from: .stderr) }
            }
            try await group.waitForAll()
        }
        return try await process.wait()
    }

    /// Starts pruning the host's old contexts (``ContextRetention``), keeping `digest`, in a task of its own; failures
    /// here are not the build's.
    private func prune(
        keeping digest: String, shell: RemoteShell, workDirectory: String, connection: SSHConnection
    ) -> Task<Void, Never>? {
        let store = RemoteContextStore(shell: shell, workDirectory: workDirectory)
        guard let command = try? store.pruneCommand(retention, keep: [digest]) else { return nil }
        return Task { _ = try? await connection.run(command) }
    }

    /// Removes the run directory (when given) and waits for the prune (when one was started); failures here are not
    /// the build's. Runs in its own task, so that it still happens when the build was cancelled.
    private func cleanUp(
        _ runDirectory: String?, pruning: Task<Void, Never>?, shell: RemoteShell, connection: SSHConnection
    ) async {
        await Task {
            for step in runDirectory.map({ Self.runCleanup($0, shell: shell) }) ?? [] {
                _ = try? await connection.run(step)
            }
            await pruning?.value
        }.value
    }

    /// The commands that end a run, in order, each on a channel of its own. On a Windows host the run's process tree
    /// is killed first (`taskkill /T /F`, ``WindowsRunDirectory``): Win32-OpenSSH leaves a command's processes running
    /// when its channel closes (a cancel, a `--timeout`), and a late `docker push` could otherwise re-point a tag
    /// after a retry elsewhere. Then the run directory is removed.
    static func runCleanup(_ runDirectory: String, shell: RemoteShell) -> [RemoteInvocation] {
        var steps: [RemoteInvocation] = []
        if shell.family == .windows, let stop = try? WindowsRunDirectory.stopInvocation(runDirectory) {
            steps.append(stop)
        }
        if let remove = try? shell.command(for: RemoteScript([.removeTree(runDirectory)])) {
            steps.append(remove)
        }
        return steps
    }

    /// Runs `body`, records its duration under `phase`, and classifies what it throws.
    func timed<T>(
        _ phase: BuildPhase, into phases: inout [BuildPhase: Duration], _ body: () async throws -> T
    ) async throws -> T {
        let started = ContinuousClock.now
        defer { phases[phase] = ContinuousClock.now - started }
        return try await classifiedAsync(phase, kind: .infrastructure, body)
    }

    func classified<T>(_ phase: BuildPhase, kind: FailureKind, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw wrap(error, phase: phase, kind: kind)
        }
    }

    func classifiedAsync<T>(
        _ phase: BuildPhase, kind: FailureKind, _ body: () async throws -> T
    ) async throws -> T {
        do {
            return try await body()
        } catch {
            throw wrap(error, phase: phase, kind: kind)
        }
    }

    private func wrap(_ error: any Error, phase: BuildPhase, kind: FailureKind) -> any Error {
        if error is RemoteBuildError || error is HostSlotsFull { return error }
        if error is CancellationError || Task.isCancelled {
            return RemoteBuildError(phase: phase, host: host.name, message: "cancelled", failureKind: .cancelled,
                logTail: [])
        }
        let kind = (error as? any ClassifiedError)?.failureKind ?? kind
        return RemoteBuildError(phase: phase, host: host.name, message: String(describing: error), failureKind: kind,
            logTail: [], disqualifiesHost: FailureKind.disqualifiesHost(error))
    }

    static func randomID() -> String {
        String(UInt64.random(in: .min ... .max), radix: 16)
    }
}
