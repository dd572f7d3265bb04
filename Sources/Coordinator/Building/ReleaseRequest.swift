import Foundation
import Shared
import Worker

/// Everything `coordinator build` needs, resolved and checked before any host is contacted.
struct ReleaseRequest: Sendable {
    var plan: BuildPlan
    var output: OutputType
    /// Where the context comes from.
    var contextPath: String
    var isGitContext: Bool
    var linuxDockerfile: String
    var windowsDockerfile: String
    var buildArguments: [BuildArgument]
    /// More tags for the list (`--also-tag`), besides the version.
    var alsoTags: [String]
    /// The list's format and annotations (the default ones are added by ``Release``).
    var listContents: ListContents
    /// `--annotation manifest:KEY=VALUE`: on every platform's image manifest.
    var manifestAnnotations: [String: String]
    /// Whether an OCI index gets the default annotations.
    var defaultAnnotations: Bool
    /// `--cache registry`: the repository under which each platform has its cache place; nil for none.
    var cacheRepository: String?
    /// `--secret`s, read on this machine.
    var secrets: [BuildSecret]
    /// `--label KEY=VALUE`, set on every platform's image.
    var labels: [String: String]
    /// `--target` and `--windows-target`: the stage each Dockerfile builds, nil for its last.
    var linuxTarget: String?
    var windowsTarget: String?
    var builderInstance: String?
    var noCache: Bool
    var resume: Bool
    var allowPartial: Bool
    var retries: Int
    var attemptTimeout: Duration
    var progress: ProgressMode
    var hostKeyPolicy: HostKeyPolicy
    var registry: RegistryClient.Configuration
    /// `--provenance`.
    var provenance: ProvenanceMode = .none
    /// With `--provenance sign`: how cosign is called (never on a build host).
    var cosign: CosignSettings?
    /// `_output`, where tarballs and logs go.
    var outputDirectory = "_output"

