import Dispatch
import Foundation
import Synchronization

/// The engine of one collection (on disk or in memory), under ``VectorCollection``: many
/// tasks write to it at once.
///
/// Each shard is a ``ShardActor`` that owns the shard's index value and write-ahead log;
/// one ``CollectionWriter`` takes the queued writes in order. While one group of writes is
/// being logged, fsynced and applied (every shard's part by its own actor, in parallel), new
/// writes wait; the next group takes all of them at once, so concurrent writers share one
/// frame per shard and one fsync per shard (group commit). After a group, the shards' index
/// values are published as an immutable snapshot: readers take it without waiting for any
/// writer or actor. Checkpoints run between groups, when the ``CheckpointPolicy`` says so
/// or on demand; readers never wait for them.
final class CollectionEngine: Sendable {
    /// One queued piece of work for the writer.
    struct Request: Sendable {
        enum Work: Sendable {
            /// Checked records, in order, their largest size in a log frame, and what they
            /// need of the stored records: a group of these is committed together.
            case write([LogRecord], bytes: Int, WriteCondition)
            /// A commit of the branch's state; with `onlyIfChanged`, none when the logs are
            /// empty (the head is answered).
            case checkpoint(message: String, automatic: Bool, onlyIfChanged: Bool)
            /// Moves the branch to a commit, dropping its log.
            case reset(ObjectHash)
            /// Merges a commit into the branch.
            case merge(ObjectHash, MergeStrategy, message: String)
            case beginCompaction(Int)
            case finishCompaction(Int, Result<VectorIndex, SemblanceError>)
            /// The periodic fsync and the checkpoint age threshold.
            case tick
            case close
        }
        let work: Work
        let done: @Sendable (Result<Outcome, SemblanceError>) -> Void
    }

    /// What a request answers.
    enum Outcome: Sendable {
        /// A write: how many of its records changed something.
        case changed(Int)
        /// The branch's head after a checkpoint, merge or reset, and what writing it cost.
        case commit(ObjectHash, PageWriteStatistics)
        case index(VectorIndex)
    }

    private struct State {
        var pending: [Request] = []
        var draining = false
        /// No new work is taken once ``close()`` starts.
        var closed = false
    }

    private let writer: CollectionWriter
    private let state = Mutex(State())
    /// The periodic fsync and the checkpoint age threshold, when either applies.
    private let timer = Mutex<Task<Void, Never>?>(nil)
    private let published: Mutex<Published>
    /// What readers see without waiting: set after every group of writes, checkpoint and
    /// compaction.
    private struct Published {
        var shards: [VectorIndex]
        var logBytes: Int64
        var head: ObjectHash?
    }
    /// When checkpoints run by themselves.
    let policy: CheckpointPolicy
    /// When acknowledged writes reach the disk.
    let durability: Durability
    /// The collection's directory (":memory:" for an in-memory one).
    let directory: String
    /// False for an in-memory collection.
    let isPersistent: Bool
    let stored: StoredConfiguration
    /// What opening found and dropped: torn log tails (bytes), and frames of groups of
    /// writes that did not reach every shard they span.
    let droppedTornBytes: Int64
    let droppedFrames: Int

    /// The collection's directory, settings and refs, shared by its open branches.
    let files: CollectionFiles
    /// The branch this engine writes to.
    let branch: String
    /// A branch opened read-only reads its files again through this; nil for a writer.
    private let reader: BranchReader?
    /// Held while a refresh reads and publishes, so that states are published in order.
    private let refreshing = Mutex(())
    /// When the read of the published state began (it was the branch's newest then).
    private let freshAsOf: Mutex<ContinuousClock.Instant>

    private init(_ opened: CollectionStore.Opened) {
        let store = opened.store
        files = store.files
        branch = store.branch
        let indexes = opened.shards.map(\.index)
        let logBytes = opened.shards.map(\.logBytes)
        reader = opened.reader?.0
        freshAsOf = Mutex(opened.reader?.readBegan ?? .now)
        published = Mutex(Published(shards: indexes, logBytes: opened.reader?.logBytes ?? logBytes.reduce(0, +), head: store.head))
        isPersistent = store.persistent
        stored = store.configuration
        policy = store.persistent && opened.reader == nil ? stored.checkpointPolicy : .manual
        durability = stored.durability
        directory = store.directory
        droppedTornBytes = opened.droppedTornBytes
        droppedFrames = opened.droppedFrames
        let actors = opened.shards.map { ShardActor(ShardHandover(store: $0)) }
        writer = CollectionWriter(store: CollectionWriter.StoreBox(store: store), shards: actors, indexes: indexes,
                                  logBytes: logBytes, nextGroup: opened.nextGroup, policy: policy)
        let periodic = if case .periodic = durability { true } else { false }
        if store.persistent && opened.reader == nil && (periodic || policy.maxAgeSeconds.isFinite) { startTimer() }
    }

