import Foundation

/// What a mirror's sync downloaded.
struct MirrorReport: Sendable {
    var downloadedObjects = 0
    var downloadedBytes: Int64 = 0
}

/// One collection of a database root in object storage, mirrored into a local folder that
/// reads as a collection without logs: `config.json`, the objects, the branch refs and the
/// grafts, as pushed. Objects are content-addressed, so what the folder holds never goes
/// stale; every downloaded object is checked against its hash before it is renamed into
/// place, and a ref is written only once everything it needs is there (a branch's: its
/// history's commits and its head's pages; a tag's: its commit). A reader then opens the
/// folder as it opens a writer's (``BranchReader``, head only).
///
/// Several processes may share the folder. A branch's ref (and the grafts) are written
/// holding a lock file beside the folder (`.<name>.sync-lock`), and only while the remote
/// still names that head: so of the syncs sharing a folder, the one that read the remote
/// last writes last, and a ref never goes back to a head older than another process wrote.
/// Downloads take no lock (each object is renamed into place whole).
struct RemoteMirror: Sendable {
    let remote: any RemoteObjectStore
    let fs: any FileSystem
    /// The collection's name: its folder in the remote.
    let name: String
    /// The local folder.
    let directory: String

    /// Downloads at once.
    static let concurrentDownloads = 8
    /// How long a sync waits for another process's sync of the same folder.
    static let lockWait: Duration = .seconds(120)
    /// Syncs of a branch that the remote moves past, one after another, before giving up.
    static let syncAttempts = 10

    var remoteRoot: String { name + "/" }

    /// Brings `config.json` into the folder when it lacks it. When the folder holds another
    /// collection's (dropped and created again remotely), it starts over if `opening`, and
    /// else throws `.unknownCollection`, as a reader of a directory does.
    /// - Throws: `.unknownCollection` when the remote has no collection of this name.
    func syncConfiguration(opening: Bool = true) async throws(SemblanceError) {
        let key = remoteRoot + "config.json"
        guard let object = try await remote.get(key) else {
            throw SemblanceError(.unknownCollection, "no collection named \(name.debugDescription) in \(remote.location)")
        }
        let remoteID = try StoredConfiguration.decode(object.bytes, path: remote.location + "/" + key).collectionID
        let local = directory + "/config.json"
        func holdsRemote() throws(SemblanceError) -> Bool {
            guard fs.kind(local) == .file else { return false }
            if try StoredConfiguration.decode(try fs.readFile(local), path: local).collectionID == remoteID { return true }
            guard opening else {
                throw SemblanceError(.unknownCollection, "the collection was dropped and another created under its name in \(remote.location): "
                    + "close this handle and open the collection again", path: directory)
            }
            return false
        }
        if try holdsRemote() { return }
        try await exclusively { () throws(SemblanceError) in
            // Again under the lock: another process may have done it meanwhile.
            if try holdsRemote() { return }
            // Another collection under the name now (or none yet): start the folder over.
            if fs.kind(directory) != nil { try fs.removeTree(directory) }
            for folder in ["objects", "refs/heads", "refs/tags"] { try fs.createDirectory(directory + "/" + folder) }
            try fs.writeFileAtomically(local, object.bytes)
        }
    }

    /// Brings the branch's head commit, every commit of its history and the head's pages
    /// into the folder, then its ref. Returns what was downloaded. When `opening`, the
    /// remote's tags come too, each with its commit.
    /// - Throws: `.unknownRef` when the remote has no such branch (but `main`, which may
    ///   have no commit yet); `.corruptFile` naming the remote object when its bytes do
    ///   not match its hash after every try; the store's errors.
    @discardableResult
    func sync(branch: String, opening: Bool = true) async throws(SemblanceError) -> MirrorReport {
        try await syncConfiguration(opening: opening)
        var report = opening ? try await syncTags() : MirrorReport()
        for _ in 0..<Self.syncAttempts {
            guard let head = try await remoteHead(branch) else { return report }
            if try refs.read(.branch, branch) == head { return report }
            let grafts = try await remote.get(remoteRoot + "refs/grafts")
            try await fetchHistory(of: head, grafts: grafts, into: &report)
            let written = try await exclusively { () async throws(SemblanceError) -> Bool in
                guard try await remoteHead(branch) == head else { return false }  // moved on: sync again
                let local = HistoryGrafts.path(directory)
                if let grafts {
                    try fs.writeFileAtomically(local, grafts.bytes)
                } else if fs.kind(local) == .file {
                    try fs.remove(local)
                }
                try refs.write(.branch, branch, head)
                return true
            }
            if written { return report }
        }
        throw SemblanceError(.storageUnavailable, "the remote branch \(branch.debugDescription) moved during each of \(Self.syncAttempts) syncs; try again",
                             path: remote.location + "/" + remoteRoot + "refs/heads/" + branch)
    }

