import Foundation
import Shared

/// An in-toto statement (v1) carrying a SLSA provenance v1 predicate about one platform image.
///
/// Encoded with ``CanonicalJSON`` (sorted keys), so the same facts always give the same bytes: a resumed
/// platform's statement is read back, never made again.
struct ProvenanceStatement: Codable, Hashable, Sendable {
    /// The statement type.
    static let statementType = "https://in-toto.io/Statement/v1"
    /// The predicate type, also the `in-toto.io/predicate-type` annotation of the attestation layer.
    static let predicateType = "https://slsa.dev/provenance/v1"
    /// coordinator's build type: what `externalParameters` and `internalParameters` mean.
    static let buildType = "https://github.com/coordinator-build/coordinator/provenance/native-ssh@v1"

    var type = Self.statementType
    var subject: [Subject]
    var predicateType = Self.predicateType
    var predicate: Predicate

    enum CodingKeys: String, CodingKey {
        case type = "_type"
        case subject, predicateType, predicate
    }

    /// What the statement is about: the platform image manifest, by digest.
    struct Subject: Codable, Hashable, Sendable {
        var name: String
        var digest: [String: String]
    }

    /// The SLSA v1 provenance predicate.
    struct Predicate: Codable, Hashable, Sendable {
        var buildDefinition: BuildDefinition
        var runDetails: RunDetails
    }

    struct BuildDefinition: Codable, Hashable, Sendable {
        var buildType = ProvenanceStatement.buildType
        var externalParameters: ExternalParameters
        var internalParameters: InternalParameters
        var resolvedDependencies: [ResourceDescriptor]
    }

    /// What the user asked for. Secret ids only: a secret's value is never in a statement.
    struct ExternalParameters: Codable, Hashable, Sendable {
        var image: String
        var tags: [String]
        var platform: String
        var windowsVersion: String?
        var dockerfile: Dockerfile
        var target: String?
        var labels: [String: String]
        var buildArgs: [String: String]
        var secretIds: [String]
    }

    struct Dockerfile: Codable, Hashable, Sendable {
        var path: String
        /// `sha256:...` of its bytes; nil for a git context, whose Dockerfile is read by the host.
        var digest: String?
    }

    /// What coordinator saw of the host that built the image.
    struct InternalParameters: Codable, Hashable, Sendable {
        var host: String
        var builder: Builder
        var probe: Probe
    }

    struct Builder: Codable, Hashable, Sendable {
        var kind: String
        var version: String?
        var buildxVersion: String?
        var buildxDriver: String?
    }

    struct Probe: Codable, Hashable, Sendable {
        var os: String
        var architecture: String
        var windowsBuild: String?
    }

    /// SLSA's ResourceDescriptor (the fields used here).
    struct ResourceDescriptor: Codable, Hashable, Sendable {
        var uri: String?
        var name: String?
        var digest: [String: String]
    }

    struct RunDetails: Codable, Hashable, Sendable {
        var builder: BuilderID
        var metadata: Metadata
    }

    struct BuilderID: Codable, Hashable, Sendable {
        var id: String
        var version: [String: String]?
    }

    struct Metadata: Codable, Hashable, Sendable {
        var invocationId: String
        var startedOn: String
        var finishedOn: String
    }

    /// The canonical bytes (sorted keys) of this statement.
    func encoded() throws -> [UInt8] { try CanonicalJSON.encode(self) }

    /// Just the predicate, as `cosign attest --predicate FILE` takes it.
    func encodedPredicate() throws -> [UInt8] { try CanonicalJSON.encode(predicate) }
}
