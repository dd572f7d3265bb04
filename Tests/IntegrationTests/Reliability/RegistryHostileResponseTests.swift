import Foundation
import Shared
import Testing
import TestSupport

extension RegistryFaults {
    /// `coordinator manifest create` against a registry (the fault proxy) that answers with malformed JSON, bodies
    /// far above the client's limits, or bytes that do not match their digest: a clear error that names the
    /// registry and the reference, exit 3, and nothing pushed.
    @Suite("hostile registry answers")
    struct HostileAnswers {
        struct Case: Sendable, CustomTestStringConvertible {
            var name: String
            var flags: [String]
            /// What the error must say.
            var expected: [String]
            /// The reference the error must name, relative to the repository (`:tag`).
            var reference = ":v1-linux-amd64"
            var testDescription: String { name }
        }

        static let cases: [Case] = [
            Case(name: "a child manifest that is truncated JSON (its digest header is right)",
                 flags: ["--malformed-json", "--fault-path", "/manifests/v1-linux-amd64"],
                 expected: ["could not be read", "unusable response"]),
            Case(name: "a 5 MiB child manifest with Content-Length",
                 flags: ["--oversized-body", "\(5 << 20)", "--fault-path", "/manifests/v1-linux-amd64"],
                 expected: ["larger than the 4194304-byte limit"]),
            Case(name: "a 5 MiB child manifest, chunked, without Content-Length",
                 flags: ["--oversized-body", "\(5 << 20)", "--chunked", "--fault-path", "/manifests/v1-linux-amd64"],
                 expected: ["larger than the 4194304-byte limit"]),
            Case(name: "a 17 MiB image config blob, chunked",
                 flags: ["--oversized-body", "\(17 << 20)", "--chunked", "--fault-path", "/blobs/"],
                 expected: ["its image config sha256:", "larger than the 16777216-byte limit"]),
            Case(name: "a Docker-Content-Digest that is not the manifest's", flags: ["--wrong-digest"],
                 expected: ["Docker-Content-Digest header says sha256:" + String(repeating: "0", count: 64)]),
            Case(name: "a child manifest changed in transit (one byte)",
                 flags: ["--corrupt-body", "--fault-path", "/manifests/v1-linux-amd64"],
                 expected: ["the content's digest is sha256:", "was not used"]),
            Case(name: "an image config blob changed in transit (one byte)",
                 flags: ["--corrupt-body", "--fault-path", "/blobs/"],
                 expected: ["GET blob sha256:", "the blob's name says"]),
            Case(name: "an 8 MiB error body of escape codes and NUL bytes for the list PUT",
                 flags: ["--oversized-error", "\(8 << 20)", "--fault-path", "/manifests/v1", "--fault-method", "PUT"],
                 expected: ["pushing the list to", "HTTP 400", "bytes in all)"], reference: ":v1"),
        ]

        @Test("a clear error naming the registry and the reference, exit 3, nothing pushed", arguments: cases)
        func refused(_ hostile: Case) async throws {
            let fleet = try Fleet.require()
            let registry = try FaultRegistry(fleet)
            let repository = try await registry.seedChildren(fleet)
            let proxy = try await FaultProxy(upstream: registry.host, flags: hostile.flags)
            defer { proxy.stop() }
            let result = try await ManifestCLI.create(target: "\(proxy.host)/\(repository):v1", sources: ManifestCLI.seededSources)
            #expect(result.status == 3, "\(result.stdout)\n\(result.stderr)")
            #expect(result.stderr.contains("error: "), "\(result.stderr)")
            #expect(result.stderr.contains("\(proxy.host)/\(repository)\(hostile.reference)"), "\(result.stderr)")
            for text in hostile.expected {
                #expect(result.stderr.contains(text), "missing \(text): \(result.stderr)")
            }
            // Readable: bounded, and no control bytes from the registry reach the terminal.
            #expect(result.stderrData.count < 8 * 1024, "\(result.stderrData.count) bytes of stderr")
            #expect(!result.stderrData.contains(0x1B) && !result.stderrData.contains(0) && !result.stderrData.contains(7))
            let log = try proxy.log()
            if hostile.reference != ":v1" {
                #expect(log.allSatisfy { !["PUT", "POST", "PATCH"].contains($0.method) }, "nothing was written")
            }
            #expect(try await registry.rawManifest(repository, "v1") == nil, "no list")
        }
    }
}
