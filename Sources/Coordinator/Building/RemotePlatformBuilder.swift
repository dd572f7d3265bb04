import Foundation
import Shared
import Worker

/// Builds a slot on an inventory host over SSH with the ``RemoteWorker``.
struct RemotePlatformBuilder: PlatformBuilding {
    let request: ReleaseRequest
    let sources: ReleaseSources
    let login: RegistryLogin?
    let insecureRegistry: Bool
    let digestCache: ContextDigestCache
    /// Where each pushed image is read for the list as soon as its platform finishes.
    let children: ChildPrefetch
    /// The connections opened while the release read its sources.
    var preconnect: SSHPreconnect?

    func build(
        _ slot: BuildSlot, on host: BuildHost, mode: BuildMode,
        progress: @escaping @Sendable (ProgressEvent.Kind) async -> Void
    ) async throws -> SlotOutput {
        let startedOn = Date()
        var host = host
        if let instance = request.builderInstance, host.builder == .buildx { host.builderInstance = instance }
        let target = request.sshTarget(for: host)
        let worker = RemoteWorker(host: host, target: target, digestCache: digestCache)
        let dockerfile = request.dockerfile(for: slot)
        let (source, label, note) = sources.source(for: slot, dockerfile: dockerfile, builder: host.builder)
        if let note { await progress(.log([note])) }
        // Classic docker build takes no secrets; the plan refused a Dockerfile that mounts one on such a host.
        let secrets = host.builder == .docker ? [] : request.secrets
        if host.builder == .docker, !request.secrets.isEmpty {
            await progress(.log(["the docker builder on \(host.name) takes no build secrets: --secret is not passed "
                + "there (its Dockerfile mounts none)"]))
        }
        var buildRequest = BuildRequest(
            tag: slot.reference, platform: slot.platform, windowsVersion: slot.windowsVersion, dockerfile: dockerfile,
            buildArguments: request.buildArguments,
            output: request.output == .registry ? .registry : .tarball(.docker), noCache: request.noCache,
            target: request.target(for: slot),
            insecureRegistry: insecureRegistry, login: request.output == .registry ? login : nil,
            labels: request.labels.merging([SourceFingerprint.label: label]) { _, own in own })
        buildRequest.buildSecrets = secrets
        if let cacheRepository = request.cacheRepository {
            if host.builder == .docker {
                await progress(.log(["cache: the docker builder (classic docker build) on \(host.name) keeps no registry "
                    + "cache; this platform builds from the host's local cache only"]))
            } else {
                buildRequest.cache = BuildCache(
                    cacheRepository: cacheRepository, platform: slot.platform, windowsVersion: slot.windowsVersion,
                    importing: !request.noCache)
            }
        }
        if !request.manifestAnnotations.isEmpty {
            // OCI manifests: a Docker v2 manifest has no annotations (the plan allows only buildah and podman here).
            buildRequest.annotations = request.manifestAnnotations
            buildRequest.manifestFormat = .oci
        }

        // Log lines and phases arrive on the worker's threads: keep their order through one relay.
        let relay = ProgressRelay()
        let forwarder = Task {
            while let events = await relay.next() {
                for event in events { await progress(event) }
            }
        }
        let children = children
        let manifestSlot: @Sendable (String) -> ManifestSlot? = { digest in
            ManifestSlot(tag: slot.reference, digest: digest, platform: slot.platform.description,
                windowsVersion: slot.windowsVersion?.rawValue)
        }
        var options = RemoteWorker.Options(
            tarballDestination: request.output == .registry ? nil : request.tarball(for: slot),
            onLog: { lines in relay.yield(.log(lines.map(\.text))) },
            onPhase: { phase in relay.yield(.phase(phase)) },
            describe: { tag, digest in
                // The list's reading of the image, done now: one read answers both.
                guard let child = manifestSlot(digest) else { throw DescribeFailure(tag: tag, digest: digest) }
                let manifest = try await children.resolve(child).manifest
                return (manifest.kind.mediaType, Int64(manifest.bytes.count))
            })
        // The builder's version goes into the platform's provenance.
        options.describeBuilder = request.provenance != .none
        if let preconnect {
            let name = host.name
            options.preconnected = { await preconnect.take(name) }
        }
        defer {
            relay.finish()
        }
        let result: RemoteBuildResult
        do {
            result = try await worker.build(buildRequest, source: source, options: options)
        } catch {
            relay.finish()
            await forwarder.value
            throw error
        }
        relay.finish()
        await forwarder.value
        if request.output == .registry, let child = result.digest.flatMap(manifestSlot) {
            await children.prefetch(child)
        }
        let probe = result.probe
        let facts = BuildHostFacts(
            host: host.name, builderKind: probe.builder.kind.rawValue, builderVersion: probe.builder.version,
            buildxVersion: probe.builder.buildxVersion, buildxDriver: probe.builder.buildxDriver,
            operatingSystem: probe.operatingSystem, architecture: probe.reportedArchitecture,
            windowsBuild: probe.windowsBuild, startedOn: startedOn, finishedOn: Date())
        return SlotOutput(
            digest: result.digest, mediaType: result.mediaType, size: result.size.map(Int.init),
            tarball: result.tarball, phases: result.phaseSeconds, hostFacts: facts,
            context: result.contextFiles == 0
                ? nil
                : PlatformReport.ContextTransfer(
                    files: result.contextFiles, bytes: result.contextFileBytes, filesSent: result.contextFilesSent,
                    bytesSent: result.contextBytesSent))
    }
}

/// A pushed image whose tag or digest does not parse, so it cannot be read back.
private struct DescribeFailure: Error, CustomStringConvertible {
    var tag: String
    var digest: String
    var description: String { "\(tag)@\(digest) is not a reference the registry can be asked about" }
}
