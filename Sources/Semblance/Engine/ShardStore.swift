import Foundation

/// One shard's part of a collection: its index value, its write-ahead log, and the journal
/// of a compaction in progress. Synchronous and single-owner: its ``ShardActor`` drives it.
final class ShardStore {
    let shard: Int
    private(set) var index: VectorIndex
    /// Nil for an in-memory collection.
    private var log: LogWriter?
    /// A checkpoint's new log, between its creation and the moment its commit is the head.
    private var nextLog: LogWriter?
    /// False for an in-memory collection: nothing is logged.
    private let persistent: Bool
    private let fs: any FileSystem
    private let identity: LogIdentity
    let logPath: String
    private let nextLogPath: String
    /// Records applied since a compaction of this shard began, replayed onto the rebuilt
    /// index before it is swapped in (so no write made during compaction is lost).
    private var journal: [LogRecord]?
    /// When this shard's log was last fsynced (the periodic durability mode).
    private var lastSync = ContinuousClock.now
    /// Page objects known to be durable: those of the head commit's manifest of this shard
    /// (checked when it was read), and those this shard wrote since. Only the head's are
    /// kept across a checkpoint: a garbage collection may delete the others.
    private var durableObjects: Set<ObjectHash>
    /// The head commit's objects of this shard: what `durableObjects` goes back to when a
    /// commit fails before its ref moves (the pages it wrote are unreferenced, and a garbage
    /// collection may delete them).
    private var headObjects: Set<ObjectHash> = []
    /// Each vector page of the head's with its digest page (reused while the page is).
    private var digestOfVectorPage: [ObjectHash: ObjectHash] = [:]
    private var pendingDigests: [ObjectHash: ObjectHash] = [:]
    /// The objects of the manifest written last, until its commit is the head.
    private var pendingObjects: [ObjectHash] = []
    /// Under a compact encoding, the vector pages in memory that the manifest written last
    /// names (with their storage and rows then, and the store): once its commit is the head,
    /// those still unchanged are read from their objects instead (``VectorIndex/storeOriginals(_:in:only:)``).
    private var pendingOriginals: (objects: ObjectStore, hashes: [ObjectHash], pages: [(page: Int, storage: AnyObject, rows: Int)])?
    /// Held so that the directory stays locked until this shard's log is closed.
    private let lock: DirectoryLock?

    init(shard: Int, index: VectorIndex, log: LogWriter?, fs: any FileSystem, identity: LogIdentity, directory: String,
         branch: String, lock: DirectoryLock?) {
        self.shard = shard
        self.index = index
        self.log = log
        persistent = log != nil
        self.fs = fs
        self.identity = identity
        logPath = CollectionStore.logPath(directory, branch: branch, shard: shard)
        nextLogPath = CollectionStore.nextLogPath(directory, branch: branch, shard: shard)
        durableObjects = []
        self.lock = lock
    }

    deinit { close() }

    /// Adds page objects known to be durable (the head commit's, checked when it was read).
    func trustDurable(_ objects: [ObjectHash], digests: [ObjectHash: ObjectHash] = [:]) {
        digestOfVectorPage = digests
        headObjects = Set(objects)
        durableObjects = headObjects
    }

    // MARK: Writes

    /// Which of `records` change something in `index`, and so are logged: every upsert; a
    /// delete or a metadata change only of an id that exists at its point in the sequence.
    static func admit(_ records: [LogRecord], to index: VectorIndex) -> (logged: [LogRecord], effective: [Bool]) {
        var exists: [String: Bool] = [:]
        var logged: [LogRecord] = []
        var effective: [Bool] = []
        logged.reserveCapacity(records.count)
        effective.reserveCapacity(records.count)
        for record in records {
            switch record {
            case .upsert, .upsertWithMetadata:
                exists[record.id] = true
                logged.append(record)
                effective.append(true)
            case .delete(let id):
                let present = exists[id] ?? index.contains(id)
                if present { logged.append(record) }
                exists[id] = false
                effective.append(present)
            case .setMetadata(let id, _):
                let present = exists[id] ?? index.contains(id)
                if present { logged.append(record) }
                effective.append(present)
            }
        }
        return (logged, effective)
    }

    /// Appends `records` to the log as one frame, this shard's part of `group`, without
    /// syncing.
    func append(_ records: [LogRecord], group: WriteGroup) throws(SemblanceError) {
        guard persistent, !records.isEmpty else { return }
        _ = try usableLog().append(records, group: group, sync: false)
    }

