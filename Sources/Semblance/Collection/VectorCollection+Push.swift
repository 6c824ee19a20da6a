extension VectorCollection {
    /// Pushes this branch's head commit to `remote`, a database root in object storage
    /// (`SemblanceS3`'s `S3ObjectStore`): uploads the objects of its history that the
    /// remote lacks, then moves the remote branch of the same name with a conditional
    /// write, so that of two writers pushing at once one wins and the other gets
    /// `.pushRejected` with the remote branch unchanged. Writes logged after the head are
    /// not pushed: commit first.
    ///
    /// ```swift
    /// try await docs.commit(message: "nightly import")
    /// let report = try await docs.push(to: bucket)
    /// print("uploaded \(report.uploadedObjects) objects")
    /// ```
    ///
    /// - Parameters:
    ///   - remote: the object store.
    ///   - force: replaces a remote branch that is not an ancestor of the head (without it
    ///     such a push is refused).
    /// - Throws: `.pushRejected` (not a fast-forward; another push won; the remote holds
    ///   another collection under this name); `.invalidArgument` when the branch has no
    ///   commit; the store's errors.
    @discardableResult
    public func push(to remote: any RemoteObjectStore, force: Bool = false) async throws(SemblanceError) -> PushReport {
        guard engine.isPersistent else {
            throw SemblanceError(.invalidArgument, "an in-memory collection has no commits to push")
        }
        guard let head = engine.head else {
            throw SemblanceError(.invalidArgument, "the branch \(engine.branch.debugDescription) has no commit to push: commit first", path: engine.directory)
        }
        return try await RemotePush(files: engine.files, remote: remote, name: name).push(branch: engine.branch, head: head, force: force)
    }
}
