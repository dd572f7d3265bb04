import Foundation
import Shared
import Testing
import TestSupport

@testable import Worker

/// ``StableBuildContext`` on the fleet's buildx host: BuildKit is given the build slot's link, so it receives only
/// what changed since the last build through it, and a change its metadata comparison cannot see sends it a new path.
@Suite("BuildKit receives only what changed, and never misses a change", .serialized)
struct StableBuildContextTests {
    /// Bytes of the last "transferring context: SIZE" of a build's log.
    static func transferred(_ lines: [String]) throws -> Double {
        let line = try #require(lines.last { $0.contains("transferring context:") }, "no context transfer in the log")
        let size = try #require(line.split(separator: ":").last?.split(separator: " ").first.map(String.init))
        let units: [(String, Double)] = [("kB", 1e3), ("MB", 1e6), ("GB", 1e9), ("B", 1)]
        let (unit, factor) = try #require(units.first { size.hasSuffix($0.0) }, "size \(size)")
        return try #require(Double(size.dropLast(unit.count))) * factor
    }

    /// The content of `path` in the single-layer image `reference`.
    static func file(_ path: String, in reference: String, scratch: String) async throws -> String {
        let blob = try #require(try await UserHostBuildTests.layerBlobs(of: reference, in: scratch).last)
        let read = try await Shell.run(["tar", "-xOf", blob, "--wildcards", "*" + path])
        try #require(read.succeeded, "\(read.stderr)")
        return read.stdout
    }

    @Test("a one-file change sends BuildKit that file; a same-size, same-time change goes through a new path and is built")
    func incremental() async throws {
        let fixture = try RemoteWorkerTests.Fixture()
        defer { fixture.remove() }
        let host = try fixture.host("amd64-1")
        let worker = fixture.worker(host)
        let root = fixture.directory + "/project"
        let pinned = Date(timeIntervalSince1970: 1_700_000_000)
        func write(_ path: String, _ data: Data, time: Date? = nil) throws {
            let full = root + "/" + path
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: full))
            if let time {
                try FileManager.default.setAttributes([.modificationDate: time], ofItemAtPath: full)
            }
        }
        try write("Dockerfile", Data("FROM scratch\nCOPY . /\n".utf8))
        let random = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        defer { try? random.close() }
        for index in 0..<16 {
            try write("big/b\(index).bin", random.readData(ofLength: 256 << 10))
        }
        try write("app.txt", Data("version A\n".utf8), time: pinned)
        // Each build is to take slot 0, whose link the test follows: the previous build's shell may still be ending
        // (and holding it) when the call returns, on a loaded machine; the next build would take slot 1.
        let slot = host.workDir + "/slots/0"
        func slotZeroFree() async throws {
            let deadline = ContinuousClock.now + .seconds(60)
            while FileManager.default.fileExists(atPath: slot),
                !(try await Shell.run(["flock", "-n", slot, "true"]).succeeded)
            {
                try #require(ContinuousClock.now < deadline, "slot 0 stayed taken")
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        func build(_ name: String) async throws -> (digest: String?, transferred: Double) {
            try await slotZeroFree()
            let lines = LineCollector()
            let result = try await worker.build(
                BuildRequest(tag: "\(fixture.registry)/worker-test/stable:\(name)-linux-amd64", platform: .linuxAMD64),
                context: try BuildContext.scan(root: root),
                options: .init(onLog: { $0.forEach { lines.add($0.text) } }))
            return (result.digest, try Self.transferred(lines.all))
        }
        let generation = host.workDir + "/slots/0.buildx-default.generation"
        func currentGeneration() throws -> String {
            try String(contentsOfFile: generation, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        let first = try await build("first")
        #expect(first.transferred > 4e6, "a path BuildKit has never seen: the whole context")
        let firstGeneration = try currentGeneration()
        #expect(firstGeneration.count == 16 && firstGeneration.allSatisfy(\.isHexDigit), "\(firstGeneration)")

        // A small change, built through the link: BuildKit should receive only it. A loaded engine may not yet have
        // released its copy from the previous build (it then makes a new one and receives everything: correct, only
        // slower), so a second small change gets a second chance.
        func smallChange(_ name: String) async throws -> Double {
            try write("notes.txt", Data("\(name)\n".utf8))
            let once = try await build(name).transferred
            guard once >= 100e3 else { return once }
            try write("notes.txt", Data("\(name) again\n".utf8))
            return try await build(name + "-again").transferred
        }
        #expect(try await smallChange("second") < 100e3, "through the slot's link: only what changed")
        #expect(try currentGeneration() == firstGeneration)

        // Same path, size, time and mode, another content: BuildKit's comparison would keep "version A".
        try write("app.txt", Data("version B\n".utf8), time: pinned)
        let third = try await build("third")
        #expect(third.transferred > 4e6, "a new path: received whole")
        let thirdGeneration = try currentGeneration()
        #expect(thirdGeneration != firstGeneration && thirdGeneration.count == 16)
        #expect(try await Self.file("app.txt", in: "\(fixture.registry)/worker-test/stable:third-linux-amd64",
            scratch: fixture.directory) == "version B\n")

        #expect(try await smallChange("fourth") < 100e3, "the new path is reused")
        #expect(try currentGeneration() == thirdGeneration)
        #expect(try await Self.file("app.txt", in: "\(fixture.registry)/worker-test/stable:fourth-linux-amd64",
            scratch: fixture.directory) == "version B\n")
    }

    /// buildx keys BuildKit's copy of a context by the directory's base name (and the host user's node id), not its
    /// path: two work directories on one host (two pipelines, two inventories) whose slot links had the same name
    /// shared one copy, and a same-size, same-time change between them was built from the other's file.
    @Test("two work directories on one host never share BuildKit's copy of a context")
    func separateWorkDirectories() async throws {
        let pinned = Date(timeIntervalSince1970: 1_700_000_000)
        var images: [String] = []
        for version in ["A", "B"] {
            let fixture = try RemoteWorkerTests.Fixture()
            defer { fixture.remove() }
            let host = try fixture.host("amd64-1")
            let root = try fixture.context([
                "Dockerfile": "FROM scratch\nCOPY . /\n", "app.txt": "version \(version)\n",
            ])
            try FileManager.default.setAttributes([.modificationDate: pinned], ofItemAtPath: root + "/app.txt")
            let reference = "\(fixture.registry)/worker-test/stable-shared:\(version)-linux-amd64"
            let result = try await fixture.worker(host).build(
                BuildRequest(tag: reference, platform: .linuxAMD64), context: try BuildContext.scan(root: root))
            #expect(result.digest != nil)
            images.append(try await Self.file("app.txt", in: reference, scratch: fixture.directory))
        }
        #expect(images == ["version A\n", "version B\n"])
    }
}