    /// The log; `.storageUnavailable` once it is closed.
    private func usableLog() throws(SemblanceError) -> LogWriter {
        guard let log else { throw SemblanceError(.storageUnavailable, "the write-ahead log is closed", path: logPath) }
        return log
    }

    /// Whether the log holds writes that are not yet fsynced.
    var hasUnsyncedWrites: Bool { log?.hasUnsyncedWrites ?? false }

    /// fsyncs the log if it holds unsynced writes.
    func sync() throws(SemblanceError) {
        guard persistent else { return }
        let log = try usableLog()
        guard log.hasUnsyncedWrites else { return }
        try log.sync()
        lastSync = .now
    }

    /// Whether `durability` wants the log synced now, or within `slack` from now.
    func syncIsDue(_ durability: Durability, within slack: Duration = .zero) -> Bool {
        switch durability {
        case .durable: true
        case .periodic(let seconds): ContinuousClock.now + slack - lastSync >= .milliseconds(Int64(seconds * 1000))
        case .none: false
        }
    }

    /// Applies admitted records (journaled too while a compaction runs). Consecutive
    /// upserts of ids the shard does not hold go in as one batch, linked by `parallelism`
    /// threads when the run is large.
    func apply(_ records: [LogRecord], parallelism: Int) {
        guard !records.isEmpty else { return }
        Self.apply(records, to: &index, parallelism: parallelism)
        journal?.append(contentsOf: records)
    }

    static func apply(_ records: [LogRecord], to index: inout VectorIndex, parallelism: Int) {
        var run: [(id: String, vector: [Float])] = []
        var runMetadata: [(id: String, metadata: Metadata)] = []
        var runIDs = Set<String>()
        func flush() {
            guard !run.isEmpty else { return }
            do {
                try index.insert(contentsOf: run, parallelism: run.count >= 256 ? parallelism : 1)
                for (id, metadata) in runMetadata { try index.setMetadata(metadata, for: id) }
            } catch {
                preconditionFailure("a checked batch failed to apply: \(error)")
            }
            run.removeAll(keepingCapacity: true)
            runMetadata.removeAll(keepingCapacity: true)
            runIDs.removeAll(keepingCapacity: true)
        }
        for record in records {
            if case .upsert(let id, let vector) = record, !index.contains(id), runIDs.insert(id).inserted {
                run.append((id, vector))
                continue
            }
            if case .upsertWithMetadata(let id, let vector, let metadata) = record, !index.contains(id), runIDs.insert(id).inserted {
                run.append((id, vector))
                runMetadata.append((id, metadata))
                continue
            }
            flush()
            do { try replay(record, to: &index) } catch {
                preconditionFailure("a checked record failed to apply: \(error)")
            }
        }
        flush()
    }

    /// Applies one record as the log holds it.
    static func replay(_ record: LogRecord, to index: inout VectorIndex) throws(SemblanceError) {
        switch record {
        case .upsert(let id, let vector): try index.upsert(id: id, vector: vector)
        case .delete(let id): try index.delete(id)
        case .upsertWithMetadata(let id, let vector, let metadata): try index.upsert(id: id, vector: vector, metadata: metadata)
        case .setMetadata(let id, let metadata): try index.setMetadata(metadata, for: id)
        }
    }

    // MARK: Compaction

    /// Starts journaling this shard's writes; returns the value a compaction rebuilds.
    func beginCompaction() throws(SemblanceError) -> VectorIndex {
        guard journal == nil else {
            throw SemblanceError(.invalidArgument, "shard \(shard) is already being compacted")
        }
        journal = []
        return index
    }

    /// Replays the journal onto `rebuilt` and swaps it in. The log is untouched: it holds the
    /// same records, which replay the same way.
    func finishCompaction(rebuilt: VectorIndex) throws(SemblanceError) {
        guard let journal else { throw SemblanceError(.invalidArgument, "shard \(shard) is not being compacted") }
        self.journal = nil
        var index = rebuilt
        Self.apply(journal, to: &index, parallelism: ProcessInfo.processInfo.activeProcessorCount)
        self.index = index
    }

    /// Stops journaling after a compaction that failed or was cancelled.
    func abandonCompaction() { journal = nil }

    // MARK: Checkpoints

    /// The sequence number of the last record in the log.
    var appliedSequence: UInt64 { (log?.nextSequence ?? 1) - 1 }

