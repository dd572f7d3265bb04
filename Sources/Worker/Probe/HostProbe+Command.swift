import Shared

/// The probe command and the parsing of its sectioned output.
///
/// The command prints, for each question, a line `@@coordinator:NAME STATUS` and then the answer
/// (standard output and error together). Nothing it runs takes an argument from the inventory other than
/// the builder instance name, which is quoted.
extension HostProbe {
    static let marker = "@@coordinator:"
    /// The section of ``Questions/tools``' answer.
    static let toolsSection = "tools"

    /// Which questions a probe command asks.
    public struct Questions: OptionSet, Sendable {
        public let rawValue: Int

        /// Creates a set.
        public init(rawValue: Int) {
            self.rawValue = rawValue
        }

        /// The host itself: OS, architecture, Windows build, home and docker configuration directories (and
        /// the context directory, when asked). Answered by the shell and `uname`: fast.
        public static let platform = Questions(rawValue: 1)
        /// The builder: its version, buildx plugin and instance. Answered by the builder's CLI: the slow part.
        public static let builder = Questions(rawValue: 2)
        /// Everything ``parse(_:builder:host:)`` needs.
        public static let all: Questions = [.platform, .builder]
        /// The host tools the build path runs beside the builder (``HostTools``), asked by `hosts check` only, at
        /// the same time as the builder's questions. POSIX hosts only: a Windows host ignores it.
        public static let tools = Questions(rawValue: 4)
    }

    /// The command that asks a host everything ``parse(_:builder:host:)`` needs (or only the `questions`
    /// given), and optionally whether the context directory `contextDirectory` (absolute) is there.
    public static func command(
        for host: BuildHost, contextDirectory: String? = nil, asking questions: Questions = .all
    ) throws -> RemoteInvocation {
        let shell = RemoteShell(host.shell)
        switch shell.family {
        case .posix:
            let lines = try posixLines(for: host, contextDirectory: contextDirectory, asking: questions)
            return try shell.command(forScriptText: lines.joined(separator: "\n"))
        case .windows:
            var lines = [
                "$ProgressPreference = 'SilentlyContinue'",
                "function Ask([string]$Name, [scriptblock]$Block) {",
                "    $global:LASTEXITCODE = 0",
                "    try { $out = & $Block 2>&1 | Out-String; $code = $LASTEXITCODE } catch { $out = $_.ToString(); $code = 1 }",
                "    '\(marker)' + $Name + ' ' + $code",
                "    $out.TrimEnd()",
                "}",
            ]
            if questions.contains(.platform) {
                lines += [
                    "Ask 'ver' { cmd.exe /c ver }",
                    "Ask 'arch' { $env:PROCESSOR_ARCHITECTURE }",
                    "Ask 'arch-wow64' { $env:PROCESSOR_ARCHITEW6432 }",
                    "Ask 'home' { $HOME }",
                    "Ask 'docker-config' { if ($env:DOCKER_CONFIG) { $env:DOCKER_CONFIG } else { Join-Path $HOME '.docker' } }",
                ]
            }
            for (name, arguments) in questions.contains(.builder) ? Self.builderQuestions(host) : [] {
                let call = try "& " + arguments.map(PowerShell.quote).joined(separator: " ")
                lines.append("Ask '\(name)' { \(call) }")
            }
            if questions.contains(.platform), let contextDirectory {
                let path = try PowerShell.quote(contextDirectory)
                lines.append("Ask 'context' { if (Test-Path -LiteralPath \(path) -PathType Container) { "
                    + "(Get-Item -LiteralPath \(path)).LastWriteTime = Get-Date; 'present' } else { 'absent' } }")
            }
            return try shell.command(forScriptText: lines.joined(separator: "\n"))
        }
    }

