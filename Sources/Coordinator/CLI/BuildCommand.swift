import ArgumentParser
import Foundation
import Shared

/// `coordinator build`: every platform on a native host, in parallel, then the multi-arch list.
struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build every platform natively on its own host and push one multi-arch tag.",
        discussion: """
            Each platform goes to an inventory host that builds it (see `coordinator plan`), which pushes \
            REGISTRY/REPO:VERSION-OS-ARCH. Once every platform has reported its digest, the list \
            REGISTRY/REPO:VERSION is assembled, checked against each image's config, pushed and read back. \
            If any platform fails, the list is not pushed (unless --allow-partial).

            Environment variables in the Velero style fill absent flags: REGISTRY and BIN (--image), \
            VERSION (--tag), BUILD_OS and BUILD_ARCH (--os, --arch), BUILD_WINDOWS_VERSION \
            (--windows-version), BUILD_OUTPUT_TYPE (--output), BUILDX_INSTANCE (--builder).

            Exit codes: 0 success, 1 a build failed (or a partial list was pushed), 2 usage or inventory \
            error, 3 infrastructure failure that retries could not cure, 130 interrupted.

            Examples:
              coordinator build --inventory inventory.json \\
                --image registry.example.com/velero/velero --tag v1.14.2 \\
                --also-tag v1.14 --also-tag latest \\
                --platform linux/amd64,linux/arm64,windows/amd64
              coordinator build ... --target release \\
                --label org.opencontainers.image.licenses=Apache-2.0 \\
                --annotation index:org.opencontainers.image.description=Velero
              coordinator build ... --secret id=gotoken,env=GOMOD_TOKEN \\
                --cache registry
            """
    )

    @OptionGroup var inventoryOption: InventoryOption
    @OptionGroup var target: TargetOptions

    @Option(name: .customLong("also-tag"), help: ArgumentHelp(
        "Another tag for the list (e.g. --tag v1.14.2 --also-tag v1.14 --also-tag latest): the same list is "
            + "pushed under each and read back. Per-platform tags stay derived from --tag. Repeatable.",
        valueName: "tag"))
    var alsoTags: [String] = []

    @Option(name: [.customShort("f"), .long], help: ArgumentHelp(
        "Dockerfile for Linux platforms, relative to the context.", valueName: "path"))
    var file = "Dockerfile"

    @Option(name: .customLong("windows-file"), help: ArgumentHelp(
        "Dockerfile for Windows platforms (default: Dockerfile-Windows if the context has one, else --file).",
        valueName: "path"))
    var windowsFile: String?

    @Option(name: .customLong("build-arg"), help: ArgumentHelp(
        "A build argument NAME=VALUE (NAME alone takes the value from the environment). Repeatable.",
        valueName: "name=value"))
    var buildArgs: [String] = []

    @Option(name: .customLong("label"), help: ArgumentHelp(
        "A label KEY=VALUE set on every platform's image, on every builder. Repeatable.", valueName: "key=value"))
    var labels: [String] = []

    @Option(name: .customLong("secret"), help: ArgumentHelp(
        "A build secret for RUN --mount=type=secret: id=ID[,src=PATH|,env=VAR] (buildx's syntax; without src or env, "
            + "the variable ID). The value reaches the hosts only on the SSH channel's stdin and is removed after the "
            + "build. Repeatable.", valueName: "id=ID,src=PATH"))
    var secrets: [String] = []

    @Option(name: .customLong("annotation"), help: ArgumentHelp(
        "An annotation [TYPE:]KEY=VALUE (buildx's syntax): index: on the list (an OCI index), manifest: (the default) "
            + "on every platform's image manifest (buildah and podman hosts), manifest-descriptor: on every "
            + "platform's entry in the list. Repeatable.", valueName: "[type:]key=value"))
    var annotations: [String] = []

    @Option(name: .customLong("list-format"), help: ArgumentHelp(
        "auto (a Docker manifest list unless a child is OCI or an annotation asks for an OCI index), oci or docker.",
        valueName: "format"))
    var listFormat: ListFormat = .auto

    @Flag(name: .customLong("no-default-annotations"), help: ArgumentHelp(
        "Leave out the annotations an OCI index otherwise gets: org.opencontainers.image.created, .version and, "
            + "for a git checkout, .source and .revision."))
    var noDefaultAnnotations = false

    @Option(name: .customLong("provenance"), help: ArgumentHelp(
        "none (the list as it always was), attach (an OCI index that also holds each platform's SLSA provenance, as "
            + "BuildKit attaches it) or sign (attach, and sign every image and the list and attest the provenance "
            + "with the local cosign, all verified before the list tag moves).", valueName: "mode"))
    var provenance: ProvenanceMode = .none

    @Option(name: .customLong("sign-key"), help: ArgumentHelp(
        "With --provenance sign: cosign's key, a file (its password in COSIGN_PASSWORD) or a KMS URI "
            + "(awskms://, gcpkms://, azurekms://, hashivault://, k8s://); without it cosign signs keyless.",
        valueName: "key"))
    var signKey: String?

    @Option(name: .customLong("cosign-arg"), parsing: .unconditionalSingleValue, help: ArgumentHelp(
        "An option for every cosign sign and attest call, e.g. --cosign-arg=--tlog-upload=false. Repeatable.",
        valueName: "arg"))
    var cosignArgs: [String] = []

    @Option(name: .customLong("cosign-verify-arg"), parsing: .unconditionalSingleValue, help: ArgumentHelp(
        "An option for every cosign verify call, e.g. --cosign-verify-arg=--certificate-identity=ID for keyless. "
            + "Repeatable.", valueName: "arg"))
    var cosignVerifyArgs: [String] = []

    @Option(name: .customLong("cache"), help: ArgumentHelp(
        "none, or registry: each platform imports from and exports to a cache place of its own under --cache-repo "
            + "(buildx: type=registry,mode=max, or inline with the docker driver; buildah/podman: --layers "
            + "--cache-to/--cache-from).", valueName: "mode"))
    var cache: CacheMode = .none

    @Option(name: .customLong("cache-repo"), help: ArgumentHelp(
        "The repository that holds the platforms' caches (default: IMAGE-cache, on the image's registry).",
        valueName: "repo"))
    var cacheRepository: String?

    @Option(name: .customLong("target"), help: ArgumentHelp(
        "The Dockerfile stage to build (default: the last).", valueName: "stage"))
    var stage: String?

    @Option(name: .customLong("windows-target"), help: ArgumentHelp(
        "The stage of the Windows Dockerfile to build (default: --target when Windows uses the same Dockerfile, "
            + "else the last stage).", valueName: "stage"))
    var windowsStage: String?

    @Option(name: .long, help: ArgumentHelp("The build context: a directory or a git URL.", valueName: "path|url"))
    var context = "."

    @Option(name: .long, help: ArgumentHelp(
        "registry (push tags and the list), tar (_output/BIN-VERSION-OS-ARCH.tar per platform) or docker "
            + "(load into the local engine) (default: $BUILD_OUTPUT_TYPE, else registry).",
        valueName: "type"))
    var output: OutputType?

    @Option(name: .customLong("builder"), help: ArgumentHelp(
        "Named buildx builder instance on the hosts (default: $BUILDX_INSTANCE, else the host's).",
        valueName: "name"))
    var builderInstance: String?

    @Flag(name: .customLong("dry-run"), help: "Print the plan and exit; nothing runs.")
    var dryRun = false

    @Flag(name: .customLong("allow-partial"), help: "Push a list of the platforms that succeeded when some failed (exit 1).")
    var allowPartial = false

    @Flag(name: .customLong("no-resume"), help: "Rebuild platforms whose tag already holds an image of the same sources.")
    var noResume = false

    @Flag(name: .customLong("no-cache"), help: "Build without the builders' cache.")
    var noCache = false

    @Option(name: .long, help: ArgumentHelp("Extra attempts per platform after an infrastructure failure.", valueName: "n"))
    var retries = 2

    @Option(name: .long, help: ArgumentHelp(
        "Time limit of one attempt, e.g. 90s, 30m, 2h; past it the host counts as failed.", valueName: "duration"))
    var timeout = "2h"

    @Option(name: .long, help: ArgumentHelp("Write the report as JSON to this file.", valueName: "file"))
    var json: String?

    @Option(name: .long, help: ArgumentHelp("auto, tty, plain or json (progress goes to stderr).", valueName: "mode"))
    var progress: ProgressMode = .auto

    @Flag(name: .customLong("accept-new-host-keys"), help: ArgumentHelp(
        "Trust and record host keys not yet in known_hosts (OpenSSH's accept-new). Changed keys are always refused."))
    var acceptNewHostKeys = false

    @OptionGroup var registry: RegistryOptions

    func validate() throws {
        guard (0...10).contains(retries) else { throw ValidationError("--retries must be 0...10.") }
        _ = try DurationArgument.parse(timeout, option: "--timeout")
        for argument in buildArgs where argument.isEmpty || argument.hasPrefix("=") {
            throw ValidationError("--build-arg \(MessageText.quoted(argument)) needs a name: NAME=VALUE.")
        }
        if let builderInstance, let problem = BuildHost.builderInstanceProblem(builderInstance) {
            throw ValidationError("--builder \(problem)")
        }
        for label in labels {
            guard let equals = label.firstIndex(of: "="), equals != label.startIndex else {
                throw ValidationError("--label \(MessageText.quoted(label)) needs a key: KEY=VALUE.")
            }
            let key = label[..<equals]
            if key.contains(where: { $0.isWhitespace || $0.isNewline }) {
                throw ValidationError("--label key \(MessageText.quoted(String(key))) may not hold spaces.")
            }
            if key == SourceFingerprint.label {
                throw ValidationError("--label \(SourceFingerprint.label) is coordinator's own (the resume fingerprint).")
            }
        }
        for (option, stage) in [("--target", stage), ("--windows-target", windowsStage)] {
            if let stage, let problem = Self.stageProblem(stage) {
                throw ValidationError("\(option) \(MessageText.quoted(stage)) \(problem).")
            }
        }
        for tag in alsoTags {
            if let problem = ImageNameRules.problem(withTag: tag) {
                throw ValidationError("--also-tag \(MessageText.quoted(tag)) \(problem).")
            }
        }
        if Set(alsoTags).count != alsoTags.count {
            throw ValidationError("--also-tag names a tag twice; give each tag once.")
        }
        if provenance != .sign, signKey != nil || !cosignArgs.isEmpty || !cosignVerifyArgs.isEmpty {
            throw ValidationError("--sign-key, --cosign-arg and --cosign-verify-arg are for --provenance sign.")
        }
        if provenance != .none, listFormat == .docker {
            throw ValidationError("--provenance \(provenance.rawValue) needs an OCI index (attestation manifests "
                + "carry annotations a Docker manifest list cannot hold); use --list-format auto or oci, or "
                + "--provenance none.")
        }
    }

    /// Why `stage` is not a Dockerfile stage name (`FROM ... AS NAME`: a letter, then letters, digits, `-`,
    /// `_`, `.`), or nil.
    static func stageProblem(_ stage: String) -> String? {
        let letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
        guard let first = stage.first, letters.contains(first) else {
            return "is not a stage name: it must start with a letter"
        }
        guard stage.allSatisfy({ letters.contains($0) || "0123456789-_.".contains($0) }), stage.count <= 128 else {
            return "is not a stage name: use letters, digits, '-', '_' and '.' (at most 128)"
        }
        return nil
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let inventory = try inventoryOption.load()
        let buildTarget = try target.resolve(environment: environment)
        let plan = try Planner(inventory: inventory).plan(buildTarget)
        if dryRun {
            print(PlanRendering.table(plan), terminator: "")
            return
        }
        let request = try ReleaseRequest(command: self, plan: plan, environment: environment)
        if request.provenance == .sign, let problem = await Cosign.availabilityProblem() {
            throw UsageError(problem)
        }
        let release = Release(request: request)
        let task = Task { await release.run() }
        let interrupt = InterruptSignal { task.cancel() }
        let outcome = await task.value
        interrupt.cancel()
        try ReleaseReporting.finish(outcome, jsonFile: json)
    }
}

extension ListFormat: ExpressibleByArgument {}

extension ProvenanceMode: ExpressibleByArgument {}

/// `--cache`.
enum CacheMode: String, CaseIterable, ExpressibleByArgument, Sendable {
    case none, registry
}

/// `--output`.
enum OutputType: String, CaseIterable, ExpressibleByArgument, Sendable {
    case registry, tar, docker
}

extension ProgressMode: ExpressibleByArgument {}

/// Durations written as `90`, `90s`, `30m` or `2h`.
enum DurationArgument {
    static func parse(_ text: String, option: String) throws(UsageError) -> Duration {
        let units: [(String, Int64)] = [("ms", 0), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, multiplier) in units where text.hasSuffix(suffix) {
            if let value = Int64(text.dropLast(suffix.count)), value > 0 {
                return multiplier == 0 ? .milliseconds(value) : .seconds(value * multiplier)
            }
        }
        if let seconds = Int64(text), seconds > 0 { return .seconds(seconds) }
        throw UsageError("\(option) \(MessageText.quoted(text)) is not a duration; use e.g. 90s, 30m or 2h")
    }
}
