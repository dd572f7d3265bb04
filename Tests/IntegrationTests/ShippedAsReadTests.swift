import Foundation
import Shared
import Testing
import TestSupport

@testable import Worker

/// What a host receives must be what the run's first read fingerprinted, also when a file changed in a way its status
/// does not show (the scan's status checks catch every ordinary write; these tests stand in for the rest by giving the
/// send a first read that differs from the files): a POSIX host's store refuses a new content whose digest is not the
/// manifest's, and an archive (the Windows hosts' path) whose digest is not the read's is discarded. Either way the
/// platform fails with a message that says so, and nothing is published.
@Suite("What is shipped is what was read", .serialized)
struct ShippedAsReadTests {
    typealias Fixture = RemoteWorkerTests.Fixture

    @Test("a POSIX host refuses a content whose digest is not the one the run read; nothing is published")
    func storeRefuses() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let (host, shell, root, connection) = try await fixture.connectedWithContext()
        let context = try BuildContext.scan(root: root)
        // The run's first read, as it would have been had data.txt held other bytes then.
        var read = try await ContextManifest.make(for: context)
        let index = try #require(context.entries.firstIndex { $0.path == "data.txt" })
        read = ContextManifest(context, fileDigests: read.fileDigests.enumerated().map { offset, digest in
            offset == index ? String(repeating: "0b", count: 32) : digest
        })
        let manifests = ContextManifests()
        await manifests.remember(read, for: context)
        let store = RemoteContextStore(shell: shell, workDirectory: host.workDir)
        await #expect {
            _ = try await ContextSync(connection: connection, shell: shell, workDirectory: host.workDir,
                cache: ContextDigestCache(path: nil), manifests: manifests).ship(context)
        } throws: { error in
            let text = String(describing: error)
            return text.contains("the host refused the build context")
                && text.contains("a file of the context changed after this run read it")
        }
        let check = try await connection.run(store.checkCommand(digest: read.digest))
        #expect(check.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "absent")
        let left = try await connection.run("ls -A \(try POSIXShell.quote(host.workDir + "/store"))").stdoutText
        #expect(left.split(separator: "\n") == ["sha256"], "no upload folder left: \(left)")
        let objects = try await connection.run(
            "ls -A \(try POSIXShell.quote(host.workDir + "/store/sha256"))").stdoutText
        #expect(objects.isEmpty, "no object kept: \(objects)")
        await connection.close()
    }

    @Test("an archive whose digest is not the one the run read is discarded, never published")
    func archiveDiscarded() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let (host, shell, root, connection) = try await fixture.connectedWithContext()
        let context = try BuildContext.scan(root: root)
        // The run's first read gave another archive digest for this fingerprint.
        let cache = ContextDigestCache(path: nil)
        let other = String(repeating: "0a", count: 32)
        await cache.record(fingerprint: context.fingerprint, digest: other, bytes: 1, read: true)
        await #expect {
            _ = try await ContextShipment(connection: connection, shell: shell, workDirectory: host.workDir,
                cache: cache, archiveOnly: true).ship(context)
        } throws: { error in
            let text = String(describing: error)
            return text.contains("differs from what this run read for the build's fingerprint")
                && text.contains("nothing was published")
        }
        let contexts = try await connection.run("ls -A \(try POSIXShell.quote(host.workDir + "/contexts"))")
        #expect(contexts.stdoutText.isEmpty, "nothing published or left incoming: \(contexts.stdoutText)")
        await connection.close()
    }
}
