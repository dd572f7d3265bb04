import ArgumentParser
import Foundation
import Shared

/// `coordinator plan`: who builds what, with every tag, and nothing run.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show which host builds each platform, and every tag, without running anything.",
        discussion: """
            Environment variables in the Velero style fill absent flags: REGISTRY and BIN (--image), \
            VERSION (--tag), BUILD_OS and BUILD_ARCH (--os, --arch), BUILD_WINDOWS_VERSION (--windows-version).
            """
    )

    @OptionGroup var inventoryOption: InventoryOption
    @OptionGroup var target: TargetOptions

    @Flag(name: .long, help: "Print the plan as JSON.")
    var json = false

    func run() async throws {
        let inventory = try inventoryOption.load()
        let plan = try Planner(inventory: inventory).plan(try target.resolve())
        if json {
            print(try PlanRendering.json(plan))
        } else {
            print(PlanRendering.table(plan), terminator: "")
        }
    }
}
