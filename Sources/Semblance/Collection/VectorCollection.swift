import Foundation
import Logging
import Metrics
import Synchronization

/// A named collection of vectors: ids spread over shards, durable writes, searches that
/// never wait for writers.
///
/// Get one from a ``Client``. Every method may be called from any task at any time:
/// writes are grouped and logged by the collection's writer (concurrent writers share one
/// fsync), and each search runs on the latest published snapshot of the shards, in parallel
/// with other searches and with writes. An awaited write is visible to every search that
/// starts after it returns.
///
/// ```swift
/// let docs = try await client.createCollection("docs", dimension: 384, metric: .cosine)
/// try await docs.upsert(id: "doc-1", vector: embedding)
/// let hits = try await docs.search(query, k: 10)
/// ```
public final class VectorCollection: Sendable {
    /// The collection's name in its client.
    public let name: String
    /// Its settings, as created.
    public let configuration: CollectionConfiguration
    let engine: CollectionEngine
    let logger: Logger
    let metrics: CollectionMetrics
    /// A following reader's refresh loop (``ClientAccess/following(every:)``).
    private let follower = Mutex<Task<Void, Never>?>(nil)
    /// A replica's collection: its folder is a mirror of object storage, synced before each refresh.
    let mirror: RemoteMirror?
    /// Where each user commit is pushed once made (``pushCommits(to:)``); nil for none.
    let commitsPushedTo = Mutex<(any RemoteObjectStore)?>(nil)

    init(name: String, configuration: CollectionConfiguration, engine: CollectionEngine, logger: Logger, mirror: RemoteMirror? = nil) {
        self.name = name
        self.mirror = mirror
        self.configuration = configuration
        self.engine = engine
        var logger = logger
        logger[metadataKey: "collection"] = "\(name)"
        self.logger = logger
        metrics = CollectionMetrics(collection: name)
    }

    // MARK: Writes

    /// Adds `id` or replaces its record (vector and metadata: a record upserted without
    /// metadata has none). Returns once the write is durable (per the durability mode) and
    /// visible to searches that start afterwards.
    /// - Throws: `.invalidID`, `.dimensionMismatch`, `.nonFiniteComponent`, `.zeroVector`,
    ///   `.invalidMetadata` (nothing is written), or a storage error.
    public func upsert(id: String, vector: [Float], metadata: Metadata? = nil) async throws(SemblanceError) {
        try await upsert([VectorRecord(id: id, vector: vector, metadata: metadata)])
    }

    /// Adds or replaces one record (see ``upsert(id:vector:metadata:)``).
    public func upsert(_ record: VectorRecord) async throws(SemblanceError) {
        try await upsert([record])
    }

    /// Adds or replaces many records as one batch: every record is checked first (one bad
    /// record fails the batch and writes nothing), then each shard's part is logged and
    /// indexed in parallel with the others.
    public func upsert(_ records: [VectorRecord]) async throws(SemblanceError) {
        try await write(records, inserting: false)
    }

    /// Adds a record under a new id: fails, writing nothing, when `id` is stored already.
    /// Durable and visible like an upsert.
    /// - Throws: `.idExists` when `id` is stored (an upsert would replace it), the errors of
    ///   ``upsert(id:vector:metadata:)``.
    public func insert(id: String, vector: [Float], metadata: Metadata? = nil) async throws(SemblanceError) {
        try await insert([VectorRecord(id: id, vector: vector, metadata: metadata)])
    }

    /// Adds one record under a new id (see ``insert(id:vector:metadata:)``).
    public func insert(_ record: VectorRecord) async throws(SemblanceError) {
        try await insert([record])
    }

    /// Adds a record under a new random id (a UUID string) and returns the id.
    public func insert(vector: [Float], metadata: Metadata? = nil) async throws(SemblanceError) -> String {
        let id = UUID().uuidString
        try await insert([VectorRecord(id: id, vector: vector, metadata: metadata)])
        return id
    }

