import Foundation
import Synchronization

/// One collection's directory as this process holds it: the lock, the settings, the
/// objects and the refs. Every branch open on the collection in this process shares it;
/// each branch has its own ``CollectionStore``, logs and writer. Opened read-only, it takes
/// no lock and changes no file but its lease; its branches are read by a ``BranchReader``.
///
/// Layout under `directory` (docs/file-format.md):
///
///     LOCK                              exclusive flock while a writer has it open
///     config.json                       id, settings, format version, checksum
///     objects/ab/cdef…                  page objects and commits, named by SHA-256
///     refs/heads/<branch>               each branch's head commit
///     refs/tags/<tag>                   each tag's commit
///     refs/grafts                       where retention cut history
///     gc-pending                        objects a garbage collection marked, waiting out its grace period
///     leases/<id>                       a reader's claim on the commits it serves (``ReaderLease``)
///     wal/<branch>/shard-<n>.log        each shard's log since the branch's head commit
///     wal/<branch>/shard-<n>.next.log   a new log, until its commit is the head
final class CollectionFiles: Sendable {
    let fs: any FileSystem
    let directory: String
    let configuration: StoredConfiguration
    /// Nil for an in-memory collection.
    let lock: DirectoryLock?
    /// False for an in-memory collection: nothing is written.
    let persistent: Bool
    /// Opened by a reader: no lock is held and no file is changed but the reader's lease.
    let readOnly: Bool
    /// A reader's lease on the commits its branches serve; nil for a writer.
    let lease: ReaderLease?
    /// Objects used by commits in progress, kept from a garbage collection.
    let pins = ObjectPins()
    /// The branches open in this process, and the ref changes made through it one at a time.
    private let openBranches = Mutex<[String: WeakEngine]>([:])

    static let mainBranch = "main"

    var objects: ObjectStore { ObjectStore(fs: fs, directory: directory + "/objects", pins: pins) }
    var refs: Refs { Refs(fs: fs, directory: directory + "/refs") }

    private init(fs: any FileSystem, directory: String, configuration: StoredConfiguration, lock: DirectoryLock?, persistent: Bool,
                 lease: ReaderLease? = nil) {
        self.fs = fs
        self.directory = directory
        self.configuration = configuration
        self.lock = lock
        self.persistent = persistent
        self.readOnly = lease != nil
        self.lease = lease
    }

    static func inMemory(_ configuration: CollectionConfiguration) throws(SemblanceError) -> CollectionFiles {
        try configuration.validate()
        return CollectionFiles(fs: PosixFileSystem(), directory: ":memory:", configuration: StoredConfiguration(id: .random(), configuration: configuration),
                               lock: nil, persistent: false)
    }

    static func logFolder(_ directory: String, branch: String) -> String { directory + "/wal/" + branch }

    // MARK: Creating

    /// Creates a new, empty collection in `directory` (created if missing) with an empty
    /// `main` branch. The folders and main's logs are written first and config.json last,
    /// so a folder without config.json holds at most an unfinished create.
    /// - Throws: `.collectionExists` when the folder holds a collection; `.invalidArgument`
    ///   when it holds committed data or a log with records but no config.json (nothing is
    ///   changed: restore config.json or remove the folder).
    static func create(_ fs: any FileSystem, directory: String, configuration: CollectionConfiguration) throws(SemblanceError) -> CollectionFiles {
        try configuration.validate()
        try fs.createDirectoryDurably(directory)
        let lock = DirectoryLock(fs: fs, handle: try fs.lockExclusively(directory + "/LOCK"))
        guard !fs.fileExists(directory + "/config.json") else {
            throw SemblanceError(.collectionExists, "already holds a collection", path: directory)
        }
        try clearUnfinishedCreate(fs, directory)
        let stored = StoredConfiguration(id: .random(), configuration: configuration)
        for folder in ["objects", "refs/heads", "refs/tags", "wal"] { try fs.createDirectory(directory + "/" + folder) }
        for folder in ["/objects", "/refs/heads", "/refs/tags", "/refs", "/wal", ""] { try fs.syncDirectory(directory + folder) }
        let files = CollectionFiles(fs: fs, directory: directory, configuration: stored, lock: lock, persistent: true)
        try files.createLogs(branch: mainBranch, head: nil)
        try fs.writeFileAtomically(directory + "/config.json", try stored.encoded())
        // The collection's entry in its parent: created now or by an interrupted create whose
        // sync may never have happened.
        try fs.syncDirectory(Path.directory(of: directory))
        return files
    }