    /// Creates a new collection in `directory` (created if missing; it must not hold one),
    /// open on its `main` branch.
    static func create(_ fs: any FileSystem, directory: String, configuration: CollectionConfiguration) throws(SemblanceError) -> CollectionEngine {
        try open(CollectionFiles.create(fs, directory: directory, configuration: configuration), branch: CollectionFiles.mainBranch)
    }

    /// Opens the `main` branch of the collection in `directory`.
    static func open(_ fs: any FileSystem, directory: String) throws(SemblanceError) -> CollectionEngine {
        try open(CollectionFiles.open(fs, directory: directory), branch: CollectionFiles.mainBranch)
    }

    /// Opens `branch` of a collection: its head commit's pages plus the logs after it.
    /// - Throws: `.invalidArgument` when the branch is open in this process already.
    static func open(_ files: CollectionFiles, branch requested: String) throws(SemblanceError) -> CollectionEngine {
        // Names are one without regard to case: the branch as its ref spells it. Registered
        // under the ref lock, so that a deletion of the branch either comes first (and the
        // open finds no ref) or sees it open (and refuses).
        let (branch, registered) = try files.changingRefs { () throws(SemblanceError) -> (String, Bool) in
            var branch = requested
            if let match = try files.refs.existing(requested), match.kind == .branch { branch = match.name }
            return (branch, files.register(branch))
        }
        guard registered else {
            throw SemblanceError(.invalidArgument, "branch \(branch.debugDescription) is open already", path: files.directory)
        }
        do {
            let engine = CollectionEngine(try CollectionStore.open(files, branch: branch))
            files.attach(engine)
            return engine
        } catch {
            files.unregister(branch)
            throw error
        }
    }

    /// An in-memory collection: the same operations, no files, nothing survives the process.
    static func inMemory(_ configuration: CollectionConfiguration) throws(SemblanceError) -> CollectionEngine {
        CollectionEngine(try CollectionStore.inMemory(CollectionFiles.inMemory(configuration)))
    }

    /// The stored settings, as a client-level configuration.
    var collectionConfiguration: CollectionConfiguration { stored.collectionConfiguration }

    /// The latest published state: one index value per shard. O(1), never waits.
    var snapshot: [VectorIndex] { published.withLock { $0.shards } }

    /// Bytes in the write-ahead logs beyond their headers, as last published.
    var logBytes: Int64 { published.withLock { $0.logBytes } }

    /// The branch's head commit, nil before the first checkpoint.
    var head: ObjectHash? { published.withLock { $0.head } }

    /// The latest published state and the head commit it continues from, taken together.
    var snapshotAndHead: ([VectorIndex], ObjectHash?) { published.withLock { ($0.shards, $0.head) } }

    /// The head commit's hash (hex), nil before the first checkpoint.
    var headCommit: String? { head?.hex }

    /// The collection's stored settings: index parameters and shard count.
    var configuration: IndexConfiguration { stored.index }

    /// How many shards ids spread over.
    var shardCount: Int { stored.shardCount }

    /// Live records in the latest snapshot.
    var count: Int { snapshot.reduce(0) { $0 + $1.count } }

    /// Which shard holds `id`.
    func shard(of id: String) -> Int { ShardRouting.shard(of: id, shardCount: stored.shardCount) }

    /// The writer's: makes a new state what readers see.
    func publish(shards: [VectorIndex], logBytes: Int64, head: ObjectHash?) {
        published.withLock { $0 = Published(shards: shards, logBytes: logBytes, head: head) }
    }

    // MARK: Writes

    /// Adds or replaces records with their metadata (a record without metadata has none
    /// after the upsert).
    func upsert(_ records: [VectorRecord]) async throws(SemblanceError) {
        try await write(records, .none)
    }

    /// Adds records whose ids are not stored; when some are, throws `.idExists` naming them
    /// and writes nothing.
    func insert(_ records: [VectorRecord]) async throws(SemblanceError) {
        try await write(records, .idsAbsent)
    }