    /// Adds many records as one batch, none of whose ids may be stored: when some are,
    /// nothing is written and the error's ``SemblanceError/ids`` lists them.
    /// - Throws: `.idExists`; `.duplicateID` when an id appears twice in `records`; the
    ///   errors of an upsert.
    public func insert(_ records: [VectorRecord]) async throws(SemblanceError) {
        try await write(records, inserting: true)
    }

    /// A batch of whole records, timed and counted.
    private func write(_ records: [VectorRecord], inserting: Bool) async throws(SemblanceError) {
        guard !records.isEmpty else { return }
        let start = ContinuousClock.now
        if inserting { try await engine.insert(records) } else { try await engine.upsert(records) }
        (inserting ? metrics.inserts : metrics.upserts).increment(by: records.count)
        metrics.writeDuration.recordInterval(since: start)
    }

    /// Replaces the vector of the stored record `id`, keeping its metadata (an upsert
    /// replaces both). Durable and visible like an upsert.
    /// - Throws: `.unknownID` when `id` is not stored (nothing is written), `.invalidID`,
    ///   `.dimensionMismatch`, `.nonFiniteComponent`, `.zeroVector`, or a storage error.
    public func update(id: String, vector: [Float]) async throws(SemblanceError) {
        let start = ContinuousClock.now
        try await engine.updateVectors([(id, vector)])
        metrics.updates.increment()
        metrics.writeDuration.recordInterval(since: start)
    }

    /// Replaces the metadata of `id` (nil removes it) without touching its vector; durable
    /// like an upsert.
    /// - Returns: false when `id` is not stored (nothing is written).
    /// - Throws: `.invalidID`, `.invalidMetadata` (nothing is written), or a storage error.
    @discardableResult
    public func setMetadata(_ metadata: Metadata?, for id: String) async throws(SemblanceError) -> Bool {
        try await setMetadata([(id, metadata)]) == 1
    }

    /// Replaces the metadata of many records as one batch; returns how many were stored
    /// (ids that are not stored are skipped).
    @discardableResult
    public func setMetadata(_ changes: [(id: String, metadata: Metadata?)]) async throws(SemblanceError) -> Int {
        guard !changes.isEmpty else { return 0 }
        let start = ContinuousClock.now
        let changed = try await engine.setMetadata(changes)
        metrics.writeDuration.recordInterval(since: start)
        return changed
    }

    /// Deletes `id`; returns whether it existed. Searches that start after this returns
    /// never see it.
    @discardableResult
    public func delete(_ id: String) async throws(SemblanceError) -> Bool {
        try await delete([id]) == 1
    }

    /// Deletes many ids as one batch; returns how many existed.
    @discardableResult
    public func delete(_ ids: [String]) async throws(SemblanceError) -> Int {
        guard !ids.isEmpty else { return 0 }
        let start = ContinuousClock.now
        let deleted = try await engine.delete(ids)
        metrics.deletes.increment(by: deleted)
        metrics.writeDuration.recordInterval(since: start)
        return deleted
    }

    // MARK: Reads

    /// The record stored under `id`, with its metadata, or nil. Under the cosine metric the
    /// vector comes back normalized to length 1.
    public func get(_ id: String) -> VectorRecord? {
        snapshot().record(id)
    }

    /// The metadata stored with `id`, or nil (not stored, or stored without metadata).
    public func metadata(of id: String) -> Metadata? {
        engine.snapshot[engine.shard(of: id)].metadata(of: id)
    }

    /// How many live records match `filter`, answered from the metadata indexes.
    public func count(where filter: Filter) -> Int { snapshot().count(where: filter) }

    /// The ids of the live records that match `filter`, in no particular order.
    public func ids(where filter: Filter) -> [String] { snapshot().ids(where: filter) }

    /// Whether `id` is stored.
    public func contains(_ id: String) -> Bool {
        engine.snapshot[engine.shard(of: id)].contains(id)
    }

    /// Live records.
    public var count: Int { engine.count }

