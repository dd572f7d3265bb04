import Worker

extension HostCheck {
    /// The `TOOLS` cell: `-` when not checked (a Windows host, or one not probed), `ok`, `ok (no gzip, flock)` with
    /// notes, `FAILED tar, head -c` when required tools failed their check (notes then follow in parentheses).
    static func toolsCell(_ findings: [HostTools.Finding]?) -> String {
        guard let findings else { return "-" }
        let tools = HostTools(findings: findings)
        let notes = tools.notes.isEmpty ? "" : "no " + tools.notes.map(\.tool).joined(separator: ", ")
        if tools.missing.isEmpty {
            return notes.isEmpty ? "ok" : "ok (\(notes))"
        }
        return "FAILED " + tools.missing.map(\.tool).joined(separator: ", ") + (notes.isEmpty ? "" : " (\(notes))")
    }

    /// One line per optional tool a host lacks, under the `hosts check` table: what is lost and how to install it.
    /// (Required ones are in the host's problem paragraph.)
    static func toolNotes(_ checks: [HostCheck]) -> String {
        var text = ""
        for check in checks {
            for finding in HostTools(findings: check.tools ?? []).notes {
                text += "\(check.host): note: \(finding.note)\n"
            }
        }
        return text
    }
}