    /// Checks whole records, then logs each as an upsert (with its metadata, if any).
    private func write(_ records: [VectorRecord], _ condition: WriteCondition) async throws(SemblanceError) {
        if let error = WriteChecks.check(records, configuration: stored.index) { throw error }
        _ = try await write(records.map { record in
            record.metadata.map { .upsertWithMetadata(id: record.id, vector: record.vector, metadata: $0) }
                ?? .upsert(id: record.id, vector: record.vector)
        }, condition)
    }

    /// Replaces the vectors of stored records, keeping their metadata; when an id is not
    /// stored, throws `.unknownID` and writes nothing.
    func updateVectors(_ changes: [(id: String, vector: [Float])]) async throws(SemblanceError) {
        if let error = WriteChecks.check(changes.map { VectorRecord(id: $0.id, vector: $0.vector) }, configuration: stored.index) { throw error }
        _ = try await write(changes.map { .upsert(id: $0.id, vector: $0.vector) }, .idsStoredKeepingMetadata)
    }

    /// Deletes ids; returns how many existed.
    @discardableResult
    func delete(_ ids: [String]) async throws(SemblanceError) -> Int {
        if let error = WriteChecks.check(ids) { throw error }
        return try await write(ids.map { .delete(id: $0) })
    }

    /// Replaces the metadata of stored records (nil removes it), their vectors unchanged.
    /// Returns how many of the ids were stored; the others are left alone.
    @discardableResult
    func setMetadata(_ changes: [(id: String, metadata: Metadata?)]) async throws(SemblanceError) -> Int {
        if let error = WriteChecks.check(changes) { throw error }
        return try await write(changes.map { .setMetadata(id: $0.id, metadata: $0.metadata) })
    }

    private func write(_ records: [LogRecord], _ condition: WriteCondition = .none) async throws(SemblanceError) -> Int {
        // One frame per shard holds at most 64 MiB of records: a larger call is refused here,
        // before anything is queued (the writer never groups calls past that size). A
        // change of vectors may take on stored metadata: counted at its largest.
        let kept = if case .idsStoredKeepingMetadata = condition { records.count * MetadataLimits.maximumBytes } else { 0 }
        let bytes = records.reduce(kept) { $0 + $1.encodedSize }
        guard bytes <= LogFormat.maximumFrameBytes else {
            throw SemblanceError(.invalidArgument,
                "a batch of \(bytes) bytes is over the limit of \(LogFormat.maximumFrameBytes) bytes of one write; write it in smaller batches")
        }
        guard case .changed(let count) = try await submit(.write(records, bytes: bytes, condition)) else { preconditionFailure("a write answers a count") }
        return count
    }

    // MARK: Maintenance

    /// Writes a commit now (after the writes already submitted). With `onlyIfChanged`,
    /// nothing is written when the logs hold nothing since the head, which is answered.
    @discardableResult
    func checkpoint(message: String = "checkpoint", automatic: Bool = true, onlyIfChanged: Bool = false) async throws(SemblanceError) -> (ObjectHash, PageWriteStatistics) {
        guard case .commit(let hash, let statistics) = try await submit(.checkpoint(message: message, automatic: automatic, onlyIfChanged: onlyIfChanged)) else {
            preconditionFailure("a checkpoint answers its commit")
        }
        return (hash, statistics)
    }

    /// Moves this branch to `commit` (any commit of the collection), dropping its log.
    func reset(to commit: ObjectHash) async throws(SemblanceError) {
        _ = try await submit(.reset(commit))
    }

    /// Merges `source` into this branch; answers the branch's new head.
    func merge(_ source: ObjectHash, strategy: MergeStrategy, message: String) async throws(SemblanceError) -> ObjectHash {
        guard case .commit(let hash, _) = try await submit(.merge(source, strategy, message: message)) else {
            preconditionFailure("a merge answers its commit")
        }
        return hash
    }

    /// Rebuilds `shard` without its deleted vectors while writes go on.
    ///
    /// The shard's current value is rebuilt on a background thread; writes made meanwhile
    /// are journaled by the shard's actor and replayed onto the new value before it is
    /// swapped in, so none is lost. Searches keep using published snapshots throughout. A
    /// persistent collection then checkpoints, so the compacted shard is what the next open
    /// reads.
    /// - Parameter progress: called with (records linked, records in all) from the
    ///   rebuilding thread.
    /// - Returns: the tombstones removed.
    @discardableResult
    func compact(shard: Int, progress: (@Sendable (Int, Int) -> Void)? = nil) async throws(SemblanceError) -> Int {
        guard (0..<shardCount).contains(shard) else {
            throw SemblanceError(.invalidArgument, "shard \(shard) does not exist (\(shardCount) shards)")
        }
        guard case .index(let original) = try await submit(.beginCompaction(shard)) else { preconditionFailure("begin answers the index") }
        // A failed rebuild goes to the writer too: the shard's journal must be abandoned.
        let rebuilt: Result<VectorIndex, SemblanceError>
        do {
            rebuilt = .success(try await runOnQueue(.global()) { () throws(SemblanceError) in
                try original.rebuiltWithoutDeletions(parallelism: ProcessInfo.processInfo.activeProcessorCount, progress: progress)
            })
        } catch {
            rebuilt = .failure(error)
        }
        _ = try await submit(.finishCompaction(shard, rebuilt))
        return original.deletedCount
    }

