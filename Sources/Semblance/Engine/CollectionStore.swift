import Foundation

/// What a checkpoint did.
public struct CheckpointResult: Sendable, Equatable {
    /// The new head commit.
    public var commit: String
    /// Page objects the commit names, and bytes they hold.
    public var objects: Int
    public var bytes: Int
    /// The objects and bytes this checkpoint wrote (the rest were already stored).
    public var objectsWritten: Int
    public var bytesWritten: Int
}

/// One collection's directory: its configuration, lock, commits and head. It creates and
/// opens collections, handing each shard's index and log (a ``ShardStore``) to the shard's
/// actor; from then on the ``CollectionWriter`` uses it to write commits and move the head.
///
/// Layout under `directory` (docs/file-format.md):
///
///     LOCK                          exclusive flock while open
///     config.json                   id, settings, format version, checksum
///     objects/ab/cdef…              page objects and commits, named by SHA-256
///     refs/heads/main               the head commit's hash
///     wal/main/shard-<n>.log        each shard's log since the head commit
///     wal/main/shard-<n>.next.log   a checkpoint's new log, until its commit is the head
///
/// Opening reads and checks everything (configuration, head commit, pages, every log and
/// what it belongs to) before it changes any file, and it changes only what it fully
/// accounts for: a torn log tail, the frames of a group of writes that did not reach every
/// shard it spans, the logs an interrupted checkpoint left, temp files.
final class CollectionStore {
    let fs: any FileSystem
    let directory: String
    let configuration: StoredConfiguration
    private(set) var head: ObjectHash?
    /// Commit objects known to be durable.
    private var durableCommits = Set<ObjectHash>()
    private let lock: DirectoryLock?
    /// False for an in-memory collection: nothing is logged, checkpoints are refused.
    let persistent: Bool

    static let branch = "main"

    var identity: LogIdentity { LogIdentity(collectionID: configuration.collectionID, branch: Self.branch) }
    var objects: ObjectStore { ObjectStore(fs: fs, directory: directory + "/objects") }
    var refs: Refs { Refs(fs: fs, directory: directory + "/refs") }
    static func logPath(_ directory: String, shard: Int) -> String { directory + "/wal/\(branch)/shard-\(shard).log" }
    static func nextLogPath(_ directory: String, shard: Int) -> String { directory + "/wal/\(branch)/shard-\(shard).next.log" }

    /// A collection ready to be handed to its actors.
    struct Opened {
        let store: CollectionStore
        let shards: [ShardStore]
        /// The number the next group of writes gets (one above the last in the logs).
        let nextGroup: UInt64
        /// Bytes of torn log tails dropped while opening.
        let droppedTornBytes: Int64
        /// Frames dropped while opening because their group did not reach every shard it
        /// spans (a batch cut by a crash: it was never acknowledged).
        let droppedFrames: Int
    }

    private init(fs: any FileSystem, directory: String, configuration: StoredConfiguration, head: ObjectHash?,
                 lock: DirectoryLock?, persistent: Bool) {
        self.fs = fs
        self.directory = directory
        self.configuration = configuration
        self.head = head
        self.lock = lock
        self.persistent = persistent
        if let head { durableCommits.insert(head) }
    }

    /// A collection that lives in memory only: the same checks and operations, no files.
    static func inMemory(_ configuration: CollectionConfiguration) throws(SemblanceError) -> Opened {
        try configuration.validate()
        let stored = StoredConfiguration(id: .random(), configuration: configuration)
        let store = CollectionStore(fs: PosixFileSystem(), directory: ":memory:", configuration: stored, head: nil,
                                    lock: nil, persistent: false)
        let shards = try (0..<configuration.shardCount).map { (shard) throws(SemblanceError) in
            ShardStore(shard: shard, index: try VectorIndex(stored.index), log: nil, fs: store.fs, identity: store.identity,
                       directory: store.directory, lock: nil)
        }
        return Opened(store: store, shards: shards, nextGroup: 1, droppedTornBytes: 0, droppedFrames: 0)
    }

    // MARK: Creating