    /// The POSIX sh lines of ``command(for:contextDirectory:asking:)``; also the first part of a build's own
    /// command (``GatedBuildCommand``).
    static func posixLines(
        for host: BuildHost, contextDirectory: String? = nil, asking questions: Questions = .all
    ) throws -> [String] {
        var asked = questions.contains(.builder) ? Self.builderQuestions(host) : []
        let contextDirectory = questions.contains(.platform) ? contextDirectory : nil
        var lines = [
            "ask() { name=$1; shift; out=$(\"$@\" 2>&1 </dev/null); printf '%s%s %s\\n%s\\n' '\(marker)' \"$name\" \"$?\" \"$out\"; }"
        ]
        if questions.contains(.tools) {
            lines += HostTools.posixLines
            asked.append((toolsSection, [HostTools.function]))
        }
        if questions.contains(.platform) {
            lines += [
                "ask uname-s uname -s",
                "ask uname-m uname -m",
                "printf '%s%s\\n%s\\n' '\(marker)' 'home 0' \"$HOME\"",
                "printf '%s%s\\n%s\\n' '\(marker)' 'docker-config 0' \"${DOCKER_CONFIG:-$HOME/.docker}\"",
            ]
        }
        lines += try concurrentQuestions(asked)
        if let contextDirectory {
            let path = try POSIXShell.quote(contextDirectory)
            lines.append("if [ -d \(path) ]; then touch -c -- \(path); answer=present; else answer=absent; fi")
            lines.append("printf '%s%s\\n%s\\n' '\(marker)' 'context 0' \"$answer\"")
        }
        return lines
    }

    /// The builder questions for `host`: section name and command.
    static func builderQuestions(_ host: BuildHost) -> [(String, [String])] {
        switch host.builder {
        case .buildx:
            let inspect = ["docker", "buildx", "inspect"] + (host.builderInstance.map { ["--builder", $0] } ?? [])
            return [("docker-version", ["docker", "version"]), ("buildx-version", ["docker", "buildx", "version"]),
                ("buildx-inspect", inspect)]
        case .docker:
            return [("docker-version", ["docker", "version"])]
        case .buildah:
            return [("builder-version", ["buildah", "version"])]
        case .podman:
            return [("builder-version", ["podman", "version"])]
        }
    }

    /// POSIX lines that ask the builder questions at once (each answer into its own file of a temporary
    /// directory, printed once all are in), or one after another when no temporary directory can be made.
    /// The builder CLIs are the slow part of a probe; run together they cost about the slowest one.
    static func concurrentQuestions(_ questions: [(String, [String])]) throws -> [String] {
        let asks = try questions.map { name, arguments in "ask \(name) " + (try POSIXShell.commandLine(arguments)) }
        guard asks.count > 1 else { return asks }
        let files = asks.indices.map { "\"$answers/\($0)\"" }
        var lines = [
            "if answers=$(mktemp -d 2>/dev/null); then",
            "    trap 'rm -rf -- \"$answers\"' EXIT",
        ]
        lines += zip(asks, files).map { ask, file in "    \(ask) >\(file) &" }
        lines += ["    wait", "    cat -- \(files.joined(separator: " "))", "else"]
        lines += asks.map { "    " + $0 }
        lines.append("fi")
        return lines
    }