    /// An immutable view of the whole collection as of now: searching it never waits.
    public func snapshot() -> CollectionSnapshot {
        let (shards, head) = engine.snapshotAndHead
        return CollectionSnapshot(shards: shards, configuration: configuration, baseCommit: head)
    }

    // MARK: Maintenance

    /// Folds the write-ahead logs into a commit now (an automatic one: see
    /// ``commit(message:)`` for a user commit).
    /// - Returns: the commit written, or the head when the logs held nothing since it; nil
    ///   for an in-memory collection (nothing to do).
    @discardableResult
    public func checkpoint() async throws(SemblanceError) -> Commit? {
        guard engine.isPersistent else { return nil }
        let start = ContinuousClock.now
        let (hash, written) = try await engine.checkpoint(message: "checkpoint", automatic: true, onlyIfChanged: true)
        metrics.checkpointDuration.recordInterval(since: start)
        logger.debug("checkpoint", metadata: ["commit": "\(hash)", "bytesWritten": "\(written.bytesWritten)"])
        return try commit(hash)
    }

    /// True when some shard's share of deleted vectors passes the compaction threshold.
    public var needsCompaction: Bool {
        engine.snapshot.contains { Self.deletionRatio($0) > configuration.compactionThreshold }
    }

    /// Rebuilds the shards without their deleted vectors, one shard at a time, while
    /// writes and searches go on. Writes made meanwhile are kept.
    /// - Parameters:
    ///   - onlyWhenNeeded: compact only shards past the threshold.
    ///   - progress: (records linked, records in all) of the shard being rebuilt.
    /// - Returns: tombstones removed.
    @discardableResult
    public func compact(onlyWhenNeeded: Bool = false, progress: (@Sendable (Int, Int) -> Void)? = nil) async throws(SemblanceError) -> Int {
        try await rebuildShards(progress: progress) { index in
            index.deletedCount > 0 && (!onlyWhenNeeded || Self.deletionRatio(index) > configuration.compactionThreshold)
        }
    }

    /// Rebuilds every shard, as ``compact(onlyWhenNeeded:progress:)`` rebuilds one: after a
    /// re-encoding, so that the graph is built on the new encoding.
    func rebuild(progress: (@Sendable (Int, Int) -> Void)?) async throws(SemblanceError) {
        _ = try await rebuildShards(progress: progress) { $0.nodeCount > 0 }
    }

    private func rebuildShards(
        progress: (@Sendable (Int, Int) -> Void)?, where chosen: (VectorIndex) -> Bool
    ) async throws(SemblanceError) -> Int {
        if engine.isReadOnly { throw SemblanceError.readOnly(engine.directory, "a compaction") }
        var removed = 0
        for (shard, index) in engine.snapshot.enumerated() where chosen(index) {
            let start = ContinuousClock.now
            removed += try await engine.compact(shard: shard, progress: progress)
            metrics.compactionDuration.recordInterval(since: start)
        }
        if removed > 0 { logger.debug("compacted", metadata: ["tombstonesRemoved": "\(removed)"]) }
        return removed
    }

    /// Figures of the collection. Counting edges walks every node: O(n).
    public func statistics() -> CollectionStatistics {
        let statistics = figures(of: engine.snapshot, logBytes: engine.logBytes, commit: engine.headCommit)
        metrics.report(statistics)
        return statistics
    }

    /// Figures of the collection with, when asked, the bytes each branch holds alone (it
    /// reads every commit of every branch and tag: O(commits + pages)).
    public func statistics(includingBranchBytes: Bool) async throws(SemblanceError) -> CollectionStatistics {
        var statistics = statistics()
        if includingBranchBytes && engine.isPersistent {
            let files = engine.files
            statistics.branchBytes = try await runOnQueue(.global()) { () throws(SemblanceError) in try BranchStorage(files: files).exclusiveBytes() }
        }
        return statistics
    }

