extension Client {
    /// Checks every file of the collection `name` without changing any: the SHA-256 name of
    /// every object, the header and payload of every page, the head commit's structure, and
    /// every write-ahead log as an open reads it (checksums, what it belongs to, the groups
    /// of writes across shards). All problems are collected, not just the first.
    /// - Throws: `.invalidName`, `.unknownCollection`; `.invalidArgument` for an in-memory
    ///   client or a collection this client has open (close the client and verify with a new
    ///   one); `.locked` when another process has it open.
    public func verify(_ name: String) async throws(SemblanceError) -> VerificationReport {
        try CollectionName.validate(name)
        guard let directory else {
            throw SemblanceError(.invalidArgument, "an in-memory collection has no files to verify")
        }
        let path = directory + "/" + name
        guard fs.fileExists(path + "/config.json") else {
            throw SemblanceError(.unknownCollection, "no collection named \(name.debugDescription)")
        }
        guard fs.realPath(path) == path else {
            throw SemblanceError(.invalidName, "is not a plain folder inside \(directory) (a symbolic link)", path: path)
        }
        guard !openCollections.contains(where: { $0.name == name }) else {
            throw SemblanceError(.invalidArgument, "collection \(name.debugDescription) is open in this client; verify it from a new client after closing this one")
        }
        return try await runOnQueue(.global()) { [fs] () throws(SemblanceError) in try CollectionEngine.verify(fs, directory: path) }
    }
}
