import Foundation
import Shared
import Worker

/// Running the smoke builds: every host of the inventory at once, one platform after another on a host.
struct HostSmokeRun: Sendable {
    let hosts: [BuildHost]
    /// `REGISTRY/REPO` to push `REPO:smoke-HOST` to, or nil to build only.
    let image: ImageReference?
    let hostKeyPolicy: HostKeyPolicy
    let registry: RegistryClient.Configuration
    /// A scratch directory for the contexts and fetched archives, removed by the caller.
    let scratch: String

    func run() async throws -> [HostSmoke] {
        let login = await registryLogin()
        return try await RegistryClient.withClient(configuration: registry) { client in
            await withTaskGroup(of: (Int, [HostSmoke]).self) { group in
                for (index, host) in hosts.enumerated() {
                    group.addTask {
                        var smokes: [HostSmoke] = []
                        for platform in Self.platforms(of: host) {
                            smokes.append(await smoke(host, platform, login: login, client: client))
                        }
                        return (index, smokes)
                    }
                }
                var results = [[HostSmoke]](repeating: [], count: hosts.count)
                for await (index, smokes) in group { results[index] = smokes }
                return results.flatMap { $0 }
            }
        }
    }

    /// The platforms smoke-built on `host`: its native ones, and those it cross-builds with buildah or
    /// podman (a one-file scratch image needs no emulation).
    static func platforms(of host: BuildHost) -> [Platform] {
        host.platforms + (host.builder == .buildah || host.builder == .podman ? host.crossPlatforms : [])
    }

    /// The tag for `platform` on `host`: `REPO:smoke-HOST` for its first platform, `REPO:smoke-HOST-OS-ARCH` for
    /// the others; a local name when nothing is pushed.
    func tag(_ host: BuildHost, _ platform: Platform) -> String {
        var suffix = "smoke-\(host.name)"
        if platform != Self.platforms(of: host).first {
            suffix += "-" + platform.description.replacingOccurrences(of: "/", with: "-")
        }
        guard let image else { return "localhost/coordinator-smoke:\(suffix)" }
        return "\(image.registry)/\(image.repository):\(suffix)"
    }

    private func smoke(
        _ host: BuildHost, _ platform: Platform, login: RegistryLogin?, client: RegistryClient
    ) async -> HostSmoke {
        let start = ContinuousClock.now
        let nativeWindows = platform.isWindows && host.shell.isWindows
        let tag = tag(host, platform)
        var smoke = HostSmoke(
            host: host.name, platform: platform.description, builder: host.builder.rawValue, tag: tag,
            steps: HostSmoke.stepNames(push: image != nil, windowsBase: nativeWindows).map {
                HostSmoke.Step(name: $0, outcome: .skipped)
            }, seconds: 0)
        let target = SSHTarget(host: host, hostKeyPolicy: hostKeyPolicy)
        var base = "scratch"
        if nativeWindows {
            base = SmokeContext.windowsBase(host.windowsVersion ?? .default)
            if let (step, problem) = await SmokeContext.checkBaseImage(base, on: host, target: target) {
                smoke.record(failedAt: step, problem: problem)
                smoke.seconds = (ContinuousClock.now - start).seconds
                return smoke
            }
        }
        let request = BuildRequest(
            tag: tag, platform: platform, windowsVersion: platform.isWindows ? host.windowsVersion ?? .default : nil,
            windowsVersionArgument: nil, output: image == nil ? .tarball(.docker) : .registry,
            insecureRegistry: image.map { registry.security.isInsecure($0.registry) } ?? false, login: login)
        let archive = scratch + "/\(host.name)-\(platform.description.replacingOccurrences(of: "/", with: "-")).tar"
        let worker = RemoteWorker(host: host, target: target)
        let context: BuildContext
        do {
            context = try SmokeContext.make(in: scratch, host: host.name, platform: platform, base: base)
        } catch {
            smoke.record(failedAt: "upload", problem: "cannot write the smoke context under \(scratch): \(error)")
            return smoke
        }
        do {
            let result = try await Self.buildWhenSlotFree(
                worker, request, context: context, options: RemoteWorker.Options(tarballDestination: archive))
            try? FileManager.default.removeItem(atPath: archive)
            smoke.contextFiles = result.contextFiles
            smoke.contextFilesSent = result.contextFilesSent
            if let image {
                try await verifyPushed(tag: tag, digest: result.digest, image: image, client: client)
                smoke.digest = result.digest
            } else {
                smoke.digest = result.tarballSHA256.map { "sha256:" + $0 }
            }
            smoke.record(failedAt: nil, problem: nil)
        } catch let error as SmokeDigestError {
            smoke.record(failedAt: "digest", problem: error.description)
        } catch {
            try? FileManager.default.removeItem(atPath: archive)
            let step = HostSmoke.step(of: error, push: image != nil, loggedIn: login != nil)
            var problem = "\(error)"
            let refused = ["unauthorized", "denied", "401", "403"].contains { problem.lowercased().contains($0) }
            if let image, step == "push", login == nil, refused {
                problem += "\n  (no credentials for \(image.registry) in your Docker configuration were passed to the host: "
                    + "run `docker login \(image.registry)` here, or log in on the host)"
            }
            smoke.record(failedAt: step, problem: problem)
        }
        if image != nil, login == nil { smoke.markNoLogin() }
        smoke.seconds = (ContinuousClock.now - start).seconds
        return smoke
    }