    /// Figures of the commit `ref` names (a branch's head commit, a tag or a commit id): its
    /// log bytes are 0, its head commit is that commit.
    public func statistics(at ref: String) async throws(SemblanceError) -> CollectionStatistics {
        let id = try commit(id: ref).id
        return figures(of: try await snapshot(at: id).shards, logBytes: 0, commit: id)
    }

    private func figures(of shards: [VectorIndex], logBytes: Int64, commit: String?) -> CollectionStatistics {
        let vectors = shards.reduce(0) { $0 + $1.nodeCount }
        let live = shards.reduce(0) { $0 + $1.count }
        var edges = 0
        var memory = 0
        for shard in shards {
            let figures = shard.statistics
            edges += figures.edges
            memory += figures.allocatedBytes
        }
        let worst = shards.map(Self.deletionRatio).max() ?? 0
        return CollectionStatistics(
            name: name, vectors: vectors, live: live, deleted: vectors - live,
            deletionRatio: vectors == 0 ? 0 : Double(vectors - live) / Double(vectors),
            edges: edges, averageDegree: vectors == 0 ? 0 : Double(edges) / Double(vectors),
            memoryBytes: memory, logBytes: logBytes, branch: engine.branch, headCommit: commit, branchBytes: nil,
            shards: shards.count, worstShardDeletionRatio: worst,
            needsCompaction: worst > configuration.compactionThreshold)
    }

    static func deletionRatio(_ index: VectorIndex) -> Double {
        index.nodeCount == 0 ? 0 : Double(index.deletedCount) / Double(index.nodeCount)
    }

    /// True once this handle is closed (``Client/close(_:)``, ``Client/close()``, or the
    /// collection dropped). Writes through it then throw `.closed`; reads (`get`, `search`,
    /// `count`, `snapshot`) keep answering from its last state.
    public var isClosed: Bool { engine.isClosed }

    // MARK: Reading beside a writer

    /// True when this handle came from a read-only client (``ClientAccess/readOnly``): it
    /// reads the files a writer, perhaps in another process, changes, and every change
    /// through it throws `.readOnly`.
    public var isReadOnly: Bool { engine.isReadOnly }

    /// Moves a read-only handle to the newest state of its branch on disk: the head commit
    /// and the writes logged after it (whole batches only). Searches that start afterwards
    /// see it. A writer's handle always has its newest state, and this returns false.
    /// - Returns: whether the state changed (a new head commit, or more logged writes).
    /// - Throws: `.closed`; `.unknownRef` when the branch was deleted; `.corruptFile` for
    ///   damage that persists (a writer's progress is never reported as damage).
    @discardableResult
    public func refresh() async throws(SemblanceError) -> Bool {
        guard engine.isReadOnly else { return false }
        if let mirror { try await mirror.sync(branch: branch, opening: false) }
        let engine = engine
        return try await runOnQueue(.global()) { () throws(SemblanceError) in try engine.refresh() }
    }

    /// How long ago the state a read-only handle serves was its branch's newest: the lag
    /// behind the writer is at most this (plus the time the writer takes to log a batch).
    /// Nil for a writer's handle, which is never behind.
    public var staleness: Duration? { engine.staleness }

    /// Refreshes every `seconds` until closed. A failed refresh is logged once and tried
    /// again at twice the interval each time, up to 30 seconds, until one succeeds.
    func follow(every seconds: Double) {
        let task = Task { [weak self] in
            var delay = seconds
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(delay))
                guard let self, !Task.isCancelled, !engine.isClosed else { return }
                do throws(SemblanceError) {
                    try await refresh()
                    delay = seconds
                } catch {
                    if delay == seconds { logger.warning("refresh failed; retrying with backoff", metadata: ["error": "\(error)"]) }
                    delay = min(delay * 2, max(seconds, 30))
                }
            }
        }
        follower.withLock { $0?.cancel(); $0 = task }
    }

    /// Finishes queued writes, syncs and releases the files.
    func close() async {
        follower.withLock { $0?.cancel() }
        await engine.close()
    }
}
