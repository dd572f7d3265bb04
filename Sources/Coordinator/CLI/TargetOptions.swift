import ArgumentParser
import Foundation
import Shared

/// The options that say what to build, shared by `plan` and `build`. Each falls back to the
/// Velero Makefile variable named in its help when the flag is absent.
struct TargetOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Image repository REGISTRY/REPO, without a tag (default: $REGISTRY/$BIN).", valueName: "repository"))
    var image: String?

    @Option(name: .long, help: ArgumentHelp(
        "Version tag of the list; per-platform tags append -OS-ARCH (default: $VERSION).", valueName: "version"))
    var tag: String?

    @Option(name: .long, help: ArgumentHelp(
        "Platforms to build, comma-separated, e.g. linux/amd64,linux/arm64,windows/amd64.", valueName: "list"))
    var platform: String?

    @Option(name: .long, help: ArgumentHelp(
        "Operating systems, comma-separated, combined with --arch (default: $BUILD_OS).", valueName: "list"))
    var os: String?

    @Option(name: .long, help: ArgumentHelp(
        "Architectures, comma-separated, combined with --os; Windows is amd64 only (default: $BUILD_ARCH).",
        valueName: "list"))
    var arch: String?

    @Option(name: .customLong("windows-version"), help: ArgumentHelp(
        "Windows releases for Windows platforms: ltsc2019, ltsc2022, ltsc2025 (default: $BUILD_WINDOWS_VERSION, else ltsc2022).",
        valueName: "list"))
    var windowsVersion: String?

    /// Resolves flags and environment into a target, or explains what is missing.
    func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws(UsageError) -> BuildTarget {
        func env(_ key: String) -> String? {
            guard let value = environment[key]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            return value
        }

        let image: String
        if let flag = self.image {
            image = flag
        } else if let registry = env("REGISTRY"), let bin = env("BIN") {
            image = "\(registry)/\(bin)"
        } else {
            throw UsageError("no image: pass --image REGISTRY/REPO, or set REGISTRY and BIN")
        }
        if let problem = ImageNameRules.problem(withRepository: image) {
            throw UsageError("--image \(MessageText.quoted(image)): \(problem)")
        }

        guard let version = tag ?? env("VERSION") else {
            throw UsageError("no version: pass --tag VERSION, or set VERSION")
        }

        let windowsText = windowsVersion ?? env("BUILD_WINDOWS_VERSION") ?? WindowsVersion.default.rawValue
        let windowsVersions: [WindowsVersion]
        switch WindowsVersion.parseList(windowsText) {
        case .success(let list) where !list.isEmpty: windowsVersions = list
        case .success: throw UsageError("--windows-version is empty; use e.g. ltsc2022")
        case .failure(let error): throw UsageError("--windows-version: \(error)")
        }

        let platforms = try resolvePlatforms(env: env)
        let target = BuildTarget(image: image, version: version, platforms: platforms, windowsVersions: windowsVersions)
        for slot in target.slots {
            if let problem = ImageNameRules.problem(withTag: slot.tag) {
                let source = tag != nil ? "--tag" : "VERSION"
                throw UsageError(
                    "\(source) \(MessageText.quoted(version)) gives the per-platform tag "
                        + "\(MessageText.quoted(slot.tag)), which \(problem)")
            }
        }
        return target
    }

    private func resolvePlatforms(env: (String) -> String?) throws(UsageError) -> [Platform] {
        if let list = platform {
            guard os == nil, arch == nil else {
                throw UsageError("give either --platform or --os/--arch, not both")
            }
            let parsed: [Platform]
            do { parsed = try Platform.parseList(list) } catch { throw UsageError("--platform: \(error)") }
            guard !parsed.isEmpty else { throw UsageError("--platform is empty; use e.g. linux/amd64,linux/arm64") }
            return parsed
        }
        let osSource = os != nil ? "--os" : "BUILD_OS"
        let archSource = arch != nil ? "--arch" : "BUILD_ARCH"
        guard let osList = os ?? env("BUILD_OS") else {
            throw UsageError(
                "no platforms: pass --platform linux/amd64,linux/arm64 (or --os and --arch, or set BUILD_OS and BUILD_ARCH)")
        }
        let systems = osList.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let archs = (arch ?? env("BUILD_ARCH") ?? "amd64").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var result: [Platform] = []
        for system in systems {
            // Windows images are amd64 only: BUILD_ARCH does not apply to them (as in the Velero Makefile).
            for architecture in system.lowercased() == "windows" ? ["amd64"] : archs {
                do {
                    let parsed = try Platform(parsing: "\(system)/\(architecture)")
                    if !result.contains(parsed) { result.append(parsed) }
                } catch {
                    throw UsageError("\(osSource)/\(archSource): \(error)")
                }
            }
        }
        guard !result.isEmpty else { throw UsageError("\(osSource) is empty; use e.g. linux") }
        do { try Platform.checkDistinctForBuilders(result) } catch { throw UsageError("\(osSource)/\(archSource): \(error)") }
        return result
    }
}
