import Foundation
import TestSupport

/// The independent tools that check what the Windows path sends (no Windows host exists here): the
/// tree-sitter-powershell grammar (scripts/check-powershell.py) and mslex's model of the C runtime's argument
/// splitting (scripts/mslex-split.py), both in the venv scripts/install-deps makes.
enum WindowsProofTools {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// The venv: `COORDINATOR_VENV`, or /opt/coordinator-venv.
    static var venv: String {
        ProcessInfo.processInfo.environment["COORDINATOR_VENV"].flatMap { $0.isEmpty ? nil : $0 } ?? "/opt/coordinator-venv"
    }

    /// The venv's python; throws (so the test fails, never skips) when it is missing.
    static func python() throws -> String {
        let python = venv + "/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw Missing(description: "the Windows proof tools are missing: no \(python); run scripts/install-deps "
                + "(it makes the venv with tree-sitter, tree-sitter-powershell and mslex)")
        }
        return python
    }

    /// Problems the checker finds in `scripts` (name → PowerShell text); empty when all pass.
    static func check(_ scripts: [(name: String, text: String)]) async throws -> (status: Int32, report: String) {
        let python = try python()
        let directory = NSTemporaryDirectory() + "coordinator-ps-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var files: [String] = []
        for (index, script) in scripts.enumerated() {
            let safe = script.name.unicodeScalars.map { ("a"..."z").contains($0) || ("0"..."9").contains($0) ? Character($0) : "-" }
            let file = directory + "/\(index)-\(String(safe.prefix(40))).ps1"
            try Data(script.text.utf8).write(to: URL(fileURLWithPath: file))
            files.append(file)
        }
        let result = try await Shell.run([python, SourceTree.path("scripts/check-powershell.py")] + files)
        if result.status == 2 {
            throw Missing(description: "check-powershell.py could not run: \(result.stderr); run scripts/install-deps")
        }
        return (result.status, result.stdout + result.stderr)
    }

    /// Each command line split by mslex (C runtime rules, msvcrt and UCRT agreeing), or nil where mslex refused it.
    static func split(_ lines: [String]) async throws -> [[String]?] {
        let python = try python()
        let input = try JSONSerialization.data(withJSONObject: lines)
        let result = try await Shell.run([python, SourceTree.path("scripts/mslex-split.py")], input: input)
        guard result.status == 0 else {
            throw Missing(description: "mslex-split.py failed (\(result.status)): \(result.stderr); run scripts/install-deps")
        }
        let answers = try JSONSerialization.jsonObject(with: result.stdoutData) as? [Any] ?? []
        return answers.map { $0 as? [String] }
    }
}
