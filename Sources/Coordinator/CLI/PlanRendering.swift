import Foundation
import Shared

/// How a plan prints: a table for people, JSON for CI.
enum PlanRendering {
    static func table(_ plan: BuildPlan) -> String {
        let header = ["PLATFORM", "HOST", "ADDRESS", "MODE", "BUILDER", "TAG", "FAILOVER"]
        let rows = plan.assignments.map { assignment -> [String] in
            let host = assignment.host
            let address = host.address.contains(":") ? "[\(host.address)]" : host.address
            return [
                assignment.slot.description, host.name, "\(address):\(host.effectivePort)", assignment.mode.rawValue,
                host.builder.rawValue, assignment.slot.reference,
                assignment.alternates.isEmpty ? "-" : assignment.alternates.map(\.name).joined(separator: ","),
            ]
        }
        return TextTable.render(header: header, rows: rows) + "list: \(plan.target.listReference)\n"
    }

    /// The plan as a stable JSON document (sorted keys).
    static func json(_ plan: BuildPlan) throws -> String {
        let document = PlanDocument(
            image: plan.target.image, version: plan.target.version, list: plan.target.listReference,
            builds: plan.assignments.map { assignment in
                PlanDocument.Build(
                    platform: assignment.slot.platform.description,
                    windowsVersion: assignment.slot.windowsVersion?.rawValue,
                    osVersion: assignment.slot.windowsVersion?.build,
                    tag: assignment.slot.reference, host: assignment.host.name, address: assignment.host.address,
                    port: assignment.host.effectivePort, mode: assignment.mode.rawValue,
                    builder: assignment.host.builder.rawValue, failover: assignment.alternates.map(\.name))
            })
        let encoder = JSONEncoder.output
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }

    struct PlanDocument: Codable, Equatable {
        struct Build: Codable, Equatable {
            var platform: String
            var windowsVersion: String?
            var osVersion: String?
            var tag: String
            var host: String
            var address: String
            var port: Int
            var mode: String
            var builder: String
            var failover: [String]
        }
        var image: String
        var version: String
        var list: String
        var builds: [Build]
    }
}
