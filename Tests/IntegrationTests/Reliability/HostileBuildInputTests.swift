import ArgumentParser
import Foundation
import Shared
import TestSupport
import Testing
import Worker

@testable import Coordinator

/// Hostile strings in `coordinator build`'s image name, tag, build-arg names and values, `--builder`,
/// Dockerfile path and context path. Each string goes through what the build command does before it contacts
/// a host (argument parsing with validation, inventory, target, plan, request, context scan), in process; a
/// refusal must name the option in a clear, bounded first line, and a sample of refusals is replayed through
/// the `coordinator` executable, which must exit 2 with the same message and push nothing. Accepted values
/// must come out unchanged, and two real builds carry them through the fleet: every accepted build-arg
/// value (read back from the pushed image's labels), and hostile context directory and Dockerfile names.
@Suite("Hostile input: build options", .serialized)
struct HostileBuildInputTests {
    /// One option: the arguments that put a hostile string in it, and what the request must hold if accepted.
    struct Option: Sendable {
        var name: String
        /// The text a refusal must contain.
        var naming: String
        var arguments: @Sendable (String) -> [String]
        /// Puts the string where parsing `arguments` would (for strings that do not start with `-`, whose
        /// parse is just this assignment followed by `validate()`).
        var assign: @Sendable (inout BuildCommand, String) -> Void
        var literal: @Sendable (ReleaseRequest, String) -> Bool
    }

    /// What the build command does before contacting any host, in process; exit code and message as `Main`
    /// would print them, or the request. The context scan (which reads and hashes the context) runs only when
    /// `scanSources`: the options other than `--file` and `--context` do not change it.
    ///
    /// A debug build of ArgumentParser checks the command's whole definition on every parse (tens of
    /// milliseconds), so a string that does not start with `-` (parsed as a plain value) is assigned to a
    /// `template` parsed once, then validated as parsing would; strings starting with `-` are really parsed.
    static func prepare(
        _ text: String, option: Option, template: BuildCommand, scanSources: Bool
    ) async -> (code: Int32, message: String, request: ReleaseRequest?) {
        // CPU-bound and called for every string: hand the pool to the other tests between calls.
        await Task.yield()
        do {
            var command: BuildCommand
            if text.hasPrefix("-") {
                command = try BuildCommand.parse(option.arguments(text))
            } else {
                command = template
                option.assign(&command, text)
                try command.validate()
            }
            let inventory = try command.inventoryOption.load()
            let plan = try Planner(inventory: inventory).plan(try command.target.resolve(environment: [:]))
            let request = try ReleaseRequest(command: command, plan: plan, environment: [:])
            // The scan alone decides; the digest ReleaseSources adds would only cost time, so it runs just to
            // word a refusal exactly as the executable does.
            if scanSources,
                (try? BuildContext.scan(root: request.contextPath, dockerfile: request.linuxDockerfile)) == nil
            {
                _ = try await ReleaseSources.prepare(request, cache: ContextDigestCache())
            }
            return (0, "", request)
        } catch let failure as any CoordinatorFailure {
            return (failure.exitCode.rawValue, "error: \(failure.description)", nil)
        } catch let error as ValidationError {
            // What `message(for:)` says, without the definition check it runs first in a debug build.
            return (2, "Error: " + error.message, nil)
        } catch {
            // `Main` prints the full message (with the usage lines); its first line, compared with the
            // executable's, is this one.
            let code = BuildCommand.exitCode(for: error)
            return (code == .validationFailure ? 2 : code.rawValue, "Error: " + BuildCommand.message(for: error), nil)
        }
    }

