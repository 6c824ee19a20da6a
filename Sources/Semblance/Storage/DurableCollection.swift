import Dispatch
import Foundation
import Synchronization

/// A collection on disk that many tasks can write to at once.
///
/// Writes go to a serial dispatch queue (off the cooperative thread pool, since fsync
/// blocks). While one group of writes is being logged and fsynced, new writes wait; the next
/// group takes all of them at once, so concurrent writers share one frame per shard and one
/// fsync (group commit). After a group is applied, the shards' index values are published
/// as an immutable snapshot: readers take it without waiting for any writer.
/// Checkpoints run on the same queue, after a group, when the ``CheckpointPolicy`` says so
/// or on demand; readers never wait for them.
public final class DurableCollection: Sendable {
    private struct Request {
        enum Operation {
            case upsert([VectorRecord])
            case delete([String])
            case setMetadata([(id: String, metadata: Metadata?)])
        }
        let operation: Operation
        let done: @Sendable (Result<Int, SemblanceError>) -> Void
    }

    private struct State {
        var pending: [Request] = []
        var draining = false
        var closed = false
        /// Set on `queue` once the store's files are closed: queued work after that point
        /// (a checkpoint, a compaction) must not touch the store.
        var released = false
        var operationsSinceCheckpoint = 0
        var lastCheckpoint = ContinuousClock.now
    }

    // Invariant (why @unchecked): the store is touched only on `queue`.
    private struct StoreBox: @unchecked Sendable { let store: CollectionStore }

    private let box: StoreBox
    private let queue: DispatchQueue
    private let state = Mutex(State())
    private let published: Mutex<Published>
    /// What readers see without waiting: set after every group of writes, checkpoint and
    /// compaction.
    private struct Published {
        var shards: [VectorIndex]
        var logBytes: Int64
        var head: String?
    }
    /// When checkpoints run by themselves.
    public let policy: CheckpointPolicy
    /// When acknowledged writes reach the disk.
    public let durability: Durability
    /// The collection's directory.
    public let directory: String
    /// False for an in-memory collection.
    public let isPersistent: Bool

    private init(store: CollectionStore, policy: CheckpointPolicy) {
        box = StoreBox(store: store)
        queue = DispatchQueue(label: "semblance.collection.writer")
        published = Mutex(Published(shards: store.shards, logBytes: store.logBytes, head: store.head?.hex))
        isPersistent = store.persistent
        self.policy = policy
        durability = store.durability
        directory = store.directory
        scheduleTimer()
    }

    /// Creates a new collection in `directory` (created if missing; it must not hold one).
    /// - Parameters:
    ///   - fs: the file system; tests pass a simulated or fault-injecting one.
    ///   - shardCount: how many shards (write-ahead logs and index values) ids spread over.
    public static func create(
        _ fs: any FileSystem = PosixFileSystem(), directory: String, index: IndexConfiguration, shardCount: Int = 1,
        durability: Durability = .durable, policy: CheckpointPolicy = CheckpointPolicy()
    ) throws(SemblanceError) -> DurableCollection {
        DurableCollection(store: try CollectionStore.create(fs, directory: directory, index: index, shardCount: shardCount, durability: durability),
                          policy: policy)
    }

    /// Creates a new collection in `directory` with a client-level configuration, which is
    /// stored so that ``open(_:directory:durability:policy:)`` finds the same settings.
    public static func create(
        _ fs: any FileSystem = PosixFileSystem(), directory: String, configuration: CollectionConfiguration
    ) throws(SemblanceError) -> DurableCollection {
        try configuration.validate()
        let settings = StoredCollectionConfiguration.StoredSettings(
            durability: configuration.durability, checkpointPolicy: configuration.checkpointPolicy,
            compactionThreshold: configuration.compactionThreshold)
        let store = try CollectionStore.create(fs, directory: directory, index: configuration.index, shardCount: configuration.shardCount,
                                               durability: configuration.durability, settings: settings)
        return DurableCollection(store: store, policy: configuration.checkpointPolicy)
    }

    /// Opens the collection in `directory`: the head commit's pages plus the logs after it.
    /// - Parameters:
    ///   - durability, policy: nil (the default) uses the settings stored at creation.
    /// - Throws: `.locked` when another process has it open; `.corruptFile` or
    ///   `.unsupportedFormatVersion` naming the damaged file and offset.
    public static func open(
        _ fs: any FileSystem = PosixFileSystem(), directory: String, durability: Durability? = nil, policy: CheckpointPolicy? = nil
    ) throws(SemblanceError) -> DurableCollection {
        let store = try CollectionStore.open(fs, directory: directory, durability: durability)
        return DurableCollection(store: store, policy: policy ?? store.configuration.collectionConfiguration.checkpointPolicy)
    }

