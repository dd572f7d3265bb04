import Foundation
import Shared
import Worker

/// `hosts check --smoke` on one host and platform: the real build path end to end with a one-file image
/// (connect, probe, context upload, build, and then either login, push and the pushed digest read back
/// from the registry, or, without an image, the image archive fetched back and its digest), and what
/// worked or failed at each step.
struct HostSmoke: Codable, Sendable {
    /// How a step went.
    enum Outcome: String, Codable, Sendable {
        case ok, failed, skipped
    }

    /// One step and how it went.
    struct Step: Codable, Sendable {
        var name: String
        var outcome: Outcome
    }

    var host: String
    var platform: String
    var builder: String
    /// The tag built (pushed with `--image`).
    var tag: String
    var steps: [Step]
    /// The pushed manifest's digest, or the image archive's SHA-256 without `--image`.
    var digest: String?
    /// The smoke context's files, and how many of them were sent: from the second run on a host, its store has the
    /// Dockerfile (``SmokeContext``), so 1 of 2 shows that the host assembles contexts from its store.
    var contextFiles: Int?
    var contextFilesSent: Int?
    var seconds: Double
    /// What failed and how to fix it, or nil.
    var problem: String?

    /// The step names in order; which of them apply depends on the mode and host.
    static func stepNames(push: Bool, windowsBase: Bool) -> [String] {
        ["connect", "probe"] + (windowsBase ? ["base image"] : []) + ["upload"] + (push ? ["login"] : [])
            + ["build"] + (push ? ["push"] : ["fetch"]) + ["digest"]
    }

    /// Marks steps up to (not including) `failedStep` ok, that one failed, the rest skipped.
    mutating func record(failedAt failedStep: String?, problem: String?) {
        var reached = false
        steps = steps.map { step in
            if reached { return Step(name: step.name, outcome: .skipped) }
            if step.name == failedStep {
                reached = true
                return Step(name: step.name, outcome: .failed)
            }
            return Step(name: step.name, outcome: .ok)
        }
        self.problem = problem
    }

    /// The step a worker error belongs to. Login and push run in the build's own script, so a failure in the
    /// building phase is told apart by its output: a failed `login` command, or a push (`pushing …`, buildx's
    /// push during the build, buildah's `Error: pushing image`, an authorisation refusal).
    static func step(of error: any Error, push: Bool, loggedIn: Bool) -> String {
        guard let error = error as? RemoteBuildError else { return "connect" }
        switch error.phase {
        case .queued, .connecting: return "connect"
        case .probing: return "probe"
        case .uploading: return "upload"
        case .building:
            let text = (error.logTail + [error.message]).joined(separator: "\n").lowercased()
            let pushed = ["pushing", "unauthorized", "denied", "trying to reuse blob"].contains { text.contains($0) }
            if push, loggedIn, text.contains("login") || text.contains("logging in"), !pushed { return "login" }
            return push && pushed ? "push" : "build"
        case .pushing: return "push"
        case .fetching: return "fetch"
        case .verifying, .done, .failed, .skipped: return "digest"
        }
    }

    /// Marks the login step skipped: there were no credentials to log in with (the host's own were used).
    mutating func markNoLogin() {
        steps = steps.map { $0.name == "login" && $0.outcome == .ok ? Step(name: $0.name, outcome: .skipped) : $0 }
    }

    /// The table `hosts check --smoke` prints, then one paragraph per failure.
    static func table(_ smokes: [HostSmoke]) -> String {
        let names = smokes.first.map { $0.steps.map(\.name) } ?? []
        let allNames = names.count >= (smokes.map(\.steps.count).max() ?? 0)
            ? names : smokes.max { $0.steps.count < $1.steps.count }!.steps.map(\.name)
        let rows = smokes.map { smoke -> [String] in
            let outcomes = allNames.map { name in smoke.steps.first { $0.name == name }?.outcome.rawValue ?? "-" }
            return [smoke.host, smoke.platform, smoke.builder] + outcomes
                + [smoke.contextFilesSent.map { sent in "\(sent)/\(smoke.contextFiles ?? 0)" } ?? "-",
                    smoke.digest.map { String($0.prefix(19)) } ?? "-", String(format: "%.1fs", smoke.seconds),
                    smoke.problem == nil ? "ok" : "FAILED"]
        }
        var text = TextTable.render(
            header: ["HOST", "PLATFORM", "BUILDER"] + allNames.map { $0.uppercased() }
                + ["SENT", "IMAGE", "TIME", "RESULT"],
            rows: rows)
        for smoke in smokes {
            if let problem = smoke.problem { text += "\n\(smoke.host) \(smoke.platform): \(problem)\n" }
        }
        return text
    }
}
