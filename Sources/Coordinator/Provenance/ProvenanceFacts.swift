import Foundation
import Shared

/// coordinator's builder id and version, as provenance names them.
enum CoordinatorIdentity {
    /// The builder id of every statement.
    static let builderID = "https://github.com/coordinator-build/coordinator"
    /// coordinator's version, as `coordinator --version` prints it (stamped by the VersionStamp plugin).
    static let version = BuildVersion.version
    /// The commit it was built from, or `unknown`.
    static let commit = BuildVersion.commit
}

/// What one attempt learned about the host that built a platform, for its provenance.
struct BuildHostFacts: Hashable, Sendable, Codable {
    var host: String
    var builderKind: String
    var builderVersion: String?
    var buildxVersion: String?
    var buildxDriver: String?
    var operatingSystem: String
    var architecture: String
    var windowsBuild: String?
    var startedOn: Date
    var finishedOn: Date
}

/// The release-wide facts every platform's statement shares.
struct ReleaseFacts: Sendable {
    var image: String
    var invocationID: String
    var buildArgs: [String: String]
    var labels: [String: String]
    var secretIDs: [String]
    /// Per Dockerfile path: its digest and the context's.
    var dockerfiles: [String: SourceDigests]
    /// For a git context: the repository without credentials and the commit built (nil when unresolved).
    var gitSource: String?
    var gitRevision: String?

    /// A Dockerfile's `sha256:` digest (nil for a git context, whose host reads it) and its context's.
    struct SourceDigests: Sendable {
        var dockerfile: String?
        var context: String
    }
}

/// Makes a platform's statement from the release's facts and its host's.
enum ProvenanceFactory {
    /// The statement for the image `digest` of `platform`, built on `host`.
    static func statement(
        release: ReleaseFacts, digest: String, platform: String, windowsVersion: String?, tags: [String],
        dockerfile: String, target: String?, host: BuildHostFacts
    ) -> ProvenanceStatement {
        let hex = digest.hasPrefix("sha256:") ? String(digest.dropFirst(7)) : digest
        let files = release.dockerfiles[dockerfile]
        var dependencies: [ProvenanceStatement.ResourceDescriptor] = []
        if let context = files?.context, context.hasPrefix("sha256:") {
            dependencies.append(.init(uri: nil, name: "context", digest: ["sha256": String(context.dropFirst(7))]))
        }
        if let source = release.gitSource {
            dependencies.append(.init(
                uri: "git+" + source, name: "source", digest: release.gitRevision.map { ["gitCommit": $0] } ?? [:]))
        }
        return ProvenanceStatement(
            subject: [.init(name: release.image, digest: ["sha256": hex])],
            predicate: .init(
                buildDefinition: .init(
                    externalParameters: .init(
                        image: release.image, tags: tags, platform: platform, windowsVersion: windowsVersion,
                        dockerfile: .init(path: dockerfile, digest: files?.dockerfile), target: target,
                        labels: release.labels, buildArgs: release.buildArgs, secretIds: release.secretIDs),
                    internalParameters: .init(
                        host: host.host,
                        builder: .init(
                            kind: host.builderKind, version: host.builderVersion, buildxVersion: host.buildxVersion,
                            buildxDriver: host.buildxDriver),
                        probe: .init(os: host.operatingSystem, architecture: host.architecture,
                                     windowsBuild: host.windowsBuild)),
                    resolvedDependencies: dependencies),
                runDetails: .init(
                    builder: .init(
                        id: CoordinatorIdentity.builderID,
                        version: ["coordinator": CoordinatorIdentity.version, "commit": CoordinatorIdentity.commit]),
                    metadata: .init(
                        invocationId: release.invocationID, startedOn: host.startedOn.formatted(.iso8601),
                        finishedOn: host.finishedOn.formatted(.iso8601)))))
    }
}