    /// The stored settings, as a client-level configuration.
    public var collectionConfiguration: CollectionConfiguration { box.store.configuration.collectionConfiguration }

    /// An in-memory collection: the same operations, no files, nothing survives the process.
    public static func inMemory(index: IndexConfiguration, shardCount: Int = 1) throws(SemblanceError) -> DurableCollection {
        DurableCollection(store: try CollectionStore.inMemory(index: index, shardCount: shardCount), policy: .manual)
    }

    /// The latest published state: one index value per shard. O(1), never waits.
    public var snapshot: [VectorIndex] { published.withLock { $0.shards } }

    /// Bytes in the write-ahead logs beyond their headers, as last published.
    public var logBytes: Int64 { published.withLock { $0.logBytes } }

    /// The head commit's hash (hex), nil before the first checkpoint.
    public var headCommit: String? { published.withLock { $0.head } }

    /// The collection's stored settings: index parameters and shard count.
    public var configuration: IndexConfiguration { box.store.configuration.index }

    /// How many shards ids spread over.
    public var shardCount: Int { box.store.configuration.shardCount }

    /// Runs on `queue`: throws `.closed` once ``close()`` has released the store (a dropped
    /// collection's handle, or one of a closed client).
    private func ensureNotReleased() throws(SemblanceError) {
        if state.withLock({ $0.released }) {
            throw SemblanceError(.closed, "the collection at \(directory) is closed")
        }
    }

    /// Runs on `queue`: makes the store's state what readers see.
    private func publish() {
        let store = box.store
        published.withLock { $0 = Published(shards: store.shards, logBytes: store.logBytes, head: store.head?.hex) }
    }

    /// Live records in the latest snapshot.
    public var count: Int { snapshot.reduce(0) { $0 + $1.count } }

    /// Which shard holds `id`.
    public func shard(of id: String) -> Int { box.store.shard(of: id) }

    /// Adds or replaces records; returns once they are durable (per the durability mode)
    /// and visible to every search that starts afterwards.
    public func upsert(_ records: [(id: String, vector: [Float])]) async throws(SemblanceError) {
        _ = try await submit(.upsert(records.map { VectorRecord(id: $0.id, vector: $0.vector) }))
    }

    /// Adds or replaces records with their metadata (a record without metadata has none
    /// after the upsert).
    public func upsert(_ records: [VectorRecord]) async throws(SemblanceError) {
        _ = try await submit(.upsert(records))
    }

    /// Replaces the metadata of stored records (nil removes it), their vectors unchanged.
    /// Returns how many of the ids were stored; the others are left alone.
    @discardableResult
    public func setMetadata(_ changes: [(id: String, metadata: Metadata?)]) async throws(SemblanceError) -> Int {
        try await submit(.setMetadata(changes))
    }

    /// Deletes ids; returns how many existed.
    @discardableResult
    public func delete(_ ids: [String]) async throws(SemblanceError) -> Int {
        try await submit(.delete(ids))
    }

    /// Writes a commit now (after the writes already submitted).
    @discardableResult
    public func checkpoint(message: String = "checkpoint") async throws(SemblanceError) -> CheckpointResult {
        try await runOnQueue(queue) { [box, self] () throws(SemblanceError) in
            try ensureNotReleased()
            let result = try box.store.checkpoint(message: message)
            checkpointed()
            return result
        }
    }

    /// Rebuilds `shard` without its deleted vectors while writes go on.
    ///
    /// The shard's current value is rebuilt on a background thread; writes made meanwhile
    /// are journaled and replayed onto the new value before it is swapped in, so none is
    /// lost. Searches keep using published snapshots throughout. A persistent collection
    /// then checkpoints, so the compacted shard is what the next open reads.
    /// - Parameter progress: called with (records linked, records in all) from the
    ///   rebuilding thread.
    /// - Returns: the tombstones removed.
    @discardableResult
    public func compact(shard: Int, progress: (@Sendable (Int, Int) -> Void)? = nil) async throws(SemblanceError) -> Int {
        guard (0..<shardCount).contains(shard) else {
            throw SemblanceError(.invalidArgument, "shard \(shard) does not exist (\(shardCount) shards)")
        }
        let original = try await runOnQueue(queue) { [box, self] () throws(SemblanceError) in
            try ensureNotReleased()
            return try box.store.beginCompaction(of: shard)
        }
        // A failed rebuild is handled on the queue too: its journal must be abandoned.
        let rebuilt: Result<VectorIndex, SemblanceError>
        do {
            rebuilt = .success(try await runOnQueue(.global()) { () throws(SemblanceError) in
                try original.rebuiltWithoutDeletions(parallelism: ProcessInfo.processInfo.activeProcessorCount, progress: progress)
            })
        } catch {
            rebuilt = .failure(error)
        }
        try await runOnQueue(queue) { [box, self] () throws(SemblanceError) in
            switch rebuilt {
            case .success where state.withLock({ $0.released }):
                box.store.abandonCompaction(of: shard)
                try ensureNotReleased()
            case .success(let index):
                try box.store.finishCompaction(of: shard, rebuilt: index)
                publish()
                if box.store.persistent {
                    _ = try box.store.checkpoint(message: "compaction of shard \(shard)")
                    checkpointed()
                }
            case .failure(let error):
                box.store.abandonCompaction(of: shard)
                throw error
            }
        }
        return original.deletedCount
    }

