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
        /// For each record: whether it changed something.
        var effective: [Bool]
        var index: VectorIndex
        var logBytes: Int64
    }

    /// Logs this shard's records of a group as one frame, syncs as `durability` asks, then
    /// applies them (linking runs of new ids with `parallelism` threads).
    func commit(_ records: [LogRecord], durability: Durability, parallelism: Int) throws(SemblanceError) -> Committed {
        let (logged, effective) = store.admit(records)
        try store.append(logged)
        if store.hasUnsyncedWrites && store.syncIsDue(durability) { try store.sync() }
        store.apply(logged, parallelism: parallelism)
        return Committed(effective: effective, index: store.index, logBytes: store.logBytes)
    }

    /// fsyncs the log if it holds unsynced writes (the periodic mode's timer).
    func sync() throws(SemblanceError) { try store.sync() }

    // MARK: Compaction

    func beginCompaction() throws(SemblanceError) -> VectorIndex { try store.beginCompaction() }

    /// Swaps in the rebuilt index (with the writes made meanwhile replayed onto it).
    func finishCompaction(rebuilt: VectorIndex) throws(SemblanceError) -> VectorIndex {
        try store.finishCompaction(rebuilt: rebuilt)
        return store.index
    }

    func abandonCompaction() { store.abandonCompaction() }

    // MARK: Checkpoints

    /// The first step of a checkpoint: this shard's pages, durable, and its manifest.
    func writePages(to objects: ObjectStore) throws(SemblanceError) -> (ShardManifest, PageWriteStatistics) {
        try store.writePages(to: objects)
    }

    /// The last step of a checkpoint, once the commit is the head: an empty log.
    func startNewLog() throws(SemblanceError) -> Int64 {
        try store.startNewLog()
        return store.logBytes
    }

    /// Syncs and closes the log.
    func close() { store.close() }
}

/// A shard's store on its way from the ``CollectionStore`` that opened it to the
/// ``ShardActor`` that owns it from then on.
// Invariant (why @unchecked): the collection store gives its shard stores up
// (`takeShards()` empties its list) before they are wrapped here, and each is unwrapped
// once, by its actor's initializer; no other reference to a shard store remains.
struct ShardHandover: @unchecked Sendable {
    let store: ShardStore
}