    /// Writes the pages (those not yet durable) of the index, or of `replacement` (a merge's
    /// result), and returns the shard's manifest.
    func writePages(to objects: ObjectStore, replacement: VectorIndex? = nil) throws(SemblanceError) -> (ShardManifest, PageWriteStatistics) {
        let written = try (replacement ?? index).writePages(to: objects, durable: &durableObjects, appliedSequence: appliedSequence,
                                                            digests: digestOfVectorPage)
        pendingDigests = written.0.digestOfVectorPage
        pendingObjects = written.0.allObjects
        if replacement == nil && index.codec.isCompact {
            let vectors = index.vectors
            let inMemory = vectors.pages.indices.filter { !vectors.isStored(page: $0) }
            pendingOriginals = (objects, written.0.vectors, inMemory.map { ($0, vectors.storage(ofPage: $0), vectors.rowsInUse(onPage: $0)) })
        }
        return written
    }

    /// Once the commit `base` this shard's next state belongs to is durable, before it
    /// becomes the head: an empty log at `shard-<n>.next.log` that continues from it (from
    /// the sequence number after `applied`, by default where the current log ends).
    func startNextLog(base: ObjectHash, applied: UInt64? = nil) throws(SemblanceError) {
        guard let log else { return }
        nextLog?.close()
        nextLog = nil
        let header = LogFormat.FileHeader(identity: identity, shard: UInt32(shard), baseCommit: base,
                                          startSequence: applied.map { $0 + 1 } ?? log.nextSequence)
        nextLog = try LogWriter.create(fs, path: nextLogPath, header: header)
    }

    /// Once the commit is the head: the new log replaces the old one (renamed into place;
    /// the collection syncs the folder before any write is taken), and the shard's state
    /// becomes `replacement` when one is given (a merge's or reset's); `manifest`, when
    /// given, is the new head's (a reset's), whose objects and digest pages are then known.
    func adoptNextLog(replacement: VectorIndex? = nil, manifest: ShardManifest? = nil) throws(SemblanceError) {
        if let replacement { index = replacement }
        if replacement == nil, let pending = pendingOriginals {
            // A page still holding what its object holds: the same storage (not replaced) with
            // the same rows (a check that costs nothing, should an append ever write in place).
            let unchanged = pending.pages.filter {
                $0.page < index.vectors.pages.count && index.vectors.storage(ofPage: $0.page) === $0.storage
                    && index.vectors.rowsInUse(onPage: $0.page) == $0.rows
            }
            index.storeOriginals(pending.hashes, in: pending.objects, only: unchanged.map(\.page))
        }
        pendingOriginals = nil
        headObjects = Set(manifest?.allObjects ?? pendingObjects)
        digestOfVectorPage = manifest?.digestOfVectorPage ?? pendingDigests
        durableObjects = headObjects
        pendingObjects = []
        guard let next = nextLog else { return }
        try fs.rename(nextLogPath, to: logPath)
        next.moved(to: logPath)
        log?.close()
        log = next
        nextLog = nil
    }

    /// After the branch's logs were replaced by empty ones (a reset to the head): the state
    /// becomes `replacement` and writes go to the new log.
    func reopenLog(replacement: VectorIndex) throws(SemblanceError) {
        guard persistent else { index = replacement; return }
        let contents = try LogReader.read(fs, path: logPath, maximumDimension: index.configuration.dimension)
        let reopened = try LogWriter.open(fs, path: logPath, after: contents, keptFrames: 0)
        log?.close()
        log = reopened
        index = replacement
    }

    /// Whether a compaction of this shard is running.
    var isCompacting: Bool { journal != nil }

    /// After a checkpoint failed before its commit became the head: the old log goes on (the
    /// new one is left for the next checkpoint to replace, or the next open to remove).
    func discardNextLog() {
        nextLog?.close()
        nextLog = nil
        durableObjects = headObjects
        pendingObjects = []
        pendingOriginals = nil
    }

    /// Bytes in the log beyond its header.
    var logBytes: Int64 { log.map { $0.endOffset - Int64(LogFormat.fileHeaderSize) } ?? 0 }

    /// Syncs what is unsynced (unless the log failed) and closes the logs.
    func close() {
        if let log, log.hasUnsyncedWrites, log.failure == nil { try? log.sync() }
        log?.close()
        log = nil
        discardNextLog()
    }
}