    /// A folder without config.json may hold what an interrupted create left (folders,
    /// logs without records, temp files): removed. Anything else is refused, untouched.
    private static func clearUnfinishedCreate(_ fs: any FileSystem, _ directory: String) throws(SemblanceError) {
        var leftovers: [String] = []
        func refuse(_ what: String, _ path: String) -> SemblanceError {
            SemblanceError(.invalidArgument,
                "\(what) but no config.json: it is not created over; restore its config.json, or remove the folder", path: path)
        }
        for name in try fs.contentsOfDirectory(directory) {
            let path = directory + "/" + name
            switch name {
            case "LOCK": continue
            case "objects", "refs":
                var pending = [path]
                while let folder = pending.popLast() {
                    for entry in try fs.contentsOfDirectory(folder) {
                        let inner = folder + "/" + entry
                        if fs.kind(inner) == .directory { pending.append(inner) }
                        else if !entry.hasPrefix(".tmp-") { throw refuse("holds committed data", inner) }
                    }
                }
            case "wal":
                var pending = [path]
                while let folder = pending.popLast() {
                    for entry in try fs.contentsOfDirectory(folder) {
                        let inner = folder + "/" + entry
                        if fs.kind(inner) == .directory { pending.append(inner); continue }
                        if entry.hasPrefix(".tmp-") { continue }
                        let bytes = try fs.readFile(inner)
                        let empty = (try? LogReader.decode(bytes, path: inner, maximumDimension: IndexConfiguration.maximumDimension))
                            .map { $0.frames.isEmpty && $0.tornTailBytes == 0 } ?? bytes.isEmpty
                        if !empty { throw refuse("holds a write-ahead log with records", inner) }
                    }
                }
            default:
                // Only a temp file an atomic write left is a leftover (as an open sees it).
                if !(name.hasPrefix(".tmp-") && fs.kind(path) == .file) { throw refuse("holds \(name)", path) }
            }
            leftovers.append(path)
        }
        for path in leftovers { try fs.removeTree(path) }
        if !leftovers.isEmpty { try fs.syncDirectory(directory) }
    }

    // MARK: Opening

    /// Takes the collection's lock and reads its settings; with `readOnly`, only reads the
    /// settings (no lock, no file changed but a lease of `leaseDuration` seconds, so a writer
    /// elsewhere may have it open).
    /// - Throws: `.unknownCollection` without config.json; `.locked` when another process
    ///   has it open for writing; `.corruptFile` or `.unsupportedFormatVersion` naming the file.
    static func open(_ fs: any FileSystem, directory: String, readOnly: Bool = false,
                     leaseDuration: Double = ReaderLease.defaultDuration) throws(SemblanceError) -> CollectionFiles {
        guard fs.fileExists(directory + "/config.json") else {
            throw SemblanceError(.unknownCollection, "holds no collection (no config.json)", path: directory)
        }
        if readOnly {
            let configuration = try StoredConfiguration.decode(try fs.readFile(directory + "/config.json"), path: directory + "/config.json")
            return CollectionFiles(fs: fs, directory: directory, configuration: configuration, lock: nil, persistent: true,
                                   lease: ReaderLease(fs: fs, collection: directory, duration: leaseDuration))
        }
        let lock = DirectoryLock(fs: fs, handle: try fs.lockExclusively(directory + "/LOCK"))
        let configuration = try StoredConfiguration.decode(try fs.readFile(directory + "/config.json"), path: directory + "/config.json")
        try removeTemporaryFiles(fs, directory: directory)
        return CollectionFiles(fs: fs, directory: directory, configuration: configuration, lock: lock, persistent: true)
    }

