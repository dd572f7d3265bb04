import Shared
import Testing
import Worker

@testable import Coordinator

@Suite("Git contexts: refs resolved to commits")
struct GitRevisionTests {
    static let main = String(repeating: "a", count: 40)
    static let tag = String(repeating: "b", count: 40)
    static let peeled = String(repeating: "c", count: 40)

    @Test func parsesBuildxURLs() {
        let plain = GitContextURL(parsing: "https://example.com/org/repo.git")
        #expect(plain.repository == "https://example.com/org/repo.git" && plain.ref == nil && plain.subdirectory == nil)
        let full = GitContextURL(parsing: "git@example.com:org/repo.git#v1.2:build/docker")
        #expect(full.repository == "git@example.com:org/repo.git")
        #expect(full.ref == "v1.2" && full.subdirectory == "build/docker")
        #expect(full.pinned(to: Self.main).url == "git@example.com:org/repo.git#\(Self.main):build/docker")
        let subdirectoryOnly = GitContextURL(parsing: "https://example.com/r.git#:sub")
        #expect(subdirectoryOnly.ref == nil && subdirectoryOnly.subdirectory == "sub")
        #expect(subdirectoryOnly.url == "https://example.com/r.git#:sub")
    }

    @Test func credentialsNeverReachTheFingerprintText() {
        let url = GitContextURL(parsing: "https://ci-bot:s3cret-token@git.example.com/org/repo.git#main")
        #expect(url.repositoryWithoutCredentials == "https://git.example.com/org/repo.git")
    }

    @Test func picksWhatGitWouldPick() {
        let refs = GitRevision.parse("""
            \(Self.main)\tHEAD
            \(Self.main)\trefs/heads/main
            \(Self.tag)\trefs/tags/v1
            \(Self.peeled)\trefs/tags/v1^{}
            \(Self.tag)\trefs/remotes/origin/main
            not-a-commit\trefs/heads/broken

            """)
        #expect(GitRevision.pick("HEAD", from: refs) == Self.main)
        #expect(GitRevision.pick("main", from: refs) == Self.main)
        // An annotated tag names the commit it points at, not the tag object.
        #expect(GitRevision.pick("v1", from: refs) == Self.peeled)
        #expect(GitRevision.pick("refs/tags/v1", from: refs) == Self.peeled)
        #expect(GitRevision.pick("broken", from: refs) == nil)
        #expect(GitRevision.pick("missing", from: refs) == nil)
    }

    @Test func aCommitIsItsOwnRevision() async throws {
        let result = await GitRevision.resolve(GitContextURL(parsing: "git://127.0.0.1:1/none.git#\(Self.main)"))
        #expect(try result.get() == Self.main)
    }

    @Test func anUnreachableRemoteSaysWhy() async {
        let result = await GitRevision.resolve(GitContextURL(parsing: "git://127.0.0.1:1/none.git#main"))
        guard case .failure(let unresolved) = result else {
            Issue.record("resolved an unreachable remote: \(result)")
            return
        }
        #expect(unresolved.reason.contains("git ls-remote git://127.0.0.1:1/none.git failed"), "\(unresolved)")
    }

    @Test func buildersThatCannotBuildCommits() {
        #expect(BuilderKind.buildx.buildsGitCommits && BuilderKind.docker.buildsGitCommits)
        #expect(!BuilderKind.buildah.buildsGitCommits && !BuilderKind.podman.buildsGitCommits)
    }
}
