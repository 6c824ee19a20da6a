import Foundation

/// One branch of a collection: its head and its logs, over the collection's shared
/// ``CollectionFiles``. It opens the branch, handing each shard's index and log (a
/// ``ShardStore``) to the shard's actor; from then on the ``CollectionWriter`` uses it to
/// write commits and move the branch's head.
///
/// Opening reads and checks everything (head commit, pages, every log and what it belongs
/// to) before it changes any file, and it changes only what it fully accounts for: a torn
/// log tail, the frames of a group of writes that did not reach every shard it spans, the
/// logs an interrupted checkpoint, reset or merge left, temp files.
final class CollectionStore {
    let files: CollectionFiles
    let branch: String
    private(set) var head: ObjectHash?
    /// Commit objects known to be durable.
    private var durableCommits = Set<ObjectHash>()

    var fs: any FileSystem { files.fs }
    var directory: String { files.directory }
    var configuration: StoredConfiguration { files.configuration }
    var persistent: Bool { files.persistent }
    var identity: LogIdentity { LogIdentity(collectionID: configuration.collectionID, branch: branch) }
    var objects: ObjectStore { files.objects }
    var refs: Refs { files.refs }
    static func logPath(_ directory: String, branch: String, shard: Int) -> String {
        CollectionFiles.logFolder(directory, branch: branch) + "/shard-\(shard).log"
    }
    static func nextLogPath(_ directory: String, branch: String, shard: Int) -> String {
        CollectionFiles.logFolder(directory, branch: branch) + "/shard-\(shard).next.log"
    }

