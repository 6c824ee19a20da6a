extension SemblanceError {
    /// A write, checkpoint or compaction of a collection whose files were released (a
    /// dropped collection's handle, or one of a closed client).
    static func collectionClosed(_ directory: String) -> SemblanceError {
        SemblanceError(.closed, "the collection is closed", path: directory)
    }

    /// A change asked of a client or collection opened read-only.
    static func readOnly(_ directory: String, _ what: String) -> SemblanceError {
        SemblanceError(.readOnly, "\(what) needs a writer: this is opened read-only", path: directory)
    }

    /// Every write after `cause` failed one: the files may hold changes the memory does not.
    static func storageFailed(_ directory: String, after cause: SemblanceError) -> SemblanceError {
        var error = SemblanceError(.storageUnavailable,
            "an earlier write or checkpoint failed (\(cause.message)); reopen the collection to continue", path: directory)
        error.errno = cause.errno
        return error
    }
}
