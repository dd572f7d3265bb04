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
    let client: RegistryClient

    func build(
        _ slot: BuildSlot, on host: BuildHost, mode: BuildMode,
        progress: @escaping @Sendable (ProgressEvent.Kind) async -> Void
    ) async throws -> SlotOutput {
        var host = host
        if let instance = request.builderInstance, host.builder == .buildx { host.builderInstance = instance }
        var target = SSHTarget(host: host)
        target.hostKeyPolicy = request.hostKeyPolicy
        let worker = RemoteWorker(host: host, target: target, digestCache: digestCache)
        let dockerfile = request.dockerfile(for: slot)
        let buildRequest = BuildRequest(
            tag: slot.reference, platform: slot.platform, windowsVersion: slot.windowsVersion, dockerfile: dockerfile,
            buildArguments: request.buildArguments,
            output: request.output == .registry ? .registry : .tarball(.docker), noCache: request.noCache,
            insecureRegistry: insecureRegistry, login: request.output == .registry ? login : nil,
            labels: [SourceFingerprint.label: sources.fingerprints[slot]!.value])

        // Log lines and phases arrive on the worker's threads: keep their order through one stream.
        let (events, continuation) = AsyncStream.makeStream(of: ProgressEvent.Kind.self)
        let forwarder = Task {
            for await event in events { await progress(event) }
        }
        let registry = client
        let options = RemoteWorker.Options(
            tarballDestination: request.output == .registry ? nil : request.tarball(for: slot),
            onLog: { line in continuation.yield(.log(line.text)) },
            onPhase: { phase in continuation.yield(.phase(phase)) },
            describe: { tag, digest in
                let reference = try ImageReference(parsing: tag).withDigest(try Digest(parsing: digest))
                let document = try await registry.manifest(reference)
                return (document.kind.mediaType, Int64(document.bytes.count))
            })
        defer {
            continuation.finish()
        }
        let result: RemoteBuildResult
        do {
            result = try await worker.build(buildRequest, source: sources.sources[dockerfile]!, options: options)
        } catch {
            continuation.finish()
            await forwarder.value
            throw error
        }
        continuation.finish()
        await forwarder.value
        return SlotOutput(
            digest: result.digest, mediaType: result.mediaType, size: result.size.map(Int.init),
            tarball: result.tarball, phases: result.phaseSeconds)
    }
}
