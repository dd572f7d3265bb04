import Foundation
import Shared
import Testing
import TestSupport

/// A `coordinator build` project whose Linux image has a RUN step the tests can see on the host (`sleep` with a
/// unique marker), pushed to the fault registry.
enum PushFaultProject {
    /// amd64-2 builds linux/amd64 with buildx; with `windows`, wincross-1 cross-builds windows/amd64 with buildah.
    /// wincross-1 claims only linux/amd64/v2 natively, so it is no failover for linux/amd64: every retry of that
    /// platform runs on amd64-2 again (buildah refuses `RUN --network=none`).
    static func inventory(_ fleet: Fleet, windows: Bool) throws -> String {
        let key = try fleet.value("TESTBED_SSH_KEY"), knownHosts = try fleet.value("TESTBED_KNOWN_HOSTS")
        let directory = try fleet.value("TESTBED_DIR")
        let windowsHost = """
            , { "name": "wincross-1", "address": "\(try fleet.value("TESTBED_HOST_WINCROSS"))", "platforms": ["linux/amd64/v2"],
                "crossPlatforms": ["windows/amd64"], "windowsVersion": "ltsc2022", "builder": "buildah",
                "workDir": "\(directory)/hosts/wincross-1/work" }
            """
        return """
            { "defaults": { "user": "root", "port": 2222, "identityFiles": ["\(key)"], "agent": false,
                            "knownHostsFile": "\(knownHosts)" },
              "hosts": [
                { "name": "amd64-2", "address": "\(try fleet.value("TESTBED_HOST_SPARE"))", "platforms": ["linux/amd64"],
                  "workDir": "\(directory)/hosts/amd64-2/work" }\(windows ? windowsHost : "") ] }
            """
    }

    /// A Dockerfile whose RUN step sleeps `seconds` under a unique marker, then writes `extra` (a shell command).
    static func dockerfile(_ fleet: Fleet, marker: Int, seconds: Int = 1, extra: String = "true") throws -> String {
        "FROM \(try fleet.value("TESTBED_BASE_IMAGE"))\nRUN --network=none sleep \(seconds) && echo \(marker) > /marker && \(extra)\n"
    }

    /// Whether the RUN step with `marker` runs on a host (every fleet host runs on this machine).
    static func running(_ marker: Int) async -> Bool {
        (try? await Shell.run(["pgrep", "-f", "echo \(marker) "]).succeeded) == true
    }

    static func report(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
    }

    static func attempts(_ report: [String: Any], _ platform: String) -> [[String: Any]] {
        let platforms = report["platforms"] as? [[String: Any]] ?? []
        return platforms.first { $0["platform"] as? String == platform }?["attempts"] as? [[String: Any]] ?? []
    }
}

