import Foundation

/// One shard of a collection: the actor that owns the shard's index value and its
/// write-ahead log. A write is appended to the log (and fsynced, under `.durable`) before it
/// is applied and before the collection acknowledges it; the new index value is handed back
/// for the collection to publish to readers, who never call the actor.
///
/// Each shard actor runs on its own serial queue, so the shards of a collection log, fsync
/// and link their parts of a batch in parallel.
actor ShardActor {
    let shard: Int
    private let executor: DispatchQueueExecutor
    private let store: ShardStore

    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    init(_ handover: ShardHandover) {
        shard = handover.store.shard
        executor = DispatchQueueExecutor(label: "semblance.shard-\(handover.store.shard)")
        store = handover.store
    }

    /// What one shard's part of a group of writes did.
    struct Committed: Sendable {
        var index: VectorIndex
        var logBytes: Int64
    }

    /// Logs this shard's part of `group` (records that change something) as one frame,
    /// syncs as `durability` asks, then applies them (linking runs of new ids with
    /// `parallelism` threads).
    func commit(_ records: [LogRecord], group: WriteGroup, durability: Durability, parallelism: Int) throws(SemblanceError) -> Committed {
        try store.append(records, group: group)
        if store.hasUnsyncedWrites && store.syncIsDue(durability) { try store.sync() }
        store.apply(records, parallelism: parallelism)
        return Committed(index: store.index, logBytes: store.logBytes)
    }

    /// fsyncs the log if it holds unsynced writes and `durability` wants them synced within
    /// `slack` from now (the periodic mode's timer).
    func syncIfDue(_ durability: Durability, within slack: Duration) throws(SemblanceError) {
        if store.hasUnsyncedWrites && store.syncIsDue(durability, within: slack) { try store.sync() }
    }

    // MARK: Compaction

    func beginCompaction() throws(SemblanceError) -> VectorIndex { try store.beginCompaction() }

    /// Swaps in the rebuilt index (with the writes made meanwhile replayed onto it).
    func finishCompaction(rebuilt: VectorIndex) throws(SemblanceError) -> VectorIndex {
        try store.finishCompaction(rebuilt: rebuilt)
        return store.index
    }

    func abandonCompaction() { store.abandonCompaction() }

    // MARK: Checkpoints

    /// The first step of a checkpoint or merge: this shard's pages (of its state, or of
    /// `replacement`), durable, and its manifest.
    func writePages(to objects: ObjectStore, replacement: VectorIndex? = nil) throws(SemblanceError) -> (ShardManifest, PageWriteStatistics) {
        try store.writePages(to: objects, replacement: replacement)
    }

    /// Once the commit is durable, before it is the head: this shard's next log, empty.
    func startNextLog(base: ObjectHash, applied: UInt64? = nil) throws(SemblanceError) { try store.startNextLog(base: base, applied: applied) }

    /// Once the commit is the head: the next log replaces the old one, and the state becomes
    /// `replacement` when there is one. Returns the state (under a compact encoding, its
    /// vector pages that the commit made durable are read from their objects from now
    /// on) and the log's size.
    func adoptNextLog(replacement: VectorIndex? = nil, manifest: ShardManifest? = nil) throws(SemblanceError) -> Committed {
        try store.adoptNextLog(replacement: replacement, manifest: manifest)
        return Committed(index: store.index, logBytes: store.logBytes)
    }

    /// After a reset to the head replaced the branch's logs: the new log and state.
    func reopenLog(replacement: VectorIndex) throws(SemblanceError) -> Int64 {
        try store.reopenLog(replacement: replacement)
        return store.logBytes
    }

    var isCompacting: Bool { store.isCompacting }

    /// A checkpoint failed before its commit became the head: the old log goes on.
    func discardNextLog() { store.discardNextLog() }

    /// Syncs and closes the log.
    func close() { store.close() }
}

/// A shard's store on its way from the ``CollectionStore`` that opened it to the
/// ``ShardActor`` that owns it from then on.
// Invariant (why @unchecked): `CollectionStore.Opened.shards` is consumed once, by the
// engine's initializer, which wraps each shard store here and hands it to its actor's
// initializer; no other reference to a shard store remains.
struct ShardHandover: @unchecked Sendable {
    let store: ShardStore
}