    /// Builds once one of the host's slots is free: while other runs hold them all (``HostSlotsFull``), says so once
    /// on stderr and asks again every 2 s, for up to 10 minutes (then the host's slots are reported taken).
    private static func buildWhenSlotFree(
        _ worker: RemoteWorker, _ request: BuildRequest, context: BuildContext, options: RemoteWorker.Options
    ) async throws -> RemoteBuildResult {
        let deadline = ContinuousClock.now + .seconds(600)
        var said = false
        while true {
            do {
                return try await worker.build(request, context: context, options: options)
            } catch let full as HostSlotsFull where ContinuousClock.now < deadline {
                if !said {
                    FileHandle.standardError.write(Data("waiting for a free slot on \(full.host)\n".utf8))
                    said = true
                }
                try await Task.sleep(for: .seconds(2))
            }
        }
    }

    /// Reads the pushed tag back from the registry: it must exist and hold the digest the builder reported.
    private func verifyPushed(tag: String, digest: String?, image: ImageReference, client: RegistryClient) async throws {
        guard let digest else { throw SmokeDigestError(description: "the builder reported no digest for \(tag)") }
        let reference: ImageReference
        do { reference = try ImageReference(parsing: tag) } catch {
            throw SmokeDigestError(description: "\(tag) is not a reference the registry can be asked about: \(error)")
        }
        let descriptor: Descriptor?
        do { descriptor = try await client.manifestDescriptor(reference) } catch {
            throw SmokeDigestError(description: "cannot read \(tag) back from the registry: \(error)")
        }
        guard let descriptor else {
            throw SmokeDigestError(description: "the registry has no \(tag) after the push")
        }
        guard descriptor.digest.description == digest else {
            throw SmokeDigestError(
                description: "the registry holds \(descriptor.digest) at \(tag), but the builder pushed \(digest)")
        }
    }

    /// The credentials the hosts' builders log in with, from Docker's configuration here (sent on stdin).
    private func registryLogin() async -> RegistryLogin? {
        guard let image, let store = registry.credentials,
            let credentials = try? await store.credentials(for: image.registry)
        else { return nil }
        return RegistryLogin(server: image.registry, username: credentials.username, password: credentials.password)
    }
}

/// The pushed tag could not be confirmed.
struct SmokeDigestError: Error, CustomStringConvertible {
    let description: String
}
