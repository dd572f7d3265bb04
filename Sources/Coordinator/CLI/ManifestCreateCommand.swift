import ArgumentParser

/// `coordinator manifest create --target REGISTRY/REPO:TAG SOURCE...`
struct ManifestCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        // Named in help and usage when `manifest create` is parsed without the tree (see CommandLineParsing); this
        // also leaves out the completion-script check, which only the `coordinator` root offers.
        _superCommandName: "coordinator manifest",
        abstract: "Assemble a multi-platform list from per-platform images, push it and verify it.",
        discussion: """
            Each SOURCE is an image in the target's repository or another repository of the same registry, \
            optionally with the platform it must be: `linux/arm64=REGISTRY/REPO:v1-linux-arm64`, \
            `windows/amd64=:v1-windows-ltsc2022-amd64` (`:TAG` and `@DIGEST` are relative to the target). \
            Each image's config must prove its platform; Windows entries carry os.version. \
            Nothing is pushed unless every source passes.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The list's reference.", valueName: "registry/repo:tag"))
    var target: String

    @Argument(help: ArgumentHelp("Per-platform images: [PLATFORM=]REFERENCE.", valueName: "source"))
    var sources: [String]

    @Option(
        name: .customLong("windows-version"),
        help: ArgumentHelp(
            "The Windows build the Windows images were built for (ltsc2019, ltsc2022, ltsc2025 or 10.0.N), used "
                + "when an image config has no os.version and checked against it when it has one.",
            valueName: "version"))
    var windowsVersion: String?

    @Flag(name: .customLong("drop-attestations"), help: "Leave out attestation manifests of index sources.")
    var dropAttestations = false

    @Flag(
        name: .customLong("no-cross-repository"),
        help: "Refuse sources from other repositories instead of mounting them into the target's.")
    var noCrossRepository = false

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    @OptionGroup var registry: RegistryOptions

    /// The values parsed, for ``ManifestCreateRequest``, which does the work.
    var request: ManifestCreateRequest {
        ManifestCreateRequest(
            target: target, sources: sources, windowsVersion: windowsVersion, dropAttestations: dropAttestations,
            noCrossRepository: noCrossRepository, json: json, insecureRegistries: registry.insecureRegistries,
            caCertificates: registry.caCertificates, certsDirectory: registry.certsDirectory)
    }

    func validate() throws {
        try request.validate()
    }

    func run() async throws {
        try await request.run()
    }
}
