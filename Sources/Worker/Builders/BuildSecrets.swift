import Shared

/// A build secret (`--secret id=ID,...`): the value reaches the host only on the build command's standard
/// input, lands in a file readable by the SSH user alone in the run's private directory, is handed to the builder
/// as `--secret id=ID,src=FILE`, and is removed when the script ends, however it ends. It is never in a command
/// line, an environment, a log or an image (BuildKit, buildah and podman mount it for `RUN --mount=type=secret`
/// only). ``description`` hides the value.
public struct BuildSecret: Sendable, Hashable, CustomStringConvertible {
    /// The id a Dockerfile mounts (`RUN --mount=type=secret,id=ID`).
    public var id: String
    /// The value.
    public var value: [UInt8]

    /// Creates a secret.
    public init(id: String, value: [UInt8]) {
        self.id = id
        self.value = value
    }

    public var description: String { "secret \(id) (\(value.count) bytes, value hidden)" }

    /// BuildKit's limit for one secret (500 KiB).
    public static let maximumSize = 500 * 1024

    /// Why `id` cannot be a secret id (letters, digits, `-`, `_`, `.`; it also names nothing on the host), or nil.
    public static func idProblem(_ id: String) -> String? {
        guard !id.isEmpty, id.count <= 128 else { return "must be 1 to 128 characters" }
        let allowed = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."
        guard id.allSatisfy({ allowed.contains($0) }) else { return "may hold only letters, digits, '-', '_' and '.'" }
        return nil
    }
}

/// The script steps that receive a request's secrets, for the builders that take them.
enum BuildSecrets {
    /// Adds the steps that read each secret from standard input into the run's private `secrets` directory (which
    /// the script removes however it ends) and returns the builder flags and the bytes to send first on standard
    /// input, before anything a later step reads (the registry password).
    static func add(_ secrets: [BuildSecret], to script: inout RemoteScript, invocation: BuildInvocation)
        -> (flags: [String], input: [UInt8])
    {
        guard !secrets.isEmpty else { return ([], []) }
        let directory = invocation.shell.join(invocation.runDirectory, "secrets")
        script.steps.append(.makeDirectory(directory, privateToUser: true))
        script.removeOnExit.append(directory)
        var flags: [String] = []
        var input: [UInt8] = []
        for (index, secret) in secrets.enumerated() {
            // Files are named by position: the id is the builder's business, not the file system's.
            let file = invocation.shell.join(directory, "\(index)")
            script.steps.append(.readInput(file, byteCount: secret.value.count))
            flags += ["--secret", "id=\(secret.id),src=\(file)"]
            input += secret.value
        }
        return (flags, input)
    }
}