    /// True once `close()` has begun: no more work is taken.
    var isClosed: Bool { state.withLock { $0.closed } }

    // MARK: Reading only

    /// Whether this branch was opened read-only: every change is refused with `.readOnly`.
    var isReadOnly: Bool { reader != nil }

    /// A read-only branch: reads the branch's newest state from its files and publishes it.
    /// Returns whether the head commit or the logged bytes changed; a writer's engine has
    /// its newest state already and returns false.
    @discardableResult
    func refresh() throws(SemblanceError) -> Bool {
        guard let reader else { return false }
        return try refreshing.withLock { (_) throws(SemblanceError) -> Bool in
            if isClosed { throw SemblanceError.collectionClosed(directory) }
            // A lapsed lease: what was cached may have been collected; reload from the head.
            if let lease = files.lease, lease.hasLapsed {
                lease.restart()
                reader.forget()
            }
            let view = try reader.read()
            // Closed meanwhile: the handle keeps the state it had.
            if isClosed { throw SemblanceError.collectionClosed(directory) }
            files.lease?.hold(branch: branch, head: view.head)
            let changed = published.withLock { $0.head != view.head || $0.logBytes != view.logBytes }
            publish(shards: view.shards, logBytes: view.logBytes, head: view.head)
            freshAsOf.withLock { $0 = view.readBegan }
            return changed
        }
    }

    /// A read-only branch: how long ago the state it serves was the branch's newest (it may
    /// have been overtaken since); nil for a writer's.
    var staleness: Duration? {
        guard reader != nil else { return nil }
        return ContinuousClock.now - freshAsOf.withLock { $0 }
    }

    /// Finishes queued work, syncs, and releases the directory.
    func close() async {
        timer.withLock { $0?.cancel() }
        let result: Result<Outcome, SemblanceError> = await withCheckedContinuation { continuation in
            let request = Request(work: .close) { continuation.resume(returning: $0) }
            enqueue(request, evenIfClosed: true)
            state.withLock { $0.closed = true }
        }
        _ = result
    }

    // MARK: The queue

    private func submit(_ work: Request.Work) async throws(SemblanceError) -> Outcome {
        if reader != nil { throw SemblanceError.readOnly(directory, Self.describe(work)) }
        let result: Result<Outcome, SemblanceError> = await withCheckedContinuation { continuation in
            enqueue(Request(work: work) { continuation.resume(returning: $0) }, evenIfClosed: false)
        }
        return try result.get()
    }

    /// What a request is, for an error's message.
    private static func describe(_ work: Request.Work) -> String {
        switch work {
        case .write: "a write"
        case .checkpoint: "a checkpoint"
        case .reset: "a reset"
        case .merge: "a merge"
        case .beginCompaction, .finishCompaction: "a compaction"
        case .tick, .close: "the writer"
        }
    }

    /// Queues `request`, and starts the writer's drain when none is running.
    private func enqueue(_ request: Request, evenIfClosed: Bool) {
        let startDrain = state.withLock { s -> Bool? in
            if s.closed && !evenIfClosed { return nil }
            s.pending.append(request)
            if s.draining { return false }
            s.draining = true
            return true
        }
        switch startDrain {
        case nil: request.done(.failure(.collectionClosed(directory)))
        case true?: Task { await writer.drain(self) }
        case false?: break
        }
    }

    /// The writer's: every queued request, in order; when none is left the drain ends.
    func takePending() -> [Request] {
        state.withLock { s -> [Request] in
            let taken = s.pending
            s.pending = []
            if taken.isEmpty { s.draining = false }
            return taken
        }
    }

    /// Every second, until the collection closes: the periodic mode's fsync and the age
    /// threshold of the checkpoint policy.
    private func startTimer() {
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                guard let self, !Task.isCancelled, !state.withLock({ $0.closed }) else { return }
                enqueue(Request(work: .tick) { _ in }, evenIfClosed: false)
            }
        }
        timer.withLock { $0 = task }
    }
}
