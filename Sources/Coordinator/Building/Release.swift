import Foundation
import Shared
import Worker

/// One run of `coordinator build`: resume check, parallel native builds with failover, then the
/// list, pushed only when every platform succeeded (or, with `--allow-partial`, the ones that did).
struct Release: Sendable {
    let request: ReleaseRequest
    /// This run's id, in every provenance statement it makes.
    var invocationID = UUID().uuidString.lowercased()

    /// The report and the exit code it earns.
    struct Outcome: Sendable {
        var report: BuildReport
        var exitCode: CoordinatorExitCode
    }

    func run() async -> Outcome {
        let startedAt = Date()
        let clock = ContinuousClock.now
        let target = request.plan.target
        var report = BuildReport(
            image: target.image, version: target.version, status: .failed, platforms: [], startedAt: startedAt, seconds: 0)
        func finish(_ status: BuildReport.Status, _ code: CoordinatorExitCode, error: String? = nil) -> Outcome {
            report.status = status
            report.error = error
            report.seconds = (ContinuousClock.now - clock).seconds
            return Outcome(report: report, exitCode: code)
        }

        // Each platform's first host is connected to while the sources are read, the resume check and the login run.
        let preconnect = SSHPreconnect()
        await preconnect.start(request.plan.assignments.map { ($0.host.name, request.sshTarget(for: $0.host)) })
        let digestCache = ContextDigestCache()
        let sources: ReleaseSources
        do {
            sources = try await ReleaseSources.prepare(request, cache: digestCache)
        } catch {
            await preconnect.closeRemaining()
            return finish(.failed, .usage, error: error.description)
        }
        let client = RegistryClient(configuration: request.registry)
        let outcome = await run(
            sources: sources, digestCache: digestCache, client: client, preconnect: preconnect, report: &report)
        try? await client.shutdown()
        return finish(outcome.status, outcome.code, error: outcome.error)
    }

    private func run(
        sources: ReleaseSources, digestCache: ContextDigestCache, client: RegistryClient, preconnect: SSHPreconnect,
        report: inout BuildReport
    ) async -> (status: BuildReport.Status, code: CoordinatorExitCode, error: String?) {
        let plan = request.plan
        let logs = BuildLogs(directory: request.outputDirectory + "/logs", bin: plan.target.bin)
        let display = makeDisplay(plan.assignments.map(\.slot))
        let progress = ProgressFanOut(sinks: [display, logs])

        // Resume: platforms whose tag already holds an image of the same sources are not rebuilt.
        var reused: [BuildSlot: ResumeCheck.Existing] = [:]
        if request.resume {
            let check = ResumeCheck(client: client)
            var checkable = sources.fingerprints
            for assignment in plan.assignments {
                guard let reason = sources.resumeOff[request.dockerfile(for: assignment.slot)] else { continue }
                checkable[assignment.slot] = nil
                await progress.record(ProgressEvent(slot: assignment.slot, host: nil, kind: .log([
                    "resume is off for this platform: \(reason)"])))
            }
            reused = await check.existing(plan.assignments.map(\.slot), fingerprints: checkable)
            for assignment in plan.assignments {
                if let existing = reused[assignment.slot] {
                    await progress.record(ProgressEvent(slot: assignment.slot, host: nil, kind: .log([
                        "\(assignment.slot.reference) already holds \(existing.digest) built from the same sources"])))
                    await progress.record(ProgressEvent(slot: assignment.slot, host: nil, kind: .phase(.skipped)))
                }
            }
        }

        let login = await registryLogin(client: client)
        let registryHost = (try? ImageReference(parsing: plan.target.listReference).registry) ?? ""
        // Each pushed image is read for the list as soon as its platform finishes.
        let children = ChildPrefetch(client: client)
        let builder = RemotePlatformBuilder(
            request: request, sources: sources, login: login,
            insecureRegistry: request.registry.security.isInsecure(registryHost), digestCache: digestCache,
            children: children, preconnect: preconnect)
        let toBuild = BuildPlan(target: plan.target, assignments: plan.assignments.filter { reused[$0.slot] == nil })
        let scheduler = Scheduler(
            plan: toBuild, builder: builder, progress: progress, retries: request.retries, backoff: .seconds(2),
            attemptTimeout: request.attemptTimeout)
        let results = await scheduler.run()
        await preconnect.closeRemaining()
        await progress.finish()

        report.platforms = plan.assignments.map { assignment in
            if let existing = reused[assignment.slot] {
                return PlatformReport(
                    platform: assignment.slot.platform.description, windowsVersion: assignment.slot.windowsVersion?.rawValue,
                    tag: assignment.slot.reference, host: nil, outcome: .reused, digest: existing.digest,
                    mediaType: existing.mediaType, size: existing.size, logFile: logs.path(for: assignment.slot))
            }
            let result = results.first { $0.assignment.slot == assignment.slot }!
            return platformReport(result, logFile: logs.path(for: assignment.slot))
        }

        if Task.isCancelled {
            return (.interrupted, .interrupted, "interrupted: remote builds were cancelled")
        }
        let failed = report.platforms.filter { $0.outcome == .failed || $0.outcome == .cancelled }
        let code = failed.contains { $0.failureKind == .build } ? CoordinatorExitCode.buildFailed : .infrastructure

        if request.output == .docker {
            for platform in report.platforms where platform.outcome == .built {
                if let problem = await DockerLoad.load(platform.tarball ?? "") {
                    return (.failed, .infrastructure, problem)
                }
            }
        }
        guard request.output == .registry else {
            return failed.isEmpty ? (.succeeded, .success, nil) : (.failed, code, "\(failed.count) platform(s) failed")
        }
        if !failed.isEmpty && !request.allowPartial {
            return (.failed, code, "\(failed.count) of \(report.platforms.count) platform(s) failed: the list "
                + "\(plan.target.listReference) was not pushed (use --allow-partial to push the others)")
        }
        let succeeded = report.platforms.filter { $0.digest != nil && ($0.outcome == .built || $0.outcome == .reused) }
        guard !succeeded.isEmpty else { return (.failed, code, "no platform succeeded; nothing was pushed") }
        var facts: [String: BuildHostFacts] = [:]
        for result in results { facts[result.assignment.slot.reference] = result.image?.hostFacts }
        do throws(AssemblyError) {
            let contents = await listContents(sources: sources)
            let step = try await prepareProvenance(
                succeeded, facts: facts, sources: sources, client: client, options: .init(contents: contents),
                report: &report)
            let signer = step.signer
            let pushed: ManifestAssembler.PushedList
            do throws(AssemblyError) {
                pushed = try await publish(succeeded, client: client, children: children, options: step.options)
            } catch {
                await finishSigning(signer, report: &report)
                throw error
            }
            await finishSigning(signer, report: &report)
            if pushed.kind == .ociIndex {
                let annotations = contents.defaultAnnotations.merging(contents.indexAnnotations) { _, given in given }
                report.listAnnotations = annotations.isEmpty ? nil : annotations
            }
            report.list = plan.target.listReference
            report.listTags = [plan.target.version] + request.alsoTags
            report.listDigest = pushed.digest.description
            report.listMediaType = pushed.kind.mediaType
        } catch {
            let publishCode: CoordinatorExitCode =
                switch error {
                case .pushFailed, .verificationFailed, .notSigned: .infrastructure
                default: .buildFailed
                }
            return (.failed, publishCode, "the list was not pushed: \(error)")
        }
        if !failed.isEmpty {
            return (.partial, .buildFailed, "partial list pushed without \(failed.map(\.platform).joined(separator: ", "))")
        }
        return (.succeeded, .success, nil)
    }

