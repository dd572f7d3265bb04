import Foundation
import Shared

/// The end of `coordinator build`: the summary table on stdout, the JSON report, the exit code.
enum ReleaseReporting {
    /// A finished release that did not fully succeed, with its exit code.
    struct Failure: CoordinatorFailure {
        let description: String
        let exitCode: CoordinatorExitCode
    }

    static func finish(_ outcome: Release.Outcome, jsonFile: String?) throws {
        print(table(outcome.report), terminator: "")
        if let jsonFile {
            let encoder = JSONEncoder.output
            do {
                try encoder.encode(outcome.report).write(to: URL(fileURLWithPath: jsonFile))
            } catch {
                throw Failure(description: "could not write --json \(jsonFile): \(error)", exitCode: .infrastructure)
            }
        }
        guard outcome.exitCode == .success else {
            throw Failure(description: outcome.report.error ?? "the build failed", exitCode: outcome.exitCode)
        }
    }

    static func table(_ report: BuildReport) -> String {
        let rows = report.platforms.map { platform -> [String] in
            let slot = platform.windowsVersion.map { "\(platform.platform) (\($0))" } ?? platform.platform
            return [
                slot, platform.host ?? "-", platform.outcome.rawValue, platform.tag,
                platform.digest.map { String($0.prefix(19)) } ?? "-", String(format: "%.1fs", platform.seconds),
                String(platform.attempts.count),
            ]
        }
        var text = TextTable.render(
            header: ["PLATFORM", "HOST", "RESULT", "TAG", "DIGEST", "TIME", "ATTEMPTS"], rows: rows)
        for platform in report.platforms where platform.outcome == .failed {
            text += "\n\(platform.platform) failed (\(platform.failureKind?.rawValue ?? "unknown")): \(platform.error ?? "")\n"
            if let log = platform.logFile { text += "  full log: \(log)\n" }
        }
        if let list = report.list, let digest = report.listDigest {
            text += "\nlist: \(list)@\(digest) (\(report.listMediaType ?? "")) in \(String(format: "%.1fs", report.seconds))\n"
            let repository = list.hasSuffix(":" + report.version) ? String(list.dropLast(report.version.count + 1)) : list
            for tag in (report.listTags ?? []).dropFirst() {
                text += "also tagged: \(repository):\(tag)\n"
            }
        }
        for platform in report.platforms where platform.tarball != nil {
            text += "tarball: \(platform.tarball!)\n"
        }
        return text
    }
}