extension RegistryFaults {
    /// The registry stopped or restarted while the hosts' builders push their per-platform images: the push is an
    /// infrastructure failure that is retried (bounded), then the build succeeds with a complete list, or fails
    /// cleanly without one; the report says which platform, which host, which registry and which phase.
    @Suite("registry faults while the hosts push")
    struct Push {
        @Test("registry stopped during the RUN step, started 2 s later: the push is retried and the list is complete")
        func stoppedDuringPush() async throws {
            let fleet = try Fleet.require()
            let registry = try FaultRegistry(fleet)
            let marker = Int.random(in: 100_000_000...999_999_999)
            let project = try BuildCommandTests.Project(fleet: fleet, dockerfile: try PushFaultProject.dockerfile(fleet, marker: marker))
            defer { project.remove() }
            let inventory = try project.inventory(try PushFaultProject.inventory(fleet, windows: true))
            let repository = "reliability/push-\(UUID().uuidString.prefix(8).lowercased())"
            let image = "\(registry.host)/\(repository)"
            let json = project.directory + "/report.json"
            let (result, stopped) = try await registry.restoring {
                async let run = project.build([
                    "--inventory", inventory, "--image", image, "--tag", "v1", "--platform", "linux/amd64,windows/amd64",
                    "--json", json,
                ])
                let seen = try await eventually(within: .seconds(180), every: .milliseconds(50)) {
                    await PushFaultProject.running(marker)
                }
                if seen {
                    try await registry.stop()
                    try await Task.sleep(for: .seconds(2))
                    try await registry.start()
                }
                return (try await run, seen)
            }
            #expect(stopped, "the RUN step never ran")
            #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
            let report = try PushFaultProject.report(json)
            #expect(report["status"] as? String == "succeeded")
            let attempts = PushFaultProject.attempts(report, "linux/amd64")
            #expect(attempts.count >= 2, "\(attempts)")
            let first = attempts.first ?? [:]
            #expect(first["failureKind"] as? String == "infrastructure")
            #expect((first["error"] as? String)?.contains(
                "host amd64-2, pushing: pushing \(image):v1-linux-amd64 failed because the registry \(registry.host) "
                    + "was unreachable") == true, "\(first)")
            #expect(attempts.last?["error"] == nil)
            try await registry.expectCompleteList(
                repository, tag: "v1",
                children: ["linux/amd64": "v1-linux-amd64", "windows/amd64": "v1-windows-ltsc2022-amd64"])
        }

        @Test("registry restarted in the middle of a 48 MiB layer upload: the push completes and the list is complete")
        func restartedMidUpload() async throws {
            let fleet = try Fleet.require()
            let registry = try FaultRegistry(fleet)
            let marker = Int.random(in: 100_000_000...999_999_999)
            let project = try BuildCommandTests.Project(fleet: fleet, dockerfile: try PushFaultProject.dockerfile(
                fleet, marker: marker, seconds: 0, extra: "dd if=/dev/urandom of=/big bs=1M count=48 2>/dev/null"))
            defer { project.remove() }
            let inventory = try project.inventory(try PushFaultProject.inventory(fleet, windows: false))
            let repository = "reliability/upload-\(UUID().uuidString.prefix(8).lowercased())"
            let json = project.directory + "/report.json"
            let uploads = registry.uploadsDirectory(repository)
            /// More than 1 MiB of an upload arrived, and the upload was not finished.
            let midUpload: @Sendable () -> Bool = {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: uploads)) ?? []
                return names.contains { name in
                    let size = (try? FileManager.default.attributesOfItem(atPath: "\(uploads)/\(name)/data"))?[.size]
                    return (size as? Int ?? 0) > 1 << 20
                }
            }
            let (result, restarted) = try await registry.restoring {
                async let run = project.build([
                    "--inventory", inventory, "--image", "\(registry.host)/\(repository)", "--tag", "v1",
                    "--platform", "linux/amd64", "--json", json,
                ])
                let seen = try await eventually(within: .seconds(180), every: .milliseconds(10)) { midUpload() }
                if seen { try await registry.start() }  // `testbed restart`: stop, then start with the same data
                return (try await run, seen)
            }
            #expect(restarted, "no upload was seen in progress")
            #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
            try await registry.expectCompleteList(repository, tag: "v1", children: ["linux/amd64": "v1-linux-amd64"])
            // The layer that was cut off arrived whole: skopeo copies the image, checking every blob's digest.
            let copy = try await Shell.run([
                "skopeo", "copy", "--src-tls-verify=false", "docker://\(registry.host)/\(repository):v1-linux-amd64",
                "dir:" + project.directory + "/copied",
            ])
            #expect(copy.succeeded, "\(copy.stderr)")
        }

        @Test("registry down for the rest of the build: 2 attempts (--retries 1), exit 3, the report names it; no list")
        func staysDown() async throws {
            let fleet = try Fleet.require()
            let registry = try FaultRegistry(fleet)
            let marker = Int.random(in: 100_000_000...999_999_999)
            let project = try BuildCommandTests.Project(fleet: fleet, dockerfile: try PushFaultProject.dockerfile(fleet, marker: marker))
            defer { project.remove() }
            let inventory = try project.inventory(try PushFaultProject.inventory(fleet, windows: false))
            let repository = "reliability/down-\(UUID().uuidString.prefix(8).lowercased())"
            let image = "\(registry.host)/\(repository)"
            let json = project.directory + "/report.json"
            let started = ContinuousClock.now
            let (result, stopped) = try await registry.restoring {
                async let run = project.build([
                    "--inventory", inventory, "--image", image, "--tag", "v1", "--platform", "linux/amd64",
                    "--retries", "1", "--json", json,
                ])
                let seen = try await eventually(within: .seconds(180), every: .milliseconds(50)) {
                    await PushFaultProject.running(marker)
                }
                if seen { try await registry.stop() }
                return (try await run, seen)
            }
            #expect(stopped, "the RUN step never ran")
            #expect(ContinuousClock.now - started < .seconds(120))
            #expect(result.status == 3, "\(result.stdout)\n\(result.stderr)")
            #expect(result.stderr.contains("the list \(image):v1 was not pushed"), "\(result.stderr)")
            let report = try PushFaultProject.report(json)
            #expect(report["status"] as? String == "failed")
            let attempts = PushFaultProject.attempts(report, "linux/amd64")
            #expect(attempts.count == 2, "bounded by --retries 1: \(attempts.count)")
            #expect(attempts.allSatisfy {
                $0["failureKind"] as? String == "infrastructure"
                    && ($0["error"] as? String)?.contains("pushing: pushing \(image):v1-linux-amd64 failed because the "
                        + "registry \(registry.host) was unreachable") == true
            }, "\(attempts)")
            #expect(try await registry.rawManifest(repository, "v1") == nil, "no list")
            #expect(try await registry.rawManifest(repository, "v1-linux-amd64") == nil, "no half-pushed platform either")
        }
    }
}