    /// A branch ready to be handed to its actors.
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
        /// A branch opened read-only: what reads it again, the bytes of its logs read, and
        /// when the read began.
        var reader: (BranchReader, logBytes: Int64, readBegan: ContinuousClock.Instant)?
    }

    private init(files: CollectionFiles, branch: String, head: ObjectHash?) {
        self.files = files
        self.branch = branch
        self.head = head
        if let head { durableCommits.insert(head) }
    }

    /// A collection that lives in memory only: the same checks and operations, no files.
    static func inMemory(_ files: CollectionFiles) throws(SemblanceError) -> Opened {
        let store = CollectionStore(files: files, branch: CollectionFiles.mainBranch, head: nil)
        let shards = try (0..<files.configuration.shardCount).map { (shard) throws(SemblanceError) in
            ShardStore(shard: shard, index: try VectorIndex(files.configuration.index), log: nil, fs: files.fs, identity: store.identity,
                       directory: files.directory, branch: store.branch, lock: nil)
        }
        return Opened(store: store, shards: shards, nextGroup: 1, droppedTornBytes: 0, droppedFrames: 0)
    }

    // MARK: Opening

    /// Opens `branch`: its head commit's pages, then each log's groups of writes that
    /// reached every shard they span. A branch opened for the first time gets its logs now.
    /// - Throws: `.unknownRef` when the branch does not exist; `.corruptFile` or
    ///   `.unsupportedFormatVersion` naming the file.
    static func open(_ files: CollectionFiles, branch: String) throws(SemblanceError) -> Opened {
        if files.readOnly { return try openReadOnly(files, branch: branch) }
        let fs = files.fs
        let directory = files.directory
        let configuration = files.configuration
        let head = try files.refs.read(.branch, branch)
        guard head != nil || branch == CollectionFiles.mainBranch else {
            throw SemblanceError(.unknownRef, "collection has no branch named \(branch.debugDescription)", path: directory)
        }
        let store = CollectionStore(files: files, branch: branch, head: head)
        var indexes: [VectorIndex]
        var applied: [UInt64]
        var headCommit: CommitObject?
        if let head {
            let commit = try files.commit(head)
            indexes = try files.indexes(of: commit)
            applied = commit.shards.map(\.appliedSequence)
            headCommit = commit
        } else {
            indexes = try (0..<configuration.shardCount).map { (_) throws(SemblanceError) in try VectorIndex(configuration.index) }
            applied = Array(repeating: 0, count: configuration.shardCount)
        }
        // A branch's logs are created the first time it is opened (creating a branch writes
        // only its ref); a folder that exists must hold every shard's log.
        if fs.kind(CollectionFiles.logFolder(directory, branch: branch)) == nil {
            try files.createLogs(branch: branch, head: head)
        }
        var plans: [LogPlan] = []
        for shard in 0..<configuration.shardCount {
            plans.append(try planLog(fs, directory: directory, configuration: configuration, branch: branch, head: head,
                                     shard: shard, applied: applied[shard]))
        }
        let kept = try keptFrames(plans, shardCount: configuration.shardCount, durability: configuration.durability)
        try replay(plans, kept: kept, into: &indexes)

        // Everything is read and checked: only now are files changed.
        var renamed = false
        for (shard, plan) in plans.enumerated() {
            if let stale = plan.staleNextLog { try fs.remove(stale); renamed = true }
            if plan.path != logPath(directory, branch: branch, shard: shard) {
                try fs.rename(plan.path, to: logPath(directory, branch: branch, shard: shard))
                renamed = true
            }
        }
        if renamed { try fs.syncDirectory(CollectionFiles.logFolder(directory, branch: branch)) }
        var shards: [ShardStore] = []
        var nextGroup: UInt64 = 1
        var torn: Int64 = 0
        var dropped = 0
        for (shard, plan) in plans.enumerated() {
            let path = logPath(directory, branch: branch, shard: shard)
            let log = try LogWriter.open(fs, path: path, after: plan.contents, keptFrames: kept[shard])
            let shardStore = ShardStore(shard: shard, index: indexes[shard], log: log, fs: fs, identity: store.identity,
                                        directory: directory, branch: branch, lock: files.lock)
            if let manifest = headCommit?.shards[shard] { shardStore.trustDurable(manifest.allObjects, digests: manifest.digestOfVectorPage) }
            shards.append(shardStore)
            if let last = plan.contents.frames.prefix(kept[shard]).last { nextGroup = max(nextGroup, last.group.number + 1) }
            torn += plan.contents.tornTailBytes
            dropped += plan.contents.frames.count - kept[shard]
        }
        return Opened(store: store, shards: shards, nextGroup: nextGroup, droppedTornBytes: torn, droppedFrames: dropped)
    }

    /// Opens `branch` for reading only (see ``BranchReader``): its shards have no log.
    private static func openReadOnly(_ files: CollectionFiles, branch: String) throws(SemblanceError) -> Opened {
        let reader = BranchReader(files: files, branch: branch)
        let view = try reader.read()
        files.lease?.hold(branch: branch, head: view.head)
        let store = CollectionStore(files: files, branch: branch, head: view.head)
        let shards = view.shards.enumerated().map { shard, index in
            ShardStore(shard: shard, index: index, log: nil, fs: files.fs, identity: store.identity, directory: files.directory,
                       branch: branch, lock: nil)
        }
        return Opened(store: store, shards: shards, nextGroup: 1, droppedTornBytes: 0, droppedFrames: 0, reader: (reader, view.logBytes, view.readBegan))
    }

    /// Which log file holds a shard's records since the head, after checking that it
    /// belongs to this collection, branch and shard and continues from the head commit.
    struct LogPlan {
        var path: String
        var contents: LogContents
        /// An interrupted checkpoint's new log whose commit never became the head: empty, removed.
        var staleNextLog: String?
    }

    /// The log at `path`, checked to belong to this collection, branch and shard and to hold
    /// vectors of the collection's dimension.
    static func readLog(_ fs: any FileSystem, _ path: String, branch: String, shard: Int, configuration: StoredConfiguration) throws(SemblanceError) -> LogContents {
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
    ///
    /// A `shard-<n>.next.log` is written before the ref moves (by a checkpoint, a merge or a
    /// reset) and renamed over `shard-<n>.log` after: when it continues from the head, the
    /// ref moved and it replaces the old log; otherwise the ref never moved, and it must be
    /// empty (nothing is written to a new log before its commit is the head): removed.
    static func planLog(_ fs: any FileSystem, directory: String, configuration: StoredConfiguration, branch: String, head: ObjectHash?,
                        shard: Int, applied: UInt64) throws(SemblanceError) -> LogPlan {
        func readLog(_ path: String) throws(SemblanceError) -> LogContents {
            try Self.readLog(fs, path, branch: branch, shard: shard, configuration: configuration)
        }
        let current = logPath(directory, branch: branch, shard: shard)
        let next = nextLogPath(directory, branch: branch, shard: shard)
        var plan: LogPlan
        if fs.fileExists(next) {
            let nextLog = try readLog(next)
            if let head, nextLog.header.baseCommit == head {
                plan = LogPlan(path: next, contents: nextLog)
            } else {
                guard nextLog.frames.isEmpty, nextLog.tornTailBytes == 0 else {
                    throw SemblanceError(.corruptFile,
                        "a new log that does not continue from the head commit holds records: it is not a leftover of an unfinished checkpoint",
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
    /// shard kept later groups: those are cut. A reader passes `.none` (it may read a shard
    /// before a group reaches it and another after) and `groupsBelow`, a group number from
    /// which nothing is kept.
    static func keptFrames(_ plans: [LogPlan], shardCount: Int, durability: Durability,
                           groupsBelow limit: UInt64? = nil) throws(SemblanceError) -> [Int] {
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
        let incomplete = participants.filter { number, shards in shards != present[number] }.keys.min()
        let cut = [incomplete, limit].compactMap { $0 }.min()
        if let cut = incomplete, durability == .durable, let later = participants.keys.filter({ $0 > cut }).min(),
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

    /// Applies the kept frames of each shard's log to its index, in order, from frame
    /// `start[shard]` (the frames before it are applied already).
    static func replay(_ plans: [LogPlan], kept: [Int], from start: [Int]? = nil, into indexes: inout [VectorIndex]) throws(SemblanceError) {
        for (shard, plan) in plans.enumerated() {
            for frame in plan.contents.frames.prefix(kept[shard]).dropFirst(start?[shard] ?? 0) {
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

    // MARK: Commits

    /// The commit object naming `manifests`, durable; the head does not move yet. Its first
    /// parent is the head; a merge names the merged commit second.
    func writeCommit(_ manifests: [ShardManifest], message: String, automatic: Bool, mergedFrom: ObjectHash? = nil) throws(SemblanceError) -> ObjectHash {
        let commit = CommitObject(parents: (head.map { [$0] } ?? []) + (mergedFrom.map { [$0] } ?? []), message: message,
                                  branch: branch, automatic: automatic, configuration: configuration.index, shards: manifests)
        return try objects.put(try commit.encoded(), durable: &durableCommits).hash
    }

    /// Makes `commit` the head of the branch (the ref, durably).
    func moveHead(to commit: ObjectHash) throws(SemblanceError) {
        try files.changingRefs { () throws(SemblanceError) in try refs.write(.branch, branch, commit) }
        head = commit
    }

    /// Makes the renames of new logs durable.
    func syncLogFolder() throws(SemblanceError) {
        try fs.syncDirectory(CollectionFiles.logFolder(directory, branch: branch))
    }

    /// This branch is no longer open in this process; with the last open branch, the
    /// directory's lock is released.
    func release() {
        files.lease?.release(branch: branch)
        if files.unregister(branch) == 0 { files.lock?.release() }
    }
}