    /// A key for a string that is the same in every process (unlike `hashValue`): FNV-1a of its UTF-8.
    static func stableKey(_ text: String) -> Int {
        Int(text.utf8.reduce(UInt64(0xCBF2_9CE4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 } % 100_000)
    }

    struct Project {
        let root: String
        let inventory: String
        let image: String

        /// The context of the `index`th hostile `--file`: a fresh directory holding only that Dockerfile.
        func fileContext(_ index: Int) -> String { "\(root)/file-contexts/\(index)" }
        /// The `--context` directory made from a hostile string (deep enough that `../..` stays inside).
        func context(_ text: String) -> String { "\(root)/contexts/x/y/z/\(text)" }

        /// A build of the plain context with this image and tag.
        func target(image: String, tag: String) -> [String] {
            ["--inventory", inventory, "--image", image, "--tag", tag, "--platform", "linux/amd64"]
                + ["--context", root + "/plain"]
        }

        func common(tag: String = "rejected") -> [String] {
            [
                "--inventory", inventory, "--image", image, "--tag", tag, "--platform", "linux/amd64", "--progress",
                "plain",
            ]
        }
    }

    static func options(_ project: Project, dockerfile: String) -> [Option] {
        [
            Option(
                name: "--image", naming: "--image", arguments: { project.target(image: $0, tag: "rejected") },
                assign: { $0.target.image = $1 }, literal: { request, text in request.plan.target.image == text }),
            Option(
                name: "--tag", naming: "--tag", arguments: { project.target(image: project.image, tag: $0) },
                assign: { $0.target.tag = $1 }, literal: { request, text in request.plan.target.version == text }),
            Option(
                name: "--build-arg NAME", naming: "--build-arg",
                arguments: { text in
                    project.common() + ["--context", project.root + "/plain", "--build-arg", text + "=v"]
                }, assign: { $0.buildArgs = [$1 + "=v"] },
                literal: { request, text in
                    let name = String(text.prefix { $0 != "=" })
                    return request.buildArguments.contains { $0.name == name }
                }),
            Option(
                name: "--build-arg VALUE", naming: "--build-arg",
                arguments: { text in
                    project.common() + ["--context", project.root + "/plain", "--build-arg", "V=" + text]
                }, assign: { $0.buildArgs = ["V=" + $1] },
                literal: { request, text in request.buildArguments == [BuildArgument("V", text)] }),
            Option(
                name: "--builder", naming: "--builder",
                arguments: { text in
                    project.common() + ["--context", project.root + "/plain", "--builder", text]
                }, assign: { $0.builderInstance = $1 }, literal: { request, text in request.builderInstance == text }),
            Option(
                name: "--file", naming: "--file",
                arguments: { text in
                    project.common() + ["--context", project.fileContext(Self.stableKey(text)), "--file", text]
                },
                assign: { command, text in
                    command.context = project.fileContext(stableKey(text))
                    command.file = text
                }, literal: { request, text in request.linuxDockerfile == text }),
            Option(
                name: "--context", naming: "--context",
                arguments: { text in
                    project.common() + ["--context", project.context(text)]
                }, assign: { $0.context = project.context($1) },
                literal: { request, text in request.contextPath == project.context(text) }),
        ]
    }

    @Test(
        "image, tag, build-arg, --builder, --file, --context: 240 hostile strings each; real builds carry the rest"
    )
    func buildOptions() async throws {
        let fleet = try Fleet.require()
        let corpus = HostileCorpus()
        let root = "/tmp/coordinator-hostile-build-\(corpus.id)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let project = Project(
            root: root, inventory: try fleet.value("TESTBED_INVENTORY"),
            image: "\(try fleet.value("TESTBED_REGISTRY"))/hostile/\(corpus.id.prefix(8))")
        let dockerfile = "FROM \(try fleet.value("TESTBED_BASE_IMAGE"))\n"
        #expect(createHostileFile(root + "/plain/Dockerfile", contents: Data(dockerfile.utf8), mode: 0o644))

        // Dockerfiles and contexts under hostile names, wherever the file system can hold the name.
        let all = corpus.strings
        let strings = corpus.argumentStrings
        for text in strings {
            try FileManager.default.createDirectory(
                atPath: project.fileContext(Self.stableKey(text)), withIntermediateDirectories: true)
            let file = project.fileContext(Self.stableKey(text)) + "/" + text
            if staysInside(file, root: project.fileContext(Self.stableKey(text))) {
                _ = createHostileFile(file, contents: Data(dockerfile.utf8), mode: 0o644)
            }
            if staysInside(project.context(text), root: root + "/contexts") {
                _ = createHostileFile(
                    project.context(text) + "/Dockerfile", contents: Data(dockerfile.utf8), mode: 0o644)
            }
        }

        var phases = PhaseClock()
        var figures: [HostileFigures] = []
        var accepted: [String: [String]] = [:]
        var samples: [(arguments: [String], expected: String, option: String)] = []
        for option in Self.options(project, dockerfile: dockerfile) {
            var tally = HostileFigures(field: option.name, notRepresentable: all.count - strings.count)
            let template = try BuildCommand.parse(option.arguments("placeholder"))
            let scan = option.naming == "--file" || option.naming == "--context"
            for (index, text) in strings.enumerated() {
                tally.tried += 1
                let outcome = await Self.prepare(text, option: option, template: template, scanSources: scan)
                if let request = outcome.request {
                    #expect(option.literal(request, text), "\(option.name): \(text.debugDescription) changed")
                    tally.literal += 1
                    accepted[option.name, default: []].append(text)
                    continue
                }
                tally.rejected += 1
                #expect(outcome.code == 2, "\(option.name) \(text.prefix(60).debugDescription): exit \(outcome.code)")
                #expect(
                    isClearRefusal(outcome.message, naming: option.naming),
                    "\(option.name): unclear refusal \(outcome.message.prefix(300).debugDescription)")
                if HostileCorpus.executableSample(index, salt: option.name.count) {
                    samples.append((option.arguments(text), outcome.message, option.name))
                    tally.viaExecutable += 1
                }
            }
            figures.append(tally)
            phases.mark(option.name)
        }