    /// Creates a new, empty collection in `directory` (created if missing). The logs are
    /// written first and config.json last, so a folder without config.json holds at most
    /// an unfinished create.
    /// - Throws: `.collectionExists` when the folder holds a collection; `.invalidArgument`
    ///   when it holds committed data or a log with records but no config.json (nothing is
    ///   changed: restore config.json or remove the folder).
    static func create(_ fs: any FileSystem, directory: String, configuration: CollectionConfiguration) throws(SemblanceError) -> Opened {
        try configuration.validate()
        try fs.createDirectoryDurably(directory)
        let lockHandle = try fs.lockExclusively(directory + "/LOCK")
        let lock = DirectoryLock(fs: fs, handle: lockHandle)
        guard !fs.fileExists(directory + "/config.json") else {
            throw SemblanceError(.collectionExists, "already holds a collection", path: directory)
        }
        try clearUnfinishedCreate(fs, directory)
        let stored = StoredConfiguration(id: .random(), configuration: configuration)
        for folder in ["objects", "refs/heads", "wal/\(branch)"] { try fs.createDirectory(directory + "/" + folder) }
        for folder in ["/objects", "/refs/heads", "/refs", "/wal/\(branch)", "/wal", ""] { try fs.syncDirectory(directory + folder) }
        let store = CollectionStore(fs: fs, directory: directory, configuration: stored, head: nil, lock: lock, persistent: true)
        var shards: [ShardStore] = []
        for shard in 0..<configuration.shardCount {
            let header = LogFormat.FileHeader(identity: store.identity, shard: UInt32(shard), baseCommit: nil, startSequence: 1)
            let log = try LogWriter.create(fs, path: logPath(directory, shard: shard), header: header)
            shards.append(ShardStore(shard: shard, index: try VectorIndex(stored.index), log: log, fs: fs, identity: store.identity,
                                     directory: directory, lock: lock))
        }
        try fs.writeFileAtomically(directory + "/config.json", try stored.encoded())
        // The collection's entry in its parent: created now or by an interrupted create whose
        // sync may never have happened.
        try fs.syncDirectory(Path.directory(of: directory))
        return Opened(store: store, shards: shards, nextGroup: 1, droppedTornBytes: 0, droppedFrames: 0)
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

    /// Opens the collection in `directory`: the head commit's pages, then each log's groups
    /// of writes that reached every shard they span.
    /// - Throws: `.unknownCollection` without config.json; `.locked` when another process
    ///   has it open; `.corruptFile` or `.unsupportedFormatVersion` naming the file.
    static func open(_ fs: any FileSystem, directory: String) throws(SemblanceError) -> Opened {
        guard fs.fileExists(directory + "/config.json") else {
            throw SemblanceError(.unknownCollection, "holds no collection (no config.json)", path: directory)
        }
        let lock = DirectoryLock(fs: fs, handle: try fs.lockExclusively(directory + "/LOCK"))
        let configuration = try StoredConfiguration.decode(try fs.readFile(directory + "/config.json"), path: directory + "/config.json")
        let store = CollectionStore(fs: fs, directory: directory, configuration: configuration,
                                    head: try Refs(fs: fs, directory: directory + "/refs").head(branch), lock: lock, persistent: true)
        var indexes: [VectorIndex]
        var applied: [UInt64]
        var headCommit: CommitObject?
        if let head = store.head {
            let path = store.objects.path(of: head)
            let commit = try CommitObject.decode(try store.objects.get(head), file: path)
            guard commit.shards.count == configuration.shardCount, commit.configuration == configuration.index else {
                throw SemblanceError(.corruptFile, "commit does not match config.json (shards or parameters)", path: path, offset: 0)
            }
            indexes = try commit.shards.map { (manifest) throws(SemblanceError) in
                try VectorIndex.readPages(manifest, configuration: configuration.index, store: store.objects)
            }
            applied = commit.shards.map(\.appliedSequence)
            headCommit = commit
        } else {
            indexes = try (0..<configuration.shardCount).map { (_) throws(SemblanceError) in try VectorIndex(configuration.index) }
            applied = Array(repeating: 0, count: configuration.shardCount)
        }
        var plans: [LogPlan] = []
        for shard in 0..<configuration.shardCount {
            plans.append(try planLog(fs, directory: directory, configuration: configuration, head: store.head, headCommit: headCommit,
                                     shard: shard, applied: applied[shard]))
        }
        let kept = try keptFrames(plans, shardCount: configuration.shardCount, durability: configuration.durability)
        try replay(plans, kept: kept, into: &indexes)

        // Everything is read and checked: only now are files changed.
        try removeTemporaryFiles(fs, directory: directory)
        var renamed = false
        for (shard, plan) in plans.enumerated() {
            if let stale = plan.staleNextLog { try fs.remove(stale); renamed = true }
            if plan.path != logPath(directory, shard: shard) {
                try fs.rename(plan.path, to: logPath(directory, shard: shard))
                renamed = true
            }
        }
        if renamed { try fs.syncDirectory(directory + "/wal/\(branch)") }
        var shards: [ShardStore] = []
        var nextGroup: UInt64 = 1
        var torn: Int64 = 0
        var dropped = 0
        for (shard, plan) in plans.enumerated() {
            let path = logPath(directory, shard: shard)
            let log = try LogWriter.open(fs, path: path, after: plan.contents, keptFrames: kept[shard])
            let store = ShardStore(shard: shard, index: indexes[shard], log: log, fs: fs, identity: store.identity,
                                   directory: directory, lock: lock)
            if let manifest = headCommit?.shards[shard] { store.trustDurable(manifest.allObjects) }
            shards.append(store)
            if let last = plan.contents.frames.prefix(kept[shard]).last { nextGroup = max(nextGroup, last.group.number + 1) }
            torn += plan.contents.tornTailBytes
            dropped += plan.contents.frames.count - kept[shard]
        }
        return Opened(store: store, shards: shards, nextGroup: nextGroup, droppedTornBytes: torn, droppedFrames: dropped)
    }

    /// Which log file holds a shard's records since the head, after checking that it
    /// belongs to this collection, branch and shard and continues from the head commit.
    struct LogPlan {
        var path: String
        var contents: LogContents
        /// An interrupted checkpoint's new log whose commit never became the head: empty, removed.
        var staleNextLog: String?
    }

    private static func readLog(_ fs: any FileSystem, _ path: String, shard: Int, configuration: StoredConfiguration) throws(SemblanceError) -> LogContents {
        let contents = try LogReader.read(fs, path: path, maximumDimension: configuration.index.dimension)
        let header = contents.header
        guard header.identity.collectionID == configuration.collectionID else {
            throw SemblanceError(.corruptFile,
                "the log belongs to collection \(header.identity.collectionID), not to this one (\(configuration.collectionID), config.json): a log copied from another collection",
                path: path, offset: 24)
        }
        guard header.identity.branch == branch else {
            throw SemblanceError(.corruptFile, "the log belongs to branch \(header.identity.branch.debugDescription), not \(branch.debugDescription)",
                                 path: path, offset: 72)
        }
        guard header.shard == UInt32(shard) else {
            throw SemblanceError(.corruptFile, "the log of shard \(header.shard) is in the place of shard \(shard)'s", path: path, offset: 12)
        }
        for frame in contents.frames {
            for (i, record) in frame.records.enumerated() {
                guard let vector = record.vector else { continue }
                if vector.count != configuration.index.dimension {
                    throw SemblanceError(.corruptFile,
                        "record \(frame.firstSequence + UInt64(i)) has \(vector.count) components, the collection's dimension is \(configuration.index.dimension)",
                        path: path, offset: Int(frame.start))
                }
                if let bad = vector.firstIndex(where: { !$0.isFinite }) {
                    throw SemblanceError(.corruptFile, "record \(frame.firstSequence + UInt64(i)) has the non-finite component \(vector[bad]) at index \(bad)",
                                         path: path, offset: Int(frame.start))
                }
            }
        }
        return contents
    }

    /// The log of `shard` to open (see ``LogPlan``), checked; reads only. Verification uses
    /// it too, so that `verify` and an open judge logs alike.
    static func planLog(_ fs: any FileSystem, directory: String, configuration: StoredConfiguration, head: ObjectHash?,
                        headCommit: CommitObject?, shard: Int, applied: UInt64) throws(SemblanceError) -> LogPlan {
        func readLog(_ path: String) throws(SemblanceError) -> LogContents {
            try Self.readLog(fs, path, shard: shard, configuration: configuration)
        }
        let objects = ObjectStore(fs: fs, directory: directory + "/objects")
        let current = logPath(directory, shard: shard)
        let next = nextLogPath(directory, shard: shard)
        var plan: LogPlan
        if fs.fileExists(next) {
            let nextLog = try readLog(next)
            if let head, nextLog.header.baseCommit == head {
                // The checkpoint's ref moved, the rename of its new log did not happen: the
                // old log is replaced, and must hold nothing the head does not.
                if fs.fileExists(current) {
                    let old = try readLog(current)
                    guard old.header.baseCommit == headCommit?.parents.first, old.nextSequence - 1 <= applied else {
                        throw SemblanceError(.corruptFile,
                            "the log continues from commit \(old.header.baseCommit?.hex ?? "none") up to sequence \(old.nextSequence - 1), which the head commit \(head.hex) does not cover, and a checkpoint's new log \(next) replaces it",
                            path: current, offset: 40)
                    }
                }
                plan = LogPlan(path: next, contents: nextLog)
            } else {
                // A checkpoint that failed before its ref moved: its new log must be empty and
                // follow a commit whose parent is the head.
                let baseCommit = nextLog.header.baseCommit.flatMap { try? CommitObject.decode(try objects.get($0), file: objects.path(of: $0)) }
                guard nextLog.frames.isEmpty, nextLog.tornTailBytes == 0, let baseCommit, baseCommit.parents == (head.map { [$0] } ?? []) else {
                    throw SemblanceError(.corruptFile,
                        "a checkpoint's new log that neither follows the head commit nor is an empty leftover of an unfinished checkpoint",
                        path: next, offset: 40)
                }
                guard fs.fileExists(current) else {
                    throw SemblanceError(.corruptFile, "the write-ahead log of shard \(shard) is missing", path: current, offset: 0)
                }
                plan = LogPlan(path: current, contents: try readLog(current), staleNextLog: next)
            }
        } else {
            guard fs.fileExists(current) else {
                throw SemblanceError(.corruptFile, "the write-ahead log of shard \(shard) is missing", path: current, offset: 0)
            }
            plan = LogPlan(path: current, contents: try readLog(current))
        }
        let header = plan.contents.header
        guard header.baseCommit == head else {
            throw SemblanceError(.corruptFile,
                "the log continues from commit \(header.baseCommit?.hex ?? "none (a new collection)"), but the head commit is \(head?.hex ?? "none"): it is not this shard's current log (an older or copied one?)",
                path: plan.path, offset: 40)
        }
        guard header.startSequence == applied + 1 else {
            throw SemblanceError(.corruptFile,
                "the log starts at sequence \(header.startSequence), but the head commit's shard \(shard) ends at \(applied)",
                path: plan.path, offset: 16)
        }
        return plan
    }

    /// How many frames of each log to keep: those of every group below the first group that
    /// did not reach every shard it spans. Such a group was never acknowledged (its writers
    /// are answered only when every shard's part is durable), so dropping it and what
    /// follows keeps every batch whole, across shards too.
    ///
    /// Under `.durable` only the last group can be unfinished: the writer takes no group
    /// before the last one is durable everywhere, and none after a failure. A frame of a
    /// later group means a log lost frames that were durable (an older copy put back, or
    /// damage): `.corruptFile` naming the log that lacks its part, and nothing is cut. Under
    /// `.periodic` and `.none` a power loss may take a shard's unsynced tail while another
    /// shard kept later groups: those are cut.
    static func keptFrames(_ plans: [LogPlan], shardCount: Int, durability: Durability) throws(SemblanceError) -> [Int] {
        var participants: [UInt64: ShardSet] = [:]
        var present: [UInt64: ShardSet] = [:]
        for (shard, plan) in plans.enumerated() {
            var previous: UInt64?
            for frame in plan.contents.frames {
                let group = frame.group
                if let previous, group.number <= previous {
                    throw SemblanceError(.corruptFile, "frame of group \(group.number) follows group \(previous): groups must increase",
                                         path: plan.path, offset: Int(frame.start) + 32)
                }
                previous = group.number
                if let beyond = group.participants.first(where: { $0 >= shardCount }) {
                    throw SemblanceError(.corruptFile, "frame of group \(group.number) names shard \(beyond) of a collection with \(shardCount)",
                                         path: plan.path, offset: Int(frame.start) + 40)
                }
                if let known = participants[group.number], known != group.participants {
                    throw SemblanceError(.corruptFile, "frame of group \(group.number) names other shards than another shard's frame of the same group",
                                         path: plan.path, offset: Int(frame.start) + 40)
                }
                participants[group.number] = group.participants
                present[group.number, default: ShardSet()].insert(shard)
            }
        }
        let cut = participants.filter { number, shards in shards != present[number] }.keys.min()
        if let cut, durability == .durable, let later = participants.keys.filter({ $0 > cut }).min(),
           let lacking = participants[cut]!.first(where: { !present[cut]!.contains($0) }) {
            throw SemblanceError(.corruptFile,
                "the log has no part of group \(cut), which other shards logged before group \(later): frames that were durable are missing (an older copy of the log, or damage)",
                path: plans[lacking].path)
        }
        return plans.map { plan in
            guard let cut else { return plan.contents.frames.count }
            return plan.contents.frames.prefix { $0.group.number < cut }.count
        }
    }

    /// Applies the kept frames of each shard's log to its index, in order.
    static func replay(_ plans: [LogPlan], kept: [Int], into indexes: inout [VectorIndex]) throws(SemblanceError) {
        for (shard, plan) in plans.enumerated() {
            for frame in plan.contents.frames.prefix(kept[shard]) {
                for (i, record) in frame.records.enumerated() {
                    do {
                        try ShardStore.replay(record, to: &indexes[shard])
                    } catch {
                        throw SemblanceError(.corruptFile, "record \(frame.firstSequence + UInt64(i)) cannot be applied (\(error.message))",
                                             path: plan.path, offset: Int(frame.start))
                    }
                }
            }
        }
    }

    /// Removes the temp files an interrupted atomic write left behind. Only regular files
    /// named `.tmp-*` are such leftovers; anything else is left alone.
    private static func removeTemporaryFiles(_ fs: any FileSystem, directory: String) throws(SemblanceError) {
        var folders = [directory, directory + "/refs/heads", directory + "/wal/\(branch)", directory + "/objects"]
        if fs.kind(directory + "/objects") == .directory {
            folders += try fs.contentsOfDirectory(directory + "/objects").filter { $0.count == 2 }.map { directory + "/objects/" + $0 }
        }
        for folder in folders where fs.kind(folder) == .directory {
            for name in try fs.contentsOfDirectory(folder) where name.hasPrefix(".tmp-") && fs.kind(folder + "/" + name) == .file {
                try fs.remove(folder + "/" + name)
            }
        }
    }

    // MARK: Commits

    /// The commit object naming `manifests`, durable; the head does not move yet.
    func writeCommit(_ manifests: [ShardManifest], message: String) throws(SemblanceError) -> ObjectHash {
        let commit = CommitObject(
            format: CommitObject.formatVersion, parents: head.map { [$0] } ?? [],
            time: Date().timeIntervalSince1970, message: message, configuration: configuration.index,
            shards: manifests, liveCount: manifests.reduce(0) { $0 + $1.liveCount },
            nodeCount: manifests.reduce(0) { $0 + $1.nodeCount })
        return try objects.put(try commit.encoded(), durable: &durableCommits).hash
    }

    /// Makes `commit` the head of the branch (the ref, durably).
    func moveHead(to commit: ObjectHash) throws(SemblanceError) {
        try refs.setHead(Self.branch, to: commit)
        head = commit
    }

    /// Makes the renames of a checkpoint's new logs durable.
    func syncLogFolder() throws(SemblanceError) {
        try fs.syncDirectory(directory + "/wal/\(Self.branch)")
    }

    /// Releases the directory's lock (the shards hold it too, until their logs are closed).
    func releaseLock() { lock?.release() }
}
