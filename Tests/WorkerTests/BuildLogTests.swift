import Foundation
import Shared
import Testing

@testable import Worker

@Suite("Build log")
struct BuildLogTests {
    @Test("standard output after the result marker is the result, kept out of the log; the marker elsewhere is logged")
    func resultAfterMarker() async throws {
        let marker = "@@coordinator:result 9a"
        let logged = Collected()
        let log = try BuildLog(
            host: "h", platform: .linuxAMD64, secrets: [], pushMarkers: [], resultMarker: marker, file: nil,
            onLines: { $0.forEach { logged.add($0.text) } })
        await log.append(Array("#1 building\n".utf8), from: .stdout)
        await log.append(Array((marker + "\n").utf8), from: .stderr)
        #expect(await log.result == nil, "a marker on standard error does not count")
        await log.append(Array("@@coordinator:res".utf8), from: .stdout)
        await log.append(Array("ult 9a\n{\"containerimage.digest\":\r\n \"sha256:ab\"}".utf8), from: .stdout)
        await log.finish()
        #expect(await log.result == "{\"containerimage.digest\":\n \"sha256:ab\"}")
        #expect(logged.lines == ["#1 building", marker])
    }

    @Test("without a marker every line is logged and there is no result")
    func noMarker() async throws {
        let logged = Collected()
        let log = try BuildLog(
            host: "h", platform: .linuxAMD64, secrets: ["s3cret"], pushMarkers: [], file: nil,
            onLines: { $0.forEach { logged.add($0.text) } })
        await log.append(Array("@@coordinator:result 9a\npassword s3cret\n".utf8), from: .stdout)
        await log.finish()
        #expect(await log.result == nil)
        #expect(logged.lines == ["@@coordinator:result 9a", "password ********"])
    }
}

/// Lines handed to a log callback, from any thread.
private final class Collected: @unchecked Sendable {
    private var stored: [String] = []
    private let lock = NSLock()

    func add(_ line: String) {
        lock.withLock { stored.append(line) }
    }

    var lines: [String] {
        lock.withLock { stored }
    }
}
