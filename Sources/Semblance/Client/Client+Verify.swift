extension Client {
    /// Checks every file of the collection `name` without changing any: the SHA-256 name of
    /// every object, the header and payload of every page, every commit of every branch and
    /// tag (through the grafts where retention cut history), each branch head's structure,
    /// and every branch's write-ahead log as an open reads it (checksums, what it belongs to,
    /// the groups of writes across shards). All problems are collected, not just the first.
    /// On a directory it takes no lock, so it works while the collection is open, here or elsewhere.
    ///
    /// A client of object storage checks the remote collection: it reads the remote's refs
    /// and grafts, downloads every object the remote has (each checked against its hash,
    /// whatever its cache holds; the cache gets those it lacks), and walks them as above;
    /// problems name the remote keys. There are no logs to check there.
    /// - Throws: `.invalidName`, `.unknownCollection`; `.invalidArgument` for an in-memory
    ///   client; a remote store's errors.
    public func verify(_ name: String) async throws(SemblanceError) -> VerificationReport {
        if let mirror = try mirror(name) {
            try CollectionName.validate(name)
            return try await mirror.verify()
        }
        guard let directory else {
            try CollectionName.validate(name)
            throw SemblanceError(.invalidArgument, "an in-memory collection has no files to verify")
        }
        return try await Self.verify(name, root: directory, fs: fs)
    }

    /// Checks the collection `name` in `directory` without opening a client: no lock is
    /// taken and nothing is changed, so it runs while another process writes to it.
    public static func verify(_ name: String, in directory: String) async throws(SemblanceError) -> VerificationReport {
        let fs = PosixFileSystem()
        guard let root = fs.realPath(directory) else {
            try CollectionName.validate(name)
            throw SemblanceError(.unknownCollection, "no Semblance data directory", path: directory)
        }
        return try await verify(name, root: root, fs: fs)
    }

    /// `name` in the resolved directory `root`, after checking it names a plain folder there.
    private static func verify(_ name: String, root: String, fs: any FileSystem) async throws(SemblanceError) -> VerificationReport {
        try CollectionName.validate(name)
        let path = root + "/" + name
        guard fs.fileExists(path + "/config.json") else {
            throw SemblanceError(.unknownCollection, "no collection named \(name.debugDescription) in \(root)")
        }
        guard fs.realPath(path) == path else {
            throw SemblanceError(.invalidName, "is not a plain folder inside \(root) (a symbolic link)", path: path)
        }
        return try await runOnQueue(.global()) { () throws(SemblanceError) in try CollectionEngine.verify(fs, directory: path) }
    }
}
