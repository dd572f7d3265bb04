import ArgumentParser
import Foundation
import Shared
import Worker

/// `hosts check --smoke [--image REGISTRY/REPO]` and the registry options a push needs.
struct HostSmokeOptions: ParsableArguments {
    @Flag(name: .long, help: "Build a one-file image on every host through the real build path, and report each step.")
    var smoke = false

    @Option(name: .long, help: ArgumentHelp(
        "With --smoke, also log in and push REGISTRY/REPO:smoke-HOST (nothing is pushed without it).",
        valueName: "registry/repo"))
    var image: String?

    @OptionGroup var registry: RegistryOptions

    func validate() throws {
        guard let image else { return }
        guard smoke else { throw ValidationError("--image is for --smoke; add --smoke, or drop --image") }
        do { _ = try ImageReference(parsing: image) } catch {
            throw ValidationError("--image \(MessageText.quoted(image)): \(error)")
        }
        // The parser gives every reference a tag (latest by default): look at the text.
        guard !image.contains("@"), image.split(separator: "/").last?.contains(":") != true else {
            throw ValidationError(
                "--image \(MessageText.quoted(image)): give REGISTRY/REPO without a tag or digest; the smoke "
                    + "check pushes REPO:smoke-HOST")
        }
    }

    /// Runs the smoke builds on every host of `inventory` and prints the table (or JSON); exit 3 when any failed.
    func run(inventory: Inventory, acceptNewHostKeys: Bool, json: Bool) async throws {
        let reference = try image.map { try ImageReference(parsing: $0) }
        let scratch = NSTemporaryDirectory() + "coordinator-smoke-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let run = HostSmokeRun(
            hosts: inventory.hosts, image: reference, hostKeyPolicy: acceptNewHostKeys ? .acceptNew : .strict,
            registry: registry.clientConfiguration, scratch: scratch)
        let smokes = try await run.run()
        if json {
            print(String(decoding: try JSONEncoder.output.encode(smokes), as: UTF8.self))
        } else {
            print(HostSmoke.table(smokes), terminator: "")
        }
        let failed = smokes.filter { $0.problem != nil }
        if !failed.isEmpty {
            throw ReleaseReporting.Failure(
                description: "smoke build failed on \(failed.count) of \(smokes.count) host platform(s): "
                    + failed.map { "\($0.host) (\($0.platform))" }.joined(separator: ", "),
                exitCode: .infrastructure)
        }
    }
}
