/// What `coordinator --version` prints: the version and the commit the binary was built from.
///
/// ``BuildVersion`` is generated before each build by the `VersionStamp` plugin (`Plugins/VersionStamp`):
/// the git tag of the commit built (`git describe --tags --exact-match`), else `0.0.0-dev`, and its
/// abbreviated hash, else `unknown`; `COORDINATOR_VERSION` and `COORDINATOR_COMMIT` in the build's
/// environment override them.
enum CoordinatorVersion {
    /// `coordinator 1.2.0 (commit 1047db3)`.
    static var text: String { "coordinator \(BuildVersion.version) (commit \(BuildVersion.commit))" }
}
