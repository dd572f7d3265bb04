import Worker

extension HostCheck {
    /// One line per Windows host under the `hosts check` table: what it answered beyond the columns.
    static func windowsSummary(_ checks: [HostCheck]) -> String {
        var text = ""
        for check in checks {
            guard let facts = check.windows else { continue }
            let engine = facts.engineOSType.map { os in os + (facts.isolation.map { " (\($0) isolation)" } ?? "") }
            let parts = [
                "DefaultShell " + (facts.defaultShell ?? "?") + " (commands get through it)",
                "Windows PowerShell " + (facts.powerShellVersion ?? "?"),
                "tar.exe " + (facts.tar ?? "missing"),
                "engine " + (engine ?? "not answering"),
                "build " + (facts.windowsBuild ?? "?"),
            ] + (facts.storeLinks.map { ["context store: " + $0] } ?? [])
            text += "\(check.host): " + parts.joined(separator: ", ") + "\n"
        }
        return text
    }
}