    /// Runs on `queue` after a successful checkpoint: restarts the thresholds and publishes
    /// the new head.
    private func checkpointed() {
        state.withLock { $0.operationsSinceCheckpoint = 0; $0.lastCheckpoint = .now }
        publish()
    }

    /// Finishes queued work, syncs, and releases the directory.
    public func close() async {
        state.withLock { $0.closed = true }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { [self] in
                box.store.close()
                state.withLock { $0.released = true }
                continuation.resume()
            }
        }
    }

    private func submit(_ operation: Request.Operation) async throws(SemblanceError) -> Int {
        let result: Result<Int, SemblanceError> = await withCheckedContinuation { continuation in
            let request = Request(operation: operation) { continuation.resume(returning: $0) }
            let startDrain = state.withLock { s -> Bool? in
                if s.closed { return nil }
                s.pending.append(request)
                if s.draining { return false }
                s.draining = true
                return true
            }
            switch startDrain {
            case nil: request.done(.failure(SemblanceError(.closed, "the collection at \(directory) is closed")))
            case true?: queue.async { self.drain() }
            case false?: break
            }
        }
        return try result.get()
    }

    /// Runs on `queue`: takes every pending request and commits them as one group, until
    /// none are left.
    private func drain() {
        while true {
            let group = state.withLock { s -> [Request] in
                let taken = s.pending
                s.pending = []
                if taken.isEmpty { s.draining = false }
                return taken
            }
            if group.isEmpty { return }
            commit(group)
        }
    }

    private func commit(_ group: [Request]) {
        let store = box.store
        // Each request is checked on its own, so one bad request fails alone; the valid ones
        // share one frame per shard and one fsync, in the order they were submitted.
        var records: [LogRecord] = []
        var accepted: [(request: Request, range: Range<Int>)] = []
        for request in group {
            let start = records.count
            switch request.operation {
            case .upsert(let batch):
                if let error = store.check(batch) { request.done(.failure(error)); continue }
                records += batch.map { record in
                    record.metadata.map { .upsertWithMetadata(id: record.id, vector: record.vector, metadata: $0) }
                        ?? .upsert(id: record.id, vector: record.vector)
                }
            case .delete(let ids):
                if let error = store.check(ids) { request.done(.failure(error)); continue }
                records += ids.map { .delete(id: $0) }
            case .setMetadata(let changes):
                if let error = store.check(changes) { request.done(.failure(error)); continue }
                records += changes.map { .setMetadata(id: $0.id, metadata: $0.metadata) }
            }
            accepted.append((request, start..<records.count))
        }
        guard !accepted.isEmpty else { return }
        do {
            let effective = try store.write(records)
            publish()
            for (request, range) in accepted {
                request.done(.success(effective[range].filter { $0 }.count))
            }
            let due = state.withLock { s -> Bool in
                s.operationsSinceCheckpoint += records.count
                return store.persistent
                    && (s.operationsSinceCheckpoint >= policy.maxOperations || store.logBytes >= policy.maxLogBytes)
            }
            if due { checkpointInBackground() }
        } catch {
            for (request, _) in accepted { request.done(.failure(error)) }
        }
    }

    /// Runs on `queue`: a checkpoint that nobody waits for; a failure leaves the logs as
    /// they are (nothing is lost) and is retried at the next threshold.
    private func checkpointInBackground() {
        guard box.store.persistent else { return }
        if (try? box.store.checkpoint(message: "automatic checkpoint")) != nil { checkpointed() }
    }

    /// Every second, on the queue: the periodic mode's fsync and the age threshold.
    private func scheduleTimer() {
        queue.asyncAfter(deadline: .now() + 1) { [weak self] in
            guard let self else { return }
            let (closed, age, operations) = state.withLock { ($0.closed, ContinuousClock.now - $0.lastCheckpoint, $0.operationsSinceCheckpoint) }
            if closed { return }
            if case .periodic = durability { try? box.store.syncLogs() }
            if operations > 0 && age >= .milliseconds(Int64(min(policy.maxAgeSeconds, 1e9) * 1000)) {
                checkpointInBackground()
            }
            scheduleTimer()
        }
    }
}
