/// The one read of a changed context that a release makes before it contacts any host.
extension BuildContext {
    /// The hex SHA-256 of this context's archive exactly as it would be shipped, from `cache` when its
    /// fingerprint is known there (no file read), else by producing the archive once.
    ///
    /// That same read hashes every regular file on its own too, and the context's ``ContextManifest`` goes to
    /// `manifests`: a POSIX host's incremental sync then needs no second read to name the files' store objects
    /// (the host checks each new content it receives against that manifest's digests). Its tree digest
    /// goes to `cache` (``ContextManifest/cacheKey(fingerprint:)``). With no
    /// `manifests` (no POSIX host will receive the context), the files are not hashed on their own.
    public func contentDigest(cache: ContextDigestCache, manifests: ContextManifests? = .shared) async throws
        -> String
    {
        if let known = await cache.digest(for: fingerprint) {
            return known.digest
        }
        let archive = archive(recordingFileDigests: manifests != nil)
        for try await _ in archive {}
        guard let digest = archive.summary.digest else {
            throw ContextReadError(path: root, operation: "archive", reason: "the archive ended without a digest")
        }
        await cache.record(fingerprint: fingerprint, digest: digest, bytes: archive.summary.bytes, read: true)
        if let manifests, let fileDigests = archive.summary.fileDigests {
            let manifest = ContextManifest(self, fileDigests: fileDigests)
            await manifests.remember(manifest, for: self)
            // The tree digest a POSIX host publishes this context under: with it, the build's own probe asks the
            // host whether it has the context, so an unchanged context costs no upload command and no file list
            // even in a process that never shipped it (a fresh CI runner, whose digest cache is empty).
            await cache.record(
                fingerprint: ContextManifest.cacheKey(fingerprint: fingerprint), digest: manifest.digest,
                bytes: manifest.fileBytes, read: true)
        }
        return digest
    }
}
