import Foundation
import Shared
import Worker

/// One `--secret` in buildx's syntax: `id=ID[,src=PATH|,env=VAR]` (also `source=`, and `type=file|env`). Without
/// `src` or `env` the value comes from the environment variable named like the id, as buildx does.
struct SecretArgument: Hashable, Sendable {
    enum Source: Hashable, Sendable {
        case file(String)
        case environment(String)
    }

    var id: String
    var source: Source

    init(parsing text: String) throws(UsageError) {
        var id: String?
        var file: String?
        var variable: String?
        var type: String?
        for field in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[1].isEmpty else {
                throw UsageError("--secret \(MessageText.quoted(text)): \(MessageText.quoted(String(field))) is not "
                    + "KEY=VALUE; use id=ID[,src=PATH|,env=VAR]")
            }
            let value = String(parts[1])
            switch parts[0] {
            case "id": id = value
            case "src", "source": file = value
            case "env": variable = value
            case "type": type = value
            default:
                throw UsageError("--secret \(MessageText.quoted(text)): unknown key \(MessageText.quoted(String(parts[0]))); "
                    + "use id=ID[,src=PATH|,env=VAR]")
            }
        }
        guard let id else {
            throw UsageError("--secret \(MessageText.quoted(text)) has no id: use id=ID[,src=PATH|,env=VAR]")
        }
        if let problem = BuildSecret.idProblem(id) {
            throw UsageError("--secret id \(MessageText.quoted(id)) \(problem)")
        }
        if file != nil, variable != nil {
            throw UsageError("--secret id=\(id) has both src and env; give one")
        }
        switch type {
        case nil, "file", "env": break
        case let other?:
            throw UsageError("--secret id=\(id): type \(MessageText.quoted(other)) is not file or env")
        }
        self.id = id
        if let file {
            source = .file(file)
        } else if type == "file" {
            source = .file(id)
        } else {
            source = .environment(variable ?? id)
        }
    }

    /// Reads the value here, on the machine that runs coordinator. The error names the option and the file or
    /// variable, never the value.
    func read(environment: [String: String]) throws(UsageError) -> BuildSecret {
        let value: [UInt8]
        switch source {
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw UsageError("--secret id=\(id): cannot read the file \(MessageText.quoted(path))")
            }
            value = Array(data)
        case .environment(let name):
            guard let text = environment[name] else {
                throw UsageError("--secret id=\(id): the environment variable \(name) is not set "
                    + "(give src=PATH or env=VAR)")
            }
            value = Array(text.utf8)
        }
        guard value.count <= BuildSecret.maximumSize else {
            throw UsageError("--secret id=\(id) is \(value.count) bytes, over BuildKit's limit of "
                + "\(BuildSecret.maximumSize / 1024) KiB")
        }
        return BuildSecret(id: id, value: value)
    }
}

/// Whether a Dockerfile mounts a build secret (`RUN --mount=type=secret`), which a builder without secrets
/// (classic `docker build`) cannot satisfy.
enum SecretMounts {
    static func present(in dockerfile: [UInt8]) -> Bool {
        let text = String(decoding: dockerfile, as: UTF8.self).lowercased()
        return text.range(of: #"--mount=[^\s]*type=secret"#, options: .regularExpression) != nil
    }
}
