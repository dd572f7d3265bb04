import Foundation
import Testing
import Worker

@testable import Coordinator

@Suite("hosts check: the TOOLS column, the notes under the table and the JSON field")
struct HostCheckToolsTableTests {
    static func finding(_ tool: String, required: Bool) -> HostTools.Finding {
        HostTools.Finding(tool: tool, required: required, found: "missing", effect: "it is lost", fix: "install \(tool)")
    }

    static func check(_ host: String, tools: [HostTools.Finding]?) -> HostCheck {
        HostCheck(host: host, address: "10.0.0.1:22", reachable: true, hostKey: "ok", authenticated: true, tools: tools)
    }

    @Test("the cell: - when not checked, ok, ok with notes, FAILED with the required tools first")
    func cell() {
        #expect(HostCheck.toolsCell(nil) == "-")
        #expect(HostCheck.toolsCell([]) == "ok")
        #expect(HostCheck.toolsCell([Self.finding("gzip", required: false), Self.finding("flock", required: false)])
            == "ok (no gzip, flock)")
        #expect(HostCheck.toolsCell([Self.finding("tar", required: true), Self.finding("gzip", required: false)])
            == "FAILED tar (no gzip)")
        #expect(HostCheck.toolsCell([Self.finding("tar", required: true), Self.finding("ln -t", required: true)])
            == "FAILED tar, ln -t")
    }

    @Test("the table: a TOOLS column before STATUS, one note line per optional tool missing")
    func table() {
        let text = HostCheck.table([
            Self.check("a", tools: [Self.finding("gzip", required: false)]), Self.check("win", tools: nil),
        ])
        let header = text.split(separator: "\n").first.map(String.init) ?? ""
        #expect(header.contains("CACHE") && header.hasSuffix("TOOLS         STATUS"), "\(header)")
        #expect(text.contains("a: note: gzip missing: it is lost; install gzip\n"), "\(text)")
        #expect(!text.contains("win: note"))
    }

    @Test("JSON: tools is the list of failed checks, absent when not checked")
    func json() throws {
        let encoded = try JSONEncoder.output.encode([
            Self.check("a", tools: [Self.finding("gzip", required: false)]), Self.check("win", tools: nil),
        ])
        let objects = try JSONSerialization.jsonObject(with: encoded) as? [[String: Any]] ?? []
        let tools = objects.first?["tools"] as? [[String: Any]]
        #expect(tools?.first?["tool"] as? String == "gzip")
        #expect(tools?.first?["required"] as? Bool == false)
        #expect(Set(tools?.first?.keys.map { $0 } ?? []) == ["tool", "required", "found", "effect", "fix"])
        #expect(objects.last?["tools"] == nil)
    }
}