    /// Removes what interrupted atomic writes left: regular files named `.tmp-*` in the
    /// collection's folders, and folders named `.tmp-*` in `wal/` (a branch's logs being
    /// created). Anything else is left alone.
    private static func removeTemporaryFiles(_ fs: any FileSystem, directory: String) throws(SemblanceError) {
        var folders = [directory, directory + "/refs", directory + "/refs/heads", directory + "/refs/tags", directory + "/objects"]
        if fs.kind(directory + "/wal") == .directory {
            for name in try fs.contentsOfDirectory(directory + "/wal") {
                let path = directory + "/wal/" + name
                guard fs.kind(path) == .directory else { continue }
                if name.hasPrefix(".tmp-") { try fs.removeTree(path) } else { folders.append(path) }
            }
        }
        if fs.kind(directory + "/objects") == .directory {
            folders += try fs.contentsOfDirectory(directory + "/objects").filter { $0.count == 2 }.map { directory + "/objects/" + $0 }
        }
        for folder in folders where fs.kind(folder) == .directory {
            for name in try fs.contentsOfDirectory(folder) where name.hasPrefix(".tmp-") && fs.kind(folder + "/" + name) == .file {
                try fs.remove(folder + "/" + name)
            }
        }
    }

    /// Creates `wal/<branch>/` with an empty log per shard continuing from `head`: written
    /// in a temp folder, then renamed into place, so a branch has all its logs or none.
    /// `head` must be the branch's head (or, for a new branch, what its ref will name).
    func createLogs(branch: String, head: ObjectHash?) throws(SemblanceError) {
        let applied: [UInt64]
        if let head {
            applied = try commit(head).shards.map(\.appliedSequence)
        } else {
            applied = Array(repeating: 0, count: configuration.shardCount)
        }
        let wal = directory + "/wal"
        let temporary = wal + "/.tmp-" + branch + "-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        try fs.createDirectory(temporary)
        let identity = LogIdentity(collectionID: configuration.collectionID, branch: branch)
        for shard in 0..<configuration.shardCount {
            let header = LogFormat.FileHeader(identity: identity, shard: UInt32(shard), baseCommit: head, startSequence: applied[shard] + 1)
            try LogWriter.create(fs, path: temporary + "/shard-\(shard).log", header: header).close()
        }
        try fs.syncDirectory(temporary)
        let folder = Self.logFolder(directory, branch: branch)
        // Logs already there (a branch of that name deleted, or a reset to the head) are
        // moved aside in one rename: from then on the branch has no logs, which an open
        // reads as empty logs continuing from the head.
        var replaced: String?
        if fs.kind(folder) == .directory {
            replaced = wal + "/.tmp-replaced-" + branch + "-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            try fs.rename(folder, to: replaced!)
        }
        try fs.rename(temporary, to: folder)
        try fs.syncDirectory(wal)
        if let replaced { try fs.removeTree(replaced) }
    }

    // MARK: Re-encoding

    /// Rewrites config.json with another encoding and a valid rerankMultiple (atomically)
    /// and answers the collection's files under the new settings; the lock passes to them.
    /// Call it on files just opened, which no branch has used: an open branch's shards
    /// would hold code rows of the old encoding. The pages do not change, since code rows
    /// are derived when a shard is loaded, so the collection opens on either side of the
    /// rename and every commit stays readable.
    func reencoded(_ encoding: VectorEncoding, rerankMultiple: Int) throws(SemblanceError) -> CollectionFiles {
        precondition(persistent, "an in-memory collection has no config.json")
        let settings = configuration.reencoded(encoding, rerankMultiple: rerankMultiple)
        try fs.writeFileAtomically(directory + "/config.json", try settings.encoded())
        return CollectionFiles(fs: fs, directory: directory, configuration: settings, lock: lock, persistent: true)
    }

