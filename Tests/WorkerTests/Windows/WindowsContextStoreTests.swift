import Foundation
import Shared
import TestSupport
import Testing

@testable import Worker

/// The Windows host's content store (``RemoteContextStore/windowsUploadCommand(uploadID:)``), checked as far as this
/// machine can: what the coordinator sends (the list, the stream) against the patterns the host's script applies, and
/// the stream through bsdtar, the libarchive tar that Windows ships as `tar.exe`. The script's syntax is checked with
/// the other Windows scripts (``WindowsScriptProofTests``).
@Suite("Windows content store")
struct WindowsContextStoreTests {
    /// A context with a shared content (two paths, same mode and time), an empty file, a new file, a directory and a
    /// symbolic link.
    private static func context(_ fixture: ContextFixture) throws -> BuildContext {
        try fixture.write("Dockerfile", "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nCOPY . C:/app\n")
        try fixture.write("app/same1.txt", "same")
        try fixture.write("app/same2.txt", "same")
        try fixture.write("app/empty.txt", "")
        try fixture.write("app/sub dir/it's ü.txt", "unicode and a quote")
        try fixture.link("app/link", to: "same1.txt")
        let time = Date(timeIntervalSince1970: 1_700_000_000)
        for path in ["Dockerfile", "app/same1.txt", "app/same2.txt", "app/empty.txt", "app/sub dir/it's ü.txt"] {
            try FileManager.default.setAttributes([.modificationDate: time], ofItemAtPath: fixture.root + "/" + path)
        }
        return try BuildContext.scan(root: fixture.root)
    }

    /// The single-quoted regular expression that follows `marker` in `script`.
    private static func pattern(after marker: String, in script: String) throws -> NSRegularExpression {
        let start = try #require(script.range(of: marker + "'"), "no \(marker) in the script").upperBound
        let end = try #require(script[start...].firstIndex(of: "'"))
        return try NSRegularExpression(pattern: String(script[start..<end]))
    }