    /// `--list-format` and the annotations, with the default ones an OCI index gets (unless
    /// `--no-default-annotations`): when the list was made, its version, and the git source and revision.
    private func listContents(sources: ReleaseSources) async -> ListContents {
        var contents = request.listContents
        guard request.defaultAnnotations else { return contents }
        var defaults = [
            "org.opencontainers.image.created": Date().formatted(.iso8601),
            "org.opencontainers.image.version": request.plan.target.version,
        ]
        if request.isGitContext {
            let context = GitContextURL(parsing: request.contextPath)
            defaults["org.opencontainers.image.source"] = context.repositoryWithoutCredentials
            if let commit = sources.pinnedGit.values.first?.ref { defaults["org.opencontainers.image.revision"] = commit }
        } else {
            let checkout = await GitCheckout.describe(request.contextPath)
            if let source = checkout.source { defaults["org.opencontainers.image.source"] = source }
            if let revision = checkout.revision { defaults["org.opencontainers.image.revision"] = revision }
        }
        contents.defaultAnnotations = defaults
        return contents
    }

    private func publish(
        _ platforms: [PlatformReport], client: RegistryClient, children: ChildPrefetch,
        options: ManifestAssembler.Options
    ) async throws(AssemblyError)
        -> ManifestAssembler.PushedList
    {
        let target: ImageReference
        do { target = try ImageReference(parsing: request.plan.target.listReference) } catch {
            throw .pushFailed(target: ImageReference(registry: "", repository: ""), reason: "\(error)")
        }
        let slots = platforms.compactMap {
            ManifestSlot(tag: $0.tag, digest: $0.digest, platform: $0.platform, windowsVersion: $0.windowsVersion)
        }
        return try await ManifestAssembler(client: client, prefetched: children)
            .assemble(target: target, slots: slots, alsoTags: request.alsoTags, options: options)
    }

    private func platformReport(_ result: Scheduler.SlotResult, logFile: String) -> PlatformReport {
        let slot = result.assignment.slot
        let outcome: PlatformReport.Outcome =
            result.image != nil ? .built : result.failureKind == .cancelled ? .cancelled : .failed
        return PlatformReport(
            platform: slot.platform.description, windowsVersion: slot.windowsVersion?.rawValue, tag: slot.reference,
            host: result.host, outcome: outcome, digest: result.image?.digest, mediaType: result.image?.mediaType,
            size: result.image?.size, tarball: result.image?.tarball, phases: result.image?.phases ?? [:],
            seconds: result.seconds, attempts: result.attempts, error: result.error, failureKind: result.failureKind,
            logFile: logFile, context: result.image?.context)
    }

    /// Resolves the registry credentials the hosts' builders log in with (through stdin).
    private func registryLogin(client: RegistryClient) async -> RegistryLogin? {
        guard request.output == .registry, let store = request.registry.credentials,
            let registry = try? ImageReference(parsing: request.plan.target.listReference).registry,
            let credentials = try? await store.credentials(for: registry)
        else { return nil }
        return RegistryLogin(server: registry, username: credentials.username, password: credentials.password)
    }

    private func makeDisplay(_ slots: [BuildSlot]) -> any ProgressSink {
        switch request.progress {
        case .json: return JSONProgress()
        case .plain: return PlainProgress()
        case .tty: return TTYProgress.started(slots: slots)
        case .auto: return isatty(STDERR_FILENO) == 1 ? TTYProgress.started(slots: slots) : PlainProgress()
        }
    }
}