    /// The commit the remote branch names; nil for `main` without a commit.
    /// - Throws: `.unknownRef` for another branch the remote lacks.
    private func remoteHead(_ branch: String) async throws(SemblanceError) -> ObjectHash? {
        let key = remoteRoot + "refs/heads/" + branch
        guard let object = try await remote.get(key) else {
            guard branch == CollectionFiles.mainBranch else {
                throw SemblanceError(.unknownRef, "collection has no branch named \(branch.debugDescription)", path: remote.location + "/" + remoteRoot)
            }
            return nil
        }
        guard let head = RemotePush.refHash(object.bytes) else {
            throw SemblanceError(.corruptFile, "not a commit hash and a newline", path: remote.location + "/" + key)
        }
        return head
    }

    /// Brings `head`, every commit of its history (through `grafts`, the remote's) and the
    /// head's pages into the folder.
    private func fetchHistory(of head: ObjectHash, grafts object: RemoteObject?, into report: inout MirrorReport) async throws(SemblanceError) {
        let grafts = try object.map { (object) throws(SemblanceError) in
            try HistoryGrafts.decode(object.bytes, path: remote.location + "/" + remoteRoot + "refs/grafts")
        } ?? HistoryGrafts()
        var pending = [head]
        var seen: Set<ObjectHash> = [head]
        var headCommit: CommitObject?
        while let hash = pending.popLast() {
            // A parent the remote no longer has was pruned by its garbage collection
            // without a graft yet: history stops there. The head must be there.
            if fs.kind(objectPath(hash)) != .file {
                guard let size = try await download(hash, required: hash == head) else { continue }
                report.downloadedObjects += 1
                report.downloadedBytes += size
            }
            let path = objectPath(hash)
            let commit = try CommitObject.decode(try fs.readFile(path), file: path)
            if hash == head { headCommit = commit }
            for parent in grafts.parents[hash] ?? commit.parents where seen.insert(parent).inserted { pending.append(parent) }
        }
        if let headCommit { try await fetch(headCommit.shards.flatMap(\.allObjects), into: &report) }
    }

    /// The remote's tags, each written here once its commit is (its pages come when it is
    /// read); the tags the remote no longer has are removed here. A tag whose ref or commit
    /// is damaged is left out (reading it names the damage), so that it cannot keep a
    /// branch from opening.
    private func syncTags() async throws(SemblanceError) -> MirrorReport {
        var report = MirrorReport()
        let prefix = remoteRoot + "refs/tags/"
        var names = Set<String>()
        for listing in try await remote.list(prefix: prefix) {
            let name = String(listing.key.dropFirst(prefix.count))
            guard (try? RefName.validate(name, kind: .tag)) != nil, let object = try await remote.get(listing.key) else { continue }
            do throws(SemblanceError) {
                if let size = try await write(tag: name, object) {
                    report.downloadedObjects += 1
                    report.downloadedBytes += size
                }
                names.insert(name)
            } catch where error.code == .corruptFile {
                continue
            }
        }
        for name in try refs.names(.tag) where !names.contains(name) { try refs.remove(.tag, name) }
        return report
    }

    /// Reads the tag `name` from the remote again (a forced push may have moved it) and
    /// writes it here, or removes it here when the remote has none: for a replica resolving
    /// a tag. Does nothing for a name that is not a tag's.
    func refreshTag(_ name: String) async throws(SemblanceError) {
        guard (try? RefName.validate(name, kind: .tag)) != nil else { return }
        try await syncConfiguration(opening: false)
        if let object = try await remote.get(remoteRoot + "refs/tags/" + name) {
            try await write(tag: name, object)
        } else if try refs.read(.tag, name) != nil {
            try refs.remove(.tag, name)
        }
    }

