/// How a build script hands its results back within the one command that builds.
extension BuildPlan {
    /// The plan's script, extended so that no command is needed after it: it prints the digest file (if the
    /// plan has one) on standard output after the line `marker`, and, when there is no archive to fetch, removes
    /// the run directory however it ends.
    func scriptHandingBackResults(marker: String, runDirectory: String) -> RemoteScript {
        var script = script
        if let digestFile {
            script.steps.append(.printFile(digestFile, marker: marker))
        }
        if tarball != nil {
            // The run directory outlives the script until the archive is fetched: this file keeps another build's
            // sweep of dead runs' directories (``RemoteScript/Step/makeRunDirectory``) from removing it meanwhile.
            script.steps.append(.writeFile(runDirectory + "/" + RemoteScript.fetchPendingMarker, contents: "1"))
        } else {
            script.removeOnExit.append(runDirectory)
        }
        return script
    }
}