        // Refusals through the executable: exit 2, the same first line, nothing pushed.
        let home = root + "/home"
        let results = try await concurrently(samples) { sample in
            try await CoordinatorBinary.run(
                ["build"] + sample.arguments, environment: ["HOME": home, "DOCKER_CONFIG": home])
        }
        for (sample, result) in zip(samples, results) {
            let firstLine = { (text: String) in text.split(separator: "\n").first.map(String.init) ?? "" }
            #expect(
                result.status == 2 && firstLine(result.stderr) == firstLine(sample.expected),
                "\(sample.option): exit \(result.status), \(result.stderr.prefix(300).debugDescription)")
        }
        corpus.expectNoInjection("refused build options")
        phases.mark("executable refusals")

        let built = try await realBuilds(accepted, project: project, fleet: fleet, corpus: corpus)
        figures.addViaExecutable(built)
        let tags = try await Shell.run([
            "curl", "-s",
            "http://\(project.image.split(separator: "/")[0])/v2/"
                + project.image.split(separator: "/").dropFirst().joined(separator: "/") + "/tags/list",
        ])
        #expect(!tags.stdout.contains("rejected"), "a refused run pushed: \(tags.stdout)")
        phases.mark("real builds")
        figures.finish("Hostile input, coordinator build options (one run per string):", phases: phases)
    }

    /// Real builds, each in a hostile context directory with a hostile Dockerfile name, that together carry
    /// every accepted build-arg value (as many per build as fit the command), each read back from a label of
    /// the pushed image. Returns how many strings of each option they carried.
    private func realBuilds(
        _ accepted: [String: [String]], project: Project, fleet: Fleet, corpus: HostileCorpus
    ) async throws -> [String: Int] {
        let values = accepted["--build-arg VALUE"] ?? []
        // The most shell-like names: most characters a shell treats specially.
        let special = Set("'\"`$;|&%!^\\\n ")
        let byRisk = { (list: [String]) in
            list.sorted { $0.filter(special.contains).count > $1.filter(special.contains).count }
        }
        let contexts = Array(byRisk(accepted["--context"] ?? []).prefix(2))
        let files = Array(byRisk(accepted["--file"] ?? []).prefix(2))
        try #require(contexts.count == 2 && files.count == 2 && values.count > 200)
        var chunks: [[String]] = [[]]
        var size = 0
        for value in values {
            let cost = try POSIXShell.quote(POSIXShell.quote("V999=" + value)).utf8.count + 16
            if size + cost > 20 * 1024 {
                chunks.append([])
                size = 0
            }
            chunks[chunks.count - 1].append(value)
            size += cost
        }
        let base = try fleet.value("TESTBED_BASE_IMAGE")
        var carried: [String: Int] = ["--context": min(chunks.count, 2), "--file": min(chunks.count, 2)]
        for (build, values) in chunks.enumerated() {
            let tag = "a\(build)"
            let context = project.context(contexts[build % 2])
            let dockerfile = files[build % 2]
            var text = "FROM \(base)\n"
            for index in values.indices { text += "ARG V\(index)\nLABEL \"hostile.\(index)\"=\"${V\(index)}\"\n" }
            #expect(createHostileFile(context + "/" + dockerfile, contents: Data(text.utf8), mode: 0o644))
            let arguments =
                project.common(tag: tag) + ["--context", context, "--file", dockerfile]
                + values.enumerated().flatMap { ["--build-arg", "V\($0.offset)=\($0.element)"] }
            let result = try await CoordinatorBinary.run(
                ["build"] + arguments,
                environment: ["HOME": project.root + "/home", "DOCKER_CONFIG": project.root + "/home"],
                directory: project.root, timeout: .seconds(240))
            #expect(result.status == 0, "build \(tag): \(result.stderr.suffix(1_500))")
            let inspect = try await Shell.run([
                "skopeo", "inspect", "--tls-verify=false", "--config", "docker://\(project.image):\(tag)-linux-amd64",
            ])
            let config = try? JSONSerialization.jsonObject(with: inspect.stdoutData) as? [String: Any]
            let labels = (config?["config"] as? [String: Any])?["Labels"] as? [String: String] ?? [:]
            for (index, value) in values.enumerated() {
                let returned = labels["hostile.\(index)"]?.prefix(60).debugDescription ?? "nothing"
                #expect(
                    labels["hostile.\(index)"] == value,
                    "build \(tag): value \(index) \(value.prefix(60).debugDescription) came back as \(returned)")
            }
            carried["--build-arg VALUE", default: 0] += values.count
            corpus.expectNoInjection("build \(tag)")
        }
        return carried
    }
}