    /// Writes the tag `name` here from its remote ref `object`, after its commit; the
    /// commit's size when it was downloaded.
    @discardableResult
    private func write(tag name: String, _ object: RemoteObject) async throws(SemblanceError) -> Int64? {
        guard let commit = RemotePush.refHash(object.bytes) else {
            throw SemblanceError(.corruptFile, "not a commit hash and a newline", path: remote.location + "/" + remoteRoot + "refs/tags/" + name)
        }
        if try refs.read(.tag, name) == commit { return nil }
        let size = fs.kind(objectPath(commit)) == .file ? nil : try await download(commit)
        try refs.write(.tag, name, commit)
        return size
    }

    private var refs: Refs { Refs(fs: fs, directory: directory + "/refs") }

    /// Brings the pages of `commit` (already in the folder) into it: for reading a commit
    /// other than a head.
    func fetchPages(of commit: ObjectHash) async throws(SemblanceError) -> MirrorReport {
        var report = MirrorReport()
        let path = objectPath(commit)
        try await fetch([commit], into: &report)
        try await fetch(try CommitObject.decode(try fs.readFile(path), file: path).shards.flatMap(\.allObjects), into: &report)
        return report
    }

    /// Runs `body` holding the folder's sync lock, waiting up to ``lockWait`` for another
    /// process's (which holds it only to write refs). The lock file is beside the folder,
    /// which a sync may start over.
    private func exclusively<T>(_ body: () async throws(SemblanceError) -> T) async throws(SemblanceError) -> T {
        let lockPath = Path.directory(of: directory) + "/." + name + ".sync-lock"
        let deadline = ContinuousClock.now + Self.lockWait
        var handle: FileHandleID
        while true {
            do throws(SemblanceError) {
                handle = try fs.lockExclusively(lockPath)
                break
            } catch where error.code == .locked {
                guard ContinuousClock.now < deadline, !Task.isCancelled else {
                    throw SemblanceError(.locked, Task.isCancelled ? "cancelled while another process was updating this replica's cache of \(name.debugDescription)"
                        : "another process has held this replica's cache of \(name.debugDescription) for over \(Self.lockWait.components.seconds) s (is it stopped?)",
                        path: lockPath)
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        defer { fs.close(handle) }
        return try await body()
    }

    /// The folder's objects.
    var objects: ObjectStore { ObjectStore(fs: fs, directory: directory + "/objects") }

    func objectPath(_ hash: ObjectHash) -> String { objects.path(of: hash) }

    /// Downloads the objects of `hashes` that the folder lacks, several at a time.
    private func fetch(_ hashes: [ObjectHash], into report: inout MirrorReport) async throws(SemblanceError) {
        let missing = Array(Set(hashes.filter { fs.kind(objectPath($0)) != .file }))
        let mirror = self
        let sizes = try await RemoteObjects.concurrently(missing, limit: Self.concurrentDownloads, location: remote.location) { (hash) throws(SemblanceError) in
            try await mirror.download(hash) ?? 0
        }
        report.downloadedObjects += sizes.count
        report.downloadedBytes += sizes.reduce(0, +)
    }

    /// One object, checked against its hash, renamed into place in `store` (by default the
    /// folder's objects); its size, or nil when the remote lacks it and it is not `required`.
    func download(_ hash: ObjectHash, required: Bool = true, into store: ObjectStore? = nil) async throws(SemblanceError) -> Int64? {
        guard let bytes = try await RemoteObjects.download(hash, root: remoteRoot, from: remote) else {
            if !required { return nil }
            throw SemblanceError(.corruptFile, "missing object (page or commit \(hash)) that a commit names",
                                 path: remote.location + "/" + RemoteObjects.key(hash, root: remoteRoot))
        }
        let path = (store ?? objects).path(of: hash)
        try fs.createDirectory(Path.directory(of: path))
        try fs.writeFileAtomically(path, bytes)
        return Int64(bytes.count)
    }
}
