import ArgumentParser
import Shared

/// `--inventory FILE`, shared by every command that reads the fleet.
struct InventoryOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The inventory of build hosts (JSON; see the README).", valueName: "file"))
    var inventory: String = "inventory.json"

    /// Loads it, turning an invalid file into a usage error (exit 2) that names the JSON path.
    func load() throws(InventoryFailure) -> Inventory {
        do { return try Inventory.load(path: inventory) } catch { throw InventoryFailure(error: error) }
    }
}

/// An invalid inventory, reported with its file, JSON path and line; exit 2.
struct InventoryFailure: CoordinatorFailure {
    let error: InventoryError
    var description: String { "invalid inventory: \(error)" }
    var exitCode: CoordinatorExitCode { .usage }
}