    // MARK: Commits

    /// The commit object `hash`, checked against its name.
    func commit(_ hash: ObjectHash) throws(SemblanceError) -> CommitObject {
        // Every read of stored history starts with a commit: a lapsed reader's may be gone.
        try lease?.requireLive(directory)
        let objects = objects
        let commit = try CommitObject.decode(try objects.get(hash), file: objects.path(of: hash))
        guard commit.shards.count == configuration.shardCount, commit.configuration.storesSamePages(as: configuration.index) else {
            throw SemblanceError(.corruptFile, "commit does not match config.json (shards or parameters)", path: objects.path(of: hash), offset: 0)
        }
        return commit
    }

    /// The shards of commit `hash`, read from its pages.
    func indexes(of commit: CommitObject) throws(SemblanceError) -> [VectorIndex] {
        let objects = objects
        return try commit.shards.map { (manifest) throws(SemblanceError) in
            try VectorIndex.readPages(manifest, configuration: configuration.index, store: objects)
        }
    }

    // MARK: Branches open in this process

    private final class WeakEngine: @unchecked Sendable {
        // Invariant (why @unchecked): set once under `openBranches`' lock, read under it.
        weak var engine: CollectionEngine?
    }

    /// Records that `branch` is open; false when it already is.
    func register(_ branch: String) -> Bool {
        openBranches.withLock { open in
            guard open[branch.lowercased()] == nil else { return false }
            open[branch.lowercased()] = WeakEngine()
            return true
        }
    }

    /// Remembers the engine of an open branch (for branching from it).
    func attach(_ engine: CollectionEngine) {
        openBranches.withLock { $0[engine.branch.lowercased()]?.engine = engine }
    }

    /// Records that `branch` is closed; returns how many branches are still open.
    @discardableResult
    func unregister(_ branch: String) -> Int {
        openBranches.withLock { open in
            open.removeValue(forKey: branch.lowercased())
            return open.count
        }
    }

    func isOpen(_ branch: String) -> Bool { openBranches.withLock { $0[branch.lowercased()] != nil } }

    func engine(of branch: String) -> CollectionEngine? { openBranches.withLock { $0[branch.lowercased()]?.engine } }

    /// Runs `body` while no other ref change of this process runs.
    func changingRefs<T>(_ body: () throws(SemblanceError) -> T) throws(SemblanceError) -> T {
        try refChanges.withLock { (_) throws(SemblanceError) -> T in try body() }
    }
    private let refChanges = Mutex(())

    /// Runs `body` while no other garbage collection of this collection runs in this process.
    func collectingGarbage<T>(_ body: () throws(SemblanceError) -> T) throws(SemblanceError) -> T {
        try garbageCollection.withLock { (_) throws(SemblanceError) -> T in try body() }
    }
    private let garbageCollection = Mutex(())

    /// The head of `branch` with everything acknowledged on it: its log is committed first
    /// when it holds anything (the branch is opened for that when it is not open here).
    func committedHead(of branch: String) async throws(SemblanceError) -> ObjectHash? {
        if let engine = engine(of: branch) {
            return try await engine.checkpoint(message: "automatic checkpoint", automatic: true, onlyIfChanged: true).0
        }
        let head = try refs.read(.branch, branch)
        let folder = Self.logFolder(directory, branch: branch)
        let names = fs.kind(folder) == .directory ? try fs.contentsOfDirectory(folder) : []
        var empty = true
        for name in names where name.hasSuffix(".log") {
            let file = try fs.open(folder + "/" + name, .read)
            let size = try? fs.size(file)
            fs.close(file)
            if size != Int64(LogFormat.fileHeaderSize) { empty = false }
        }
        if empty && head != nil { return head }
        let engine = try CollectionEngine.open(self, branch: branch)
        do {
            let (hash, _) = try await engine.checkpoint(message: "automatic checkpoint", automatic: true, onlyIfChanged: true)
            await engine.close()
            return hash
        } catch {
            await engine.close()
            throw error
        }
    }
}