    init(command: BuildCommand, plan: BuildPlan, environment: [String: String]) throws(UsageError) {
        self.plan = plan
        let outputText = command.output?.rawValue ?? environment["BUILD_OUTPUT_TYPE"] ?? OutputType.registry.rawValue
        guard let output = OutputType(rawValue: outputText.lowercased()) else {
            throw UsageError(
                "BUILD_OUTPUT_TYPE \(MessageText.quoted(outputText)) is not an output type; use registry, tar or "
                    + "docker")
        }
        self.output = output
        contextPath = command.context
        isGitContext = GitContext.isURL(command.context)
        if !isGitContext {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: command.context, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                throw UsageError("--context \(MessageText.quoted(command.context)) is not a directory (or a git URL)")
            }
        }
        linuxDockerfile = command.file
        if let windows = command.windowsFile {
            windowsDockerfile = windows
        } else if !isGitContext, FileManager.default.fileExists(atPath: command.context + "/Dockerfile-Windows") {
            windowsDockerfile = "Dockerfile-Windows"
        } else {
            windowsDockerfile = command.file
        }
        buildArguments = try command.buildArgs.map { text throws(UsageError) in
            guard let equals = text.firstIndex(of: "=") else {
                guard let value = environment[text] else {
                    throw UsageError(
                    "--build-arg \(MessageText.quoted(text)) has no value and is not set in the environment")
                }
                return BuildArgument(text, value)
            }
            return BuildArgument(String(text[..<equals]), String(text[text.index(after: equals)...]))
        }
        for argument in buildArguments where argument.name.contains(where: { !($0.isLetter || $0.isNumber || $0 == "_") }) {
            throw UsageError(
                "--build-arg name \(MessageText.quoted(argument.name)) may hold only letters, digits and '_'")
        }
        // Each budget is counted in the encoding the hosts that may build (assigned or failover) actually use.
        let shells = Set(plan.assignments.flatMap { [$0.host] + $0.alternates }.map(\.shell.isWindows))
        // `--label KEY=VALUE` takes as much of the command line as a build argument of the same text.
        let labelPairs = command.labels.map { label in
            // BuildCommand.validate made sure each has a key and an `=`.
            let parts = label.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return BuildArgument(String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
        let commandBytes = (buildArguments + labelPairs).reduce(0) { total, argument in
            // Quoted once into the script and once more into `sh -c`, as a POSIX host receives it.
            let assignment = argument.name + "=" + argument.value
            let once = (try? POSIXShell.quote(assignment)) ?? assignment
            return total + ((try? POSIXShell.quote(once)) ?? once).utf8.count + 16
        }
        if shells.contains(false), commandBytes > Self.buildArgumentBudget {
            throw UsageError(
                "--build-arg and --label values need \(commandBytes) bytes of the build command, over the "
                    + "\(Self.buildArgumentBudget) it leaves for them (one SSH exec request carries about 32 KiB); "
                    + "put large values in a file in the build context instead")
        }
        // A Windows host starts `docker build` through CreateProcessW: its limit is in UTF-16 units, after C runtime
        // quoting, whatever the SSH command (constant on Windows hosts) holds.
        if shells.contains(true) {
            let units = WindowsCommandBudget.buildArgumentLength(buildArguments + labelPairs)
            if units > WindowsCommandBudget.buildArgumentBudget {
                throw UsageError(
                    "--build-arg and --label values need \(units) UTF-16 units of the docker command line on a Windows host, "
                        + "over the \(WindowsCommandBudget.buildArgumentBudget) it leaves for them (Windows starts no "
                        + "command line over 32,767); put large values in a file in the build context instead")
            }
        }
        let annotations = try command.annotations.map { text throws(UsageError) in try AnnotationArgument(parsing: text) }
        listContents = ListContents(
            format: command.listFormat, indexAnnotations: AnnotationArgument.collect(annotations, .index),
            descriptorAnnotations: AnnotationArgument.collect(annotations, .manifestDescriptor))
        manifestAnnotations = AnnotationArgument.collect(annotations, .manifest)
        defaultAnnotations = !command.noDefaultAnnotations
        if command.listFormat == .docker, !listContents.indexAnnotations.isEmpty || !listContents.descriptorAnnotations.isEmpty {
            throw UsageError("--annotation index: and manifest-descriptor: need an OCI index, but --list-format is "
                + "docker (a Docker manifest list holds no annotations); use --list-format oci or auto")
        }
        if output != .registry, listContents.asksForOCI || command.listFormat != .auto {
            throw UsageError("--annotation index:/manifest-descriptor: and --list-format shape the pushed list: they need "
                + "--output registry, not \(output.rawValue)")
        }
        if !manifestAnnotations.isEmpty {
            // Only builders that write OCI manifests with annotations can carry them: buildah and podman here. buildx's
            // docker driver with the classic image store pushes Docker v2 manifests, and classic docker build too.
            for assignment in plan.assignments {
                for host in [assignment.host] + assignment.alternates where host.builder == .buildx || host.builder == .docker {
                    throw UsageError("--annotation manifest:: \(assignment.slot.platform) may be built on \(host.name), "
                        + "whose builder (\(host.builder.rawValue)) pushes Docker v2 manifests, which hold no annotations "
                        + "(buildx's docker driver with the classic image store; classic docker build); build it on a "
                        + "buildah or podman host, or use manifest-descriptor: to annotate its entry in the list")
                }
            }
        }
        if command.cache == .registry {
            let repository = command.cacheRepository ?? plan.target.image + "-cache"
            if let problem = ImageNameRules.problem(withRepository: repository) {
                throw UsageError("--cache-repo \(MessageText.quoted(repository)) \(problem)")
            }
            let imageRegistry = try? ImageReference(parsing: plan.target.listReference).registry
            let cacheRegistry = try? ImageReference(parsing: repository + ":cache").registry
            guard imageRegistry == cacheRegistry else {
                throw UsageError("--cache-repo \(MessageText.quoted(repository)) is on another registry than --image "
                    + "(\(imageRegistry ?? "?")): the hosts log in to the image's registry only; put the cache there")
            }
            guard output == .registry else {
                throw UsageError("--cache registry exports through the registry: it needs --output registry, not "
                    + output.rawValue)
            }
            cacheRepository = repository
        } else {
            if command.cacheRepository != nil {
                throw UsageError("--cache-repo needs --cache registry")
            }
            cacheRepository = nil
        }
        var secrets: [BuildSecret] = []
        for text in command.secrets {
            let secret = try SecretArgument(parsing: text).read(environment: environment)
            if secrets.contains(where: { $0.id == secret.id }) {
                throw UsageError("--secret id=\(secret.id) is given twice; give each id once")
            }
            secrets.append(secret)
        }
        self.secrets = secrets
        alsoTags = command.alsoTags
        labels = Dictionary(labelPairs.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
        linuxTarget = command.stage
        windowsTarget = command.windowsStage ?? (windowsDockerfile == linuxDockerfile ? command.stage : nil)
        if alsoTags.contains(plan.target.version) {
            throw UsageError(
                "--also-tag \(MessageText.quoted(plan.target.version)) is the --tag itself; the list gets that tag anyway")
        }
        if !alsoTags.isEmpty, output != .registry {
            throw UsageError("--also-tag tags the pushed list: it needs --output registry, not \(output.rawValue)")
        }
        builderInstance = command.builderInstance ?? environment["BUILDX_INSTANCE"].flatMap { $0.isEmpty ? nil : $0 }
        if let builderInstance, let problem = BuildHost.builderInstanceProblem(builderInstance) {
            throw UsageError((command.builderInstance == nil ? "BUILDX_INSTANCE " : "--builder ") + problem)
        }
        noCache = command.noCache
        resume = !command.noResume && output == .registry
        allowPartial = command.allowPartial
        retries = command.retries
        attemptTimeout = try DurationArgument.parse(command.timeout, option: "--timeout")
        progress = command.progress
        hostKeyPolicy = command.acceptNewHostKeys ? .acceptNew : .strict
        registry = command.registry.clientConfiguration
        if progress == .json { registry.onRetry = RegistryRetryNote.json }
        provenance = command.provenance
        if provenance != .none, output != .registry {
            throw UsageError("--provenance \(provenance.rawValue) attaches provenance to the pushed list: it needs "
                + "--output registry, not \(output.rawValue)")
        }
        if provenance == .sign {
            let registryHost = (try? ImageReference(parsing: plan.target.listReference).registry) ?? ""
            var caFile = registry.security.caCertificateFiles.first
            let folderCA = registry.security.certsDirectory + "/" + registryHost + "/ca.crt"
            if caFile == nil, FileManager.default.isReadableFile(atPath: folderCA) { caFile = folderCA }
            cosign = CosignSettings(
                key: command.signKey, signArguments: command.cosignArgs, verifyArguments: command.cosignVerifyArgs,
                insecureRegistry: registry.security.isInsecure(registryHost), registryCACertificate: caFile)
        }
        if output == .docker {
            let local = LocalPlatform.current
            for assignment in plan.assignments where assignment.slot.platform != local {
                throw UsageError(
                    "--output docker loads images into this machine's engine, which runs \(local); "
                        + "\(assignment.slot.platform) cannot be loaded here: use --output registry or tar for it")
            }
        }
    }

    /// How many bytes of the remote build command build arguments may take, quoted (the rest of the
    /// ``RemoteShell/execRequestLimit`` holds paths, tags, labels and the login).
    static let buildArgumentBudget = 24 * 1024

    /// The Dockerfile stage a slot builds, nil for the last.
    func target(for slot: BuildSlot) -> String? {
        slot.platform.isWindows ? windowsTarget : linuxTarget
    }

    /// How this run reaches `host` over SSH: the host's own settings and the run's host-key policy.
    func sshTarget(for host: BuildHost) -> SSHTarget {
        var target = SSHTarget(host: host)
        target.hostKeyPolicy = hostKeyPolicy
        return target
    }

    /// The Dockerfile for a slot.
    func dockerfile(for slot: BuildSlot) -> String {
        slot.platform.isWindows ? windowsDockerfile : linuxDockerfile
    }

    /// What this run writes on this machine while it builds: the log directory and, unless the output is the
    /// registry, each platform's tarball. Never part of the build context (see `BuildContext.scan`).
    var ownOutputs: [String] {
        [outputDirectory + "/logs"] + (output == .registry ? [] : plan.assignments.map { tarball(for: $0.slot) })
    }

    /// The local tarball of a slot, with the Velero name.
    func tarball(for slot: BuildSlot) -> String {
        outputDirectory + "/" + slot.platform.tarballPath(
            bin: plan.target.bin, version: slot.version, windowsVersion: slot.windowsVersion
        ).dropFirst("_output/".count)
    }
}

/// The platform of this machine, for `--output docker`.
enum LocalPlatform {
    static var current: Platform {
        var info = utsname()
        uname(&info)
        let machine = withUnsafeBytes(of: &info.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return (try? Platform(os: "linux", reportedArchitecture: machine)) ?? .linuxAMD64
    }
}