    private static func matches(_ expression: NSRegularExpression, _ text: String) -> Bool {
        expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    private static func script() throws -> String {
        let store = RemoteContextStore(shell: RemoteShell(.powershell), workDirectory: #"C:\ProgramData\coordinator"#)
        return try WindowsScriptProofTests.framedScript(store.uploadCommand(uploadID: "0123abcd"))
    }

    @Test("the list has a line per file, OBJECT<TAB>PATH, which the host's patterns accept; the header too")
    func listMatchesTheHostsPatterns() async throws {
        let fixture = try ContextFixture()
        defer { fixture.remove() }
        let context = try Self.context(fixture)
        let manifest = try await ContextManifest.make(for: context)
        let listing = ContextSync.Listing(context, manifest, family: .windows)
        let text = String(decoding: listing.bytes, as: UTF8.self)
        let header = try #require(text.split(separator: "\n", maxSplits: 1).first.map(String.init))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().dropLast().map(String.init)
        #expect(text.hasSuffix("\n"))
        #expect(header == "upload \(manifest.digest) \(listing.bytes.count - header.utf8.count - 1)")
        #expect(lines.count == context.fileCount)
        #expect(Set(lines.map { $0.split(separator: "\t")[1] })
            == ["Dockerfile", "app/same1.txt", "app/same2.txt", "app/empty.txt", "app/sub dir/it's ü.txt"])
        let objects = lines.map { String($0.split(separator: "\t")[0]) }
        #expect(objects[lines.firstIndex { $0.hasSuffix("\tapp/same1.txt") }!]
            == objects[lines.firstIndex { $0.hasSuffix("\tapp/same2.txt") }!], "one object for two paths")

        let script = try Self.script()
        let headerPattern = try Self.pattern(after: "$header -cmatch ", in: script)
        let namePattern = try Self.pattern(after: "$name -cmatch ", in: script)
        #expect(Self.matches(headerPattern, header))
        #expect(!Self.matches(headerPattern, "upload \(manifest.digest.uppercased()) 12"))
        #expect(!Self.matches(headerPattern, "upload \(manifest.digest) 12 13"))
        for object in objects {
            #expect(Self.matches(namePattern, object), "\(object)")
        }
        var early = context.entries[0]
        early.modificationTime = -1_234_567
        for name in [ContextManifest.objectName(digest: manifest.digest, entry: early)] {
            #expect(Self.matches(namePattern, name), "a time before 1970: \(name)")
        }
        #expect(!Self.matches(namePattern, "../" + objects[0]))
        // The answer's end is what the coordinator waits for; the format byte is the one it sends.
        #expect(script.contains("Append('\(RemoteContextStore.answerEnd)')"))
        #expect(script.contains("ReadByte() -ne \(UInt8(ascii: "t"))"))
        #expect(script.contains("'\(RemoteContextStore.damagedObjects)'"))
        #expect(script.components(separatedBy: "$global:CoordinatorExit = \(RemoteContextStore.damagedStatus)").count == 3,
            "both refusals exit with the status the coordinator goes by")
    }

    @Test("the stream carries directories, links and new files only, each new path as a file; bsdtar extracts it")
    func streamThroughBsdtar() async throws {
        let fixture = try ContextFixture()
        defer { fixture.remove() }
        let context = try Self.context(fixture)
        let manifest = try await ContextManifest.make(for: context)
        let names = ContextSync.objectNames(context, manifest)
        let index = { (path: String) in try #require(context.entries.firstIndex { $0.path == path }) }
        let shared = try #require(names.perEntry[try index("app/same1.txt")])
        let unicode = try #require(names.perEntry[try index("app/sub dir/it's ü.txt")])
        let (items, sent) = ContextSync.windowsItems(
            context, objectNames: names.perEntry, missing: [shared, unicode])
        #expect(sent == 3, "the shared content goes at both of its paths")
        #expect(items.allSatisfy { $0.hardLink == nil && $0.entry.path.hasPrefix("c/") })
        #expect(Set(items.compactMap { $0.source?.path })
            == ["app/same1.txt", "app/same2.txt", "app/sub dir/it's ü.txt"])
        #expect(!items.contains { $0.entry.path == "c/Dockerfile" }, "a file whose object the host has is not sent")
        #expect(items.contains { $0.entry.path == "c/app/link" })
        #expect(items.contains { $0.entry.path == "c/app/sub dir" })

        let stream = TarStream(root: context.root, items: items)
        var bytes: [UInt8] = []
        for try await chunk in stream { bytes += chunk }
        let target = fixture.root + "-extracted"
        defer { try? FileManager.default.removeItem(atPath: target) }
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let archive = target + ".tar"
        defer { try? FileManager.default.removeItem(atPath: archive) }
        try Data(bytes).write(to: URL(fileURLWithPath: archive))
        // As the upload's script runs it (names as UTF-8, which bsdtar on Windows otherwise reads in the OEM code page).
        let result = try await Shell.run(
            ["bsdtar", "-x"] + RemoteContextStore.windowsTarOptions + ["-f", archive, "-C", target],
            environment: ["LC_ALL": "C.UTF-8"])
        let script = try Self.script()
        #expect(script.contains("-x --options hdrcharset=UTF-8 -f - -C "), "the script's tar takes the same options")
        #expect(result.status == 0, "bsdtar (libarchive-tools): \(result.stderr)")
        #expect(try String(contentsOfFile: target + "/c/app/same2.txt", encoding: .utf8) == "same")
        #expect(try String(contentsOfFile: target + "/c/app/sub dir/it's ü.txt", encoding: .utf8) == "unicode and a quote")
        #expect(!FileManager.default.fileExists(atPath: target + "/c/Dockerfile"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: target + "/c/app/link") == "same1.txt")
        let time = try FileManager.default.attributesOfItem(atPath: target + "/c/app/same1.txt")[.modificationDate] as? Date
        #expect(time == Date(timeIntervalSince1970: 1_700_000_000), "tar gives the object its time")
    }

    @Test("Windows scripts remove trees with Remove-Tree, which never enters a link's directory; none uses Remove-Item -Recurse")
    func removalsDoNotFollowLinks() throws {
        let function = RemoteShell.powerShellRemoveTree
        let skip = try #require(function.range(of: "ReparsePoint) -ne 0) { continue }"))
        let enumerate = try #require(function.range(of: "EnumerateFileSystemInfos()"))
        #expect(skip.lowerBound < enumerate.lowerBound, "a link's directory is not entered, only removed")
        #expect(function.contains("$directories[$index].Delete()"), "directories go after what they hold, one by one")
        // The scripts that remove trees (rendering all of WindowsScriptProofTests' 900 requests would hold a cooperative
        // thread for seconds, which other suites' timers need).
        let shell = RemoteShell(.powershell)
        let work = #"C:\ProgramData\coordinator"#
        let store = RemoteContextStore(shell: shell, workDirectory: work)
        let request = BuildRequest(
            tag: "registry.example:5000/app:1", platform: Platform(os: "windows", architecture: "amd64"),
            windowsVersion: .ltsc2022, output: .registry)
        let invocation = BuildInvocation(
            request: request, shell: shell, contextDirectory: work + #"\contexts\x"#, runDirectory: work + #"\runs\1"#,
            hostDockerConfig: #"C:\Users\u\.docker"#)
        let plan = try DockerBuilder().plan(invocation)
        let scripts: [(String, RemoteInvocation)] = [
            ("receive", try store.receiveCommand(uploadID: "1")), ("publish", try store.publishCommand(digest: "ab", uploadID: "1")),
            ("discard", try store.discardCommand(uploadID: "1")), ("upload", try store.uploadCommand(uploadID: "1")),
            ("prune", try store.pruneCommand(.standard)),
            ("build", try HostSlots.powerShellCommand(
                plan.scriptHandingBackResults(marker: "m", runDirectory: invocation.runDirectory), shell: shell,
                directory: work + #"\slots"#, capacity: 1, holding: work + #"\contexts\x"#)),
        ]
        for (name, invocation) in scripts {
            let script = try WindowsScriptProofTests.framedScript(invocation)
            #expect(!script.split(separator: "\n").contains { $0.contains("Remove-Item") && $0.contains("-Recurse") },
                "\(name)")
            #expect(script.contains("Remove-Tree "), "\(name) removes a tree")
            #expect(script.contains("function Remove-Tree("), "\(name) defines what it calls")
        }
    }

    @Test("a context with a path too long for Windows PowerShell 5.1 in the store goes as a whole archive")
    func longPathsGoAsArchives() async throws {
        let fixture = try ContextFixture()
        defer { fixture.remove() }
        try fixture.write("Dockerfile", "FROM scratch\n")
        let store = RemoteContextStore(shell: RemoteShell(.powershell), workDirectory: #"C:\ProgramData\coordinator"#)
        let room = RemoteContextStore.windowsMaximumPath - store.path(for: String(repeating: "0", count: 64)).count - 1
        try fixture.write("d/" + String(repeating: "a", count: room - 2), "fits exactly")
        #expect(store.windowsPathsFit(try BuildContext.scan(root: fixture.root)))
        try fixture.write("d/" + String(repeating: "b", count: room - 1), "one over")
        #expect(!store.windowsPathsFit(try BuildContext.scan(root: fixture.root)))
    }

    @Test("a Windows build holds its context's lock shared; the prune removes a context only under it, exclusively")
    func contextInUseIsNotPruned() throws {
        let context = #"C:\w\contexts\"# + String(repeating: "ab", count: 32)
        let build = try WindowsScriptProofTests.framedScript(HostSlots.powerShellCommand(
            RemoteScript([.run(RemoteCommand(["docker", "build", "."]))]), shell: RemoteShell(.powershell),
            directory: #"C:\w\slots"#, capacity: 2, holding: context))
        let opened = try #require(build.range(of: "[System.IO.File]::Open('\(context).lock'"))
        #expect(build[opened.upperBound...].prefix(200).contains("[System.IO.FileAccess]::Read, [System.IO.FileShare]::Read)"))
        #expect(opened.lowerBound < build.range(of: "Invoke-Native -File 'docker'")!.lowerBound, "before the build")
        #expect(build.contains("if (-not [System.IO.Directory]::Exists('\(context)'))"))
        let prune = try ContextRetention.standard.powerShellScript(
            directory: #"C:\w\contexts"#, runs: #"C:\w\runs"#, keep: [])
        let locked = try #require(prune.range(of: "[System.IO.File]::Open($context.FullName + '.lock'"))
        let removal = try #require(prune.range(of: "[void](Remove-Tree $context.FullName)"))
        #expect(locked.lowerBound < removal.lowerBound)
        #expect(prune[locked.upperBound..<removal.lowerBound].contains("[System.IO.FileShare]::None)"))
        #expect(prune[locked.upperBound..<removal.lowerBound].contains("if ($contextLock)"))
    }

    @Test("the prune removes only objects no remaining context lists, under the store's exclusive lock")
    func pruneKeepsListedObjects() throws {
        let script = try ContextRetention.standard.powerShellScript(
            directory: #"C:\w\contexts"#, runs: #"C:\w\runs"#, keep: [])
        let store = try #require(script.range(of: "$store = ")).lowerBound
        #expect(script[store...].contains("[System.IO.FileShare]::None"))
        #expect(script[store...].contains("$live.Contains([System.IO.Path]::GetFileName($path))"))
        let upload = try Self.script()
        #expect(upload.contains("[System.IO.FileShare]::Read)"), "the upload holds the lock shared")
        // Names first, then the lock for the answer only, released before the stream is read.
        let names = try #require(upload.range(of: "Combine($folder, 'names')"))
        let locked = try #require(upload.range(of: "$lock = [System.IO.File]::Open("))
        let released = try #require(upload.range(of: "if ($lock) { $lock.Dispose() }"))
        let stream = try #require(upload.range(of: "$stdin.ReadByte() -ne 116"))
        #expect(names.lowerBound < locked.lowerBound && locked.lowerBound < released.lowerBound
            && released.lowerBound < stream.lowerBound)
        // The prune keeps what uploads name, read before the lists (an upload publishes before its folder goes).
        let uploads = try #require(script.range(of: "-Filter '.up-*'"))
        let lists = try #require(script.range(of: "Combine($store, 'lists')"))
        #expect(store < uploads.lowerBound && uploads.lowerBound < lists.lowerBound)
        // The upload publishes its context, then its list; its folder goes last.
        let published = try #require(upload.range(of: "[System.IO.Directory]::Move("))
        let listed = try #require(upload.range(of: "Combine($store, 'lists', $digest)"))
        #expect(published.lowerBound < listed.lowerBound)
    }
}