    /// Splits probe output into sections: name → (status, text).
    static func sections(_ output: String) -> [String: (status: Int, text: String)] {
        var result: [String: (status: Int, text: String)] = [:]
        var current: String?
        var status = 0
        var lines: [Substring] = []
        func flush() {
            if let current {
                result[current] = (status, lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        // `\r\n` is one Character in Swift, so split on any newline rather than on "\n".
        for line in output.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            if line.hasPrefix(marker) {
                flush()
                let words = line.dropFirst(marker.count).split(separator: " ")
                current = words.first.map(String.init)
                status = words.count > 1 ? Int(words[1]) ?? 1 : 0
                lines = []
            } else {
                lines.append(line)
            }
        }
        flush()
        return result
    }

    /// Parses the output of ``command(for:)``.
    /// - Throws: ``HostProbeError`` when the host did not answer the basic questions.
    public static func parse(_ output: String, builder: BuilderKind, host: String = "host") throws -> HostProbe {
        let answers = sections(output)
        func answer(_ name: String) -> String? {
            guard let entry = answers[name], entry.status == 0, !entry.text.isEmpty else { return nil }
            return entry.text
        }
        var operatingSystem: String
        var architecture: String
        var windowsBuild: String?
        if let ver = answers["ver"] {
            operatingSystem = "windows"
            windowsBuild = parseWindowsVersion(ver.text)
            architecture = parseProcessorArchitecture(answer("arch") ?? "", wow64: answer("arch-wow64"))
        } else {
            guard let system = answer("uname-s"), let machine = answer("uname-m") else {
                throw HostProbeError(host: host, message: "the host did not answer `uname -s` / `uname -m`; is its "
                    + "login shell POSIX sh? set \"shell\" in the inventory (sh, powershell or cmd)")
            }
            operatingSystem = parseUnameSystem(system)
            architecture = machine.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let platform = try? Platform(os: operatingSystem, reportedArchitecture: architecture)
        var probe = HostProbe(
            operatingSystem: operatingSystem, reportedArchitecture: architecture, platform: platform,
            windowsBuild: windowsBuild, home: answer("home"), dockerConfig: answer("docker-config"),
            builder: parseBuilder(builder, answers: answers))
        probe.contextPresent = answers["context"].map { $0.status == 0 && $0.text == "present" }
        probe.tools = answers[toolsSection].map { HostTools.parse($0.text, builder: builder) }
        return probe
    }

    /// Parses the output of ``command(for:contextDirectory:asking:)`` asked only ``Questions/builder``.
    public static func parseBuilder(_ output: String, kind: BuilderKind) -> BuilderProbe {
        parseBuilder(kind, answers: sections(output))
    }

    static func parseBuilder(_ kind: BuilderKind, answers: [String: (status: Int, text: String)]) -> BuilderProbe {
        var probe = BuilderProbe(kind: kind)
        func failed(_ name: String, _ command: String) -> Bool {
            guard let entry = answers[name] else {
                probe.problem = "`\(command)` was not run"
                return true
            }
            if entry.status != 0 {
                let detail = entry.text.split(whereSeparator: \.isNewline).last.map(String.init) ?? "no output"
                probe.problem = "`\(command)` failed (status \(entry.status)): \(detail)"
                return true
            }
            return false
        }
        switch kind {
        case .buildx, .docker:
            guard !failed("docker-version", "docker version") else { return probe }
            let docker = parseDockerVersion(answers["docker-version"]?.text ?? "")
            probe.version = docker.server ?? docker.client
            probe.enginePlatform = docker.serverPlatform
            if docker.server == nil {
                probe.problem = "`docker version` shows no server: the docker engine is not reachable (DOCKER_HOST?)"
            }
            if kind == .buildx, probe.problem == nil {
                guard !failed("buildx-version", "docker buildx version") else { return probe }
                probe.buildxVersion = parseBuildxVersion(answers["buildx-version"]?.text ?? "")
                guard !failed("buildx-inspect", "docker buildx inspect") else { return probe }
                probe.buildxDriver = parseBuildxDriver(answers["buildx-inspect"]?.text ?? "")
            }
        case .buildah, .podman:
            guard !failed("builder-version", "\(kind.rawValue) version") else { return probe }
            let parsed = parseBuildahVersion(answers["builder-version"]?.text ?? "")
            probe.version = parsed.version
            probe.enginePlatform = parsed.platform
        }
        return probe
    }
}

/// A host that could not be probed or does not match its inventory entry.
public struct HostProbeError: Error, CustomStringConvertible, Sendable, HostDisqualifyingError {
    /// The inventory name of the host.
    public var host: String
    /// What is wrong and how to fix it.
    public var message: String
    /// True when the host is not what the inventory says (no retry on it this run).
    public var disqualifiesHost: Bool

    /// Creates an error.
    public init(host: String, message: String, disqualifiesHost: Bool = false) {
        self.host = host
        self.message = message
        self.disqualifiesHost = disqualifiesHost
    }

    public var description: String {
        "host \(host): \(message)"
    }
}
