import Foundation

/// The stored form of a collection's settings: `<collection>/config.json`, written once.
struct StoredCollectionConfiguration: Codable, Equatable, Sendable {
    static let formatVersion = 1
    var format: Int
    var index: IndexConfiguration
    var shardCount: Int
    /// The settings a client chose at creation (absent in files written before them, and
    /// for collections created below the client).
    var settings: StoredSettings? = nil

    struct StoredSettings: Codable, Equatable, Sendable {
        var durability: Durability
        var checkpointPolicy: CheckpointPolicy
        var compactionThreshold: Double
    }

    /// The client-level view: index parameters, shard count and settings (defaults where
    /// none are stored).
    var collectionConfiguration: CollectionConfiguration {
        let defaults = CollectionConfiguration(dimension: index.dimension)
        return CollectionConfiguration(
            dimension: index.dimension, metric: index.metric, shardCount: shardCount, m: index.m,
            efConstruction: index.efConstruction, defaultEf: index.defaultEf,
            durability: settings?.durability ?? defaults.durability,
            checkpointPolicy: settings?.checkpointPolicy ?? defaults.checkpointPolicy,
            compactionThreshold: settings?.compactionThreshold ?? defaults.compactionThreshold)
    }

    /// JSON with infinite thresholds written as strings (`CheckpointPolicy.manual`).
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}

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

/// One collection on disk: its shards' indexes in memory, a write-ahead log per shard, and
/// content-addressed snapshots with commits. Synchronous and single-owner: a test drives it
/// directly, or a ``DurableCollection`` opens it, hands its shards to shard actors and keeps
/// it for the directory's lock and the commits.
///
/// Layout under `directory`:
///
///     LOCK                     exclusive flock while open
///     config.json              dimension, metric, parameters, shard count, format version
///     objects/ab/cdef…         page objects and commits, named by SHA-256
///     refs/heads/main          the head commit's hash
///     wal/main/shard-<n>.log   each shard's log since the head commit
///
/// Write order: a change goes to its shard's log (and is fsynced, under `.durable`) before it
/// is applied and acknowledged. A checkpoint writes pages, then the commit, then the ref,
/// then replaces the logs with empty ones; each step is durable before the next begins, and
/// reopening after a crash at any point finds the last ref and replays what the logs hold
/// beyond it (records at or below a shard's `appliedSequence` are skipped).
final class CollectionStore {
    let fs: any FileSystem
    let directory: String
    let configuration: StoredCollectionConfiguration
    let durability: Durability
    /// Each shard's index, log and compaction journal; empty once handed to shard actors
    /// (``takeShards()``).
    private(set) var parts: [ShardStore]
    private(set) var head: ObjectHash?
    /// Commit objects known to be durable (each shard keeps its own set of pages).
    private var durableCommits = Set<ObjectHash>()
    private let lock: DirectoryLock?
    /// False for an in-memory collection: nothing is logged, checkpoints are refused.
    let persistent: Bool
    /// Torn log tails dropped while opening, in bytes.
    private(set) var droppedTornBytes: Int64 = 0
    /// Set by a failed write or checkpoint: the files may then hold changes the memory does
    /// not (one shard's frame written, another's failed), so nothing more is accepted until
    /// the collection is reopened and reads the files again.
    private(set) var failure: SemblanceError?

    private func ensureWritable() throws(SemblanceError) {
        if let failure { throw failure }
    }

    private func poison(_ error: SemblanceError) -> SemblanceError {
        failure = .storageFailed(directory, after: error)
        return error
    }

    var objects: ObjectStore { ObjectStore(fs: fs, directory: directory + "/objects") }
    var refs: Refs { Refs(fs: fs, directory: directory + "/refs") }
    func logPath(_ shard: Int) -> String { directory + "/wal/main/shard-\(shard).log" }

    private init(fs: any FileSystem, directory: String, configuration: StoredCollectionConfiguration,
                 durability: Durability, shards: [VectorIndex], logs: [LogWriter], head: ObjectHash?, lock: FileHandleID?,
                 persistent: Bool = true) {
        self.persistent = persistent
        self.fs = fs
        self.directory = directory
        self.configuration = configuration
        self.durability = durability
        let directoryLock = lock.map { DirectoryLock(fs: fs, handle: $0) }
        parts = shards.indices.map { shard in
            ShardStore(shard: shard, index: shards[shard], log: persistent ? logs[shard] : nil, fs: fs,
                       logPath: directory + "/wal/main/shard-\(shard).log", lock: directoryLock)
        }
        self.head = head
        self.lock = directoryLock
    }

    /// Each shard's index value.
    var shards: [VectorIndex] { parts.map(\.index) }

    /// Gives the shards (index, log, journal) to their new owner, the shard actors of a
    /// ``DurableCollection``; this store keeps the directory, its lock and the commits.
    func takeShards() -> [ShardStore] {
        defer { parts = [] }
        return parts
    }

    // The lock goes with its last holder: this store, or the last of its shards if they
    // were handed to actors that outlive it.
    deinit { for part in parts { part.close() } }

    /// A collection that lives in memory only: the same checks and operations, no files.
    static func inMemory(index: IndexConfiguration, shardCount: Int) throws(SemblanceError) -> CollectionStore {
        try index.validate()
        try validate(shardCount: shardCount)
        let stored = StoredCollectionConfiguration(format: StoredCollectionConfiguration.formatVersion, index: index, shardCount: shardCount)
        let shards = try (0..<shardCount).map { (_) throws(SemblanceError) in try VectorIndex(index) }
        return CollectionStore(fs: PosixFileSystem(), directory: ":memory:", configuration: stored, durability: .none,
                               shards: shards, logs: [], head: nil, lock: nil, persistent: false)
    }

    static func validate(shardCount: Int) throws(SemblanceError) {
        guard (1...256).contains(shardCount) else {
            throw SemblanceError(.invalidConfiguration, "shard count must be between 1 and 256, got \(shardCount)")
        }
    }

    /// Creates a new, empty collection in `directory` (which must not hold one).
    static func create(
        _ fs: any FileSystem, directory: String, index: IndexConfiguration, shardCount: Int,
        durability: Durability = .durable, settings: StoredCollectionConfiguration.StoredSettings? = nil
    ) throws(SemblanceError) -> CollectionStore {
        try index.validate()
        try validate(shardCount: shardCount)
        try createDurably(fs, directory)
        let lock = try fs.lockExclusively(directory + "/LOCK")
        do throws(SemblanceError) {
            guard !fs.fileExists(directory + "/config.json") else {
                throw SemblanceError(.invalidArgument, "\(directory) already holds a collection")
            }
            for folder in ["objects", "refs/heads", "wal/main"] { try fs.createDirectory(directory + "/" + folder) }
            try fs.syncDirectory(directory + "/wal")
            try fs.syncDirectory(directory + "/refs")
            var logs: [LogWriter] = []
            for shard in 0..<shardCount {
                logs.append(try LogWriter.create(fs, path: directory + "/wal/main/shard-\(shard).log", shard: UInt32(shard), startSequence: 1))
            }
            let stored = StoredCollectionConfiguration(format: StoredCollectionConfiguration.formatVersion, index: index,
                                                       shardCount: shardCount, settings: settings)
            guard let encoded = try? StoredCollectionConfiguration.encoder.encode(stored) else {
                throw SemblanceError(.invalidConfiguration, "the collection configuration could not be encoded")
            }
            try fs.writeFileAtomically(directory + "/config.json", Array(encoded))
            let shards = try (0..<shardCount).map { (_) throws(SemblanceError) in try VectorIndex(index) }
            return CollectionStore(fs: fs, directory: directory, configuration: stored, durability: durability,
                                   shards: shards, logs: logs, head: nil, lock: lock)
        } catch {
            fs.close(lock)
            throw error
        }
    }

    /// Creates `directory` and any missing parents, fsyncing the parent of each folder it
    /// creates: a new folder's entry is durable only once its parent is synced.
    private static func createDurably(_ fs: any FileSystem, _ directory: String) throws(SemblanceError) {
        var missing: [String] = []
        var path = directory
        while !fs.fileExists(path) && path != "/" && path != "." && !path.isEmpty {
            missing.append(path)
            path = Path.directory(of: path)
        }
        try fs.createDirectory(directory)
        for created in missing.reversed() { try fs.syncDirectory(Path.directory(of: created)) }
    }

    /// Opens the collection in `directory`: the head commit's pages, then each log's records
    /// after it. Nothing of the graph is rebuilt.
    /// - Throws: `.locked` when another process has it open; `.corruptFile` or
    ///   `.unsupportedFormatVersion` naming the damaged file and offset.
    /// - Parameter requested: the durability mode; nil uses the one stored at creation.
    static func open(_ fs: any FileSystem, directory: String, durability requested: Durability? = nil) throws(SemblanceError) -> CollectionStore {
        guard fs.fileExists(directory + "/config.json") else {
            throw SemblanceError(.invalidArgument, "\(directory) holds no collection (no config.json)")
        }
        let lock = try fs.lockExclusively(directory + "/LOCK")
        do throws(SemblanceError) {
            let configuration = try readConfiguration(fs, directory: directory)
            let durability = requested ?? configuration.settings?.durability ?? .durable
            let objects = ObjectStore(fs: fs, directory: directory + "/objects")
            let refs = Refs(fs: fs, directory: directory + "/refs")
            let head = try refs.head("main")
            var shards: [VectorIndex]
            if let head {
                let commitPath = objects.path(of: head)
                let commit = try CommitObject.decode(try objects.get(head), file: commitPath)
                guard commit.shards.count == configuration.shardCount, commit.configuration == configuration.index else {
                    throw SemblanceError(.corruptFile, "\(commitPath): commit does not match config.json (shards or parameters) at byte offset 0")
                }
                shards = try commit.shards.map { (manifest) throws(SemblanceError) in
                    try VectorIndex.readPages(manifest, configuration: configuration.index, store: objects)
                }
                let applied = commit.shards.map(\.appliedSequence)
                let store = try finishOpening(fs, directory, configuration, durability, &shards, applied: applied, head: head, lock: lock)
                for (part, manifest) in zip(store.parts, commit.shards) { part.trustDurable(manifest.allObjects) }
                store.durableCommits = [head]
                return store
            }
            shards = try (0..<configuration.shardCount).map { (_) throws(SemblanceError) in try VectorIndex(configuration.index) }
            return try finishOpening(fs, directory, configuration, durability, &shards,
                                     applied: Array(repeating: 0, count: configuration.shardCount), head: nil, lock: lock)
        } catch {
            fs.close(lock)
            throw error
        }
    }

    private static func finishOpening(
        _ fs: any FileSystem, _ directory: String, _ configuration: StoredCollectionConfiguration,
        _ durability: Durability, _ shards: inout [VectorIndex], applied: [UInt64], head: ObjectHash?, lock: FileHandleID
    ) throws(SemblanceError) -> CollectionStore {
        // Read and replay every log before changing any file, so that a damaged or newer file
        // anywhere leaves the directory exactly as it was found.
        var contents: [LogContents] = []
        for shard in 0..<configuration.shardCount {
            let path = directory + "/wal/main/shard-\(shard).log"
            guard fs.fileExists(path) else {
                throw SemblanceError(.corruptFile, "\(path): the write-ahead log of shard \(shard) is missing, at byte offset 0")
            }
            let log = try LogReader.read(fs, path: path, maximumDimension: configuration.index.dimension)
            guard log.header.shard == UInt32(shard) else {
                throw SemblanceError(.corruptFile, "\(path): log of shard \(log.header.shard) in the place of shard \(shard), at byte offset 12")
            }
            guard applied[shard] < UInt64.max, log.header.startSequence <= applied[shard] + 1 else {
                throw SemblanceError(.corruptFile, "\(path): log starts at sequence \(log.header.startSequence) but the head commit ends at \(applied[shard]): records are missing, at byte offset 16")
            }
            for batch in log.batches {
                for (i, record) in batch.records.enumerated() where batch.firstSequence + UInt64(i) > applied[shard] {
                    do {
                        try ShardStore.replay(record, to: &shards[shard])
                    } catch {
                        throw SemblanceError(.corruptFile, "\(path): record \(batch.firstSequence + UInt64(i)) cannot be applied (\(error.message))")
                    }
                }
            }
            contents.append(log)
        }
        try removeTemporaryFiles(fs, directory: directory)
        var logs: [LogWriter] = []
        var dropped: Int64 = 0
        for shard in 0..<configuration.shardCount {
            let path = directory + "/wal/main/shard-\(shard).log"
            dropped += contents[shard].tornTailBytes
            if contents[shard].nextSequence <= applied[shard] {
                // The log ends before the head commit (a checkpoint's ref became durable but the
                // log's unsynced tail did not): everything in it is in the commit. Start a new
                // log after the commit, or new writes would reuse sequence numbers the commit
                // already covers and be skipped on the next open.
                logs.append(try LogWriter.create(fs, path: path, shard: UInt32(shard), startSequence: applied[shard] + 1))
            } else {
                logs.append(try LogWriter.open(fs, path: path, after: contents[shard]))
            }
        }
        let store = CollectionStore(fs: fs, directory: directory, configuration: configuration, durability: durability,
                                    shards: shards, logs: logs, head: head, lock: lock)
        store.droppedTornBytes = dropped
        return store
    }

    private static func readConfiguration(_ fs: any FileSystem, directory: String) throws(SemblanceError) -> StoredCollectionConfiguration {
        let path = directory + "/config.json"
        let bytes = try fs.readFile(path)
        struct Versioned: Decodable { var format: Int }
        guard let version = try? JSONDecoder().decode(Versioned.self, from: Data(bytes)) else {
            throw SemblanceError(.corruptFile, "\(path): not a Semblance collection configuration at byte offset 0")
        }
        guard (1...StoredCollectionConfiguration.formatVersion).contains(version.format) else {
            throw SemblanceError(.unsupportedFormatVersion, "\(path): collection format \(version.format) is newer than this Semblance reads (\(StoredCollectionConfiguration.formatVersion))")
        }
        do {
            let configuration = try StoredCollectionConfiguration.decoder.decode(StoredCollectionConfiguration.self, from: Data(bytes))
            try configuration.index.validate()
            return configuration
        } catch {
            throw SemblanceError(.corruptFile, "\(path): invalid collection configuration (\(error)) at byte offset 0")
        }
    }

    /// Removes the temp files an interrupted atomic write left behind.
    private static func removeTemporaryFiles(_ fs: any FileSystem, directory: String) throws(SemblanceError) {
        var folders = [directory, directory + "/refs/heads", directory + "/wal/main", directory + "/objects"]
        if fs.fileExists(directory + "/objects") {
            folders += try fs.contentsOfDirectory(directory + "/objects").filter { $0.count == 2 }.map { directory + "/objects/" + $0 }
        }
        for folder in folders where fs.fileExists(folder) {
            for name in try fs.contentsOfDirectory(folder) where name.hasPrefix(".tmp-") {
                try fs.remove(folder + "/" + name)
            }
        }
    }

    // MARK: Writes

    /// The shard that owns `id`.
    func shard(of id: String) -> Int { ShardRouting.shard(of: id, shardCount: configuration.shardCount) }

    /// Durably adds or replaces records; all are checked before anything is logged.
    func upsert(_ records: [(id: String, vector: [Float])]) throws(SemblanceError) {
        if let error = check(records) { throw error }
        _ = try write(records.map { LogRecord.upsert(id: $0.id, vector: $0.vector) })
    }

    /// Durably deletes `ids`; returns how many existed.
    @discardableResult
    func delete(_ ids: [String]) throws(SemblanceError) -> Int {
        if let error = check(ids) { throw error }
        return try write(ids.map { LogRecord.delete(id: $0) }).filter { $0 }.count
    }

    /// Why `records` cannot be upserted as one batch, or nil when they can.
    func check(_ records: [(id: String, vector: [Float])]) -> SemblanceError? {
        WriteChecks.check(records.map { VectorRecord(id: $0.id, vector: $0.vector) }, configuration: configuration.index)
    }

    /// Why `ids` cannot be deleted, or nil when they can.
    func check(_ ids: [String]) -> SemblanceError? { WriteChecks.check(ids) }

    /// Logs checked records in order (each shard's as one frame), syncs as the durability
    /// mode asks, then applies them. Deletes of ids that do not exist at their point in the
    /// sequence are not logged.
    /// - Returns: for each record, whether it changed something (a delete of an existing id,
    ///   or any upsert).
    func write(_ records: [LogRecord]) throws(SemblanceError) -> [Bool] {
        try ensureWritable()
        let (perShard, positions) = ShardRouting.split(records, shardCount: parts.count)
        var effective = [Bool](repeating: false, count: records.count)
        var logged = [[LogRecord]](repeating: [], count: parts.count)
        for (shard, part) in parts.enumerated() where !perShard[shard].isEmpty {
            let admitted = part.admit(perShard[shard])
            logged[shard] = admitted.logged
            for (k, changed) in admitted.effective.enumerated() { effective[positions[shard][k]] = changed }
        }
        if persistent {
            try log(logged)
        }
        applyInParallel(logged)
        return effective
    }

    /// Appends each shard's records as one frame, then syncs as the durability mode asks.
    /// Sequential on purpose: one fixed order of I/O calls is what the power-loss tests
    /// enumerate. (A ``DurableCollection`` logs through its shard actors instead, each
    /// shard on its own thread.)
    private func log(_ perShard: [[LogRecord]]) throws(SemblanceError) {
        do {
            for (shard, records) in perShard.enumerated() where !records.isEmpty {
                try parts[shard].append(records)
            }
            for part in parts where part.hasUnsyncedWrites && part.syncIsDue(durability) { try part.sync() }
        } catch {
            throw poison(error)
        }
    }

    /// Applies checked records to their shards, the shards in parallel; a run of upserts of
    /// new ids is linked into its shard's graph by several threads when cores are free.
    private func applyInParallel(_ perShard: [[LogRecord]]) {
        let busy = perShard.indices.filter { !perShard[$0].isEmpty }
        guard !busy.isEmpty else { return }
        let threadsPerShard = max(1, ProcessInfo.processInfo.activeProcessorCount / busy.count)
        // Each thread touches only its own shard's store.
        let parts = UncheckedSendable(self.parts)
        let work = { @Sendable (i: Int) in
            let shard = busy[i]
            parts.value[shard].apply(perShard[shard], parallelism: threadsPerShard)
        }
        if busy.count == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: busy.count, execute: work) }
    }

    /// fsyncs every log with unsynced writes (the periodic mode's timer calls this).
    func syncLogs() throws(SemblanceError) {
        try ensureWritable()
        do {
            for part in parts { try part.sync() }
        } catch {
            throw poison(error)
        }
    }

    // MARK: Compaction

    /// Starts a compaction of `shard`: from now on its writes are also journaled. Returns the
    /// shard's current value, which the compaction rebuilds without its tombstones.
    func beginCompaction(of shard: Int) throws(SemblanceError) -> VectorIndex {
        try ensureWritable()
        return try parts[shard].beginCompaction()
    }

    /// Replays the writes made since ``beginCompaction(of:)`` onto `rebuilt` and swaps it in.
    func finishCompaction(of shard: Int, rebuilt: VectorIndex) throws(SemblanceError) {
        try ensureWritable()
        try parts[shard].finishCompaction(rebuilt: rebuilt)
    }

    /// Stops journaling after a compaction that failed or was cancelled.
    func abandonCompaction(of shard: Int) { parts[shard].abandonCompaction() }

    // MARK: Checkpoints

    /// Writes a commit of the current state (pages, commit, ref), then starts empty logs.
    @discardableResult
    func checkpoint(message: String = "checkpoint") throws(SemblanceError) -> CheckpointResult {
        try ensureWritable()
        guard persistent else {
            throw SemblanceError(.invalidArgument, "an in-memory collection has no files to checkpoint")
        }
        do {
            return try writeCheckpoint(message: message)
        } catch {
            throw poison(error)
        }
    }

    private func writeCheckpoint(message: String) throws(SemblanceError) -> CheckpointResult {
        var statistics = PageWriteStatistics()
        var manifests: [ShardManifest] = []
        for part in parts {
            let (manifest, written) = try part.writePages(to: objects)
            manifests.append(manifest)
            statistics.add(written)
        }
        let hash = try writeCommit(manifests, message: message)
        for part in parts { try part.startNewLog() }
        return CheckpointResult(commit: hash.hex, objects: statistics.objects, bytes: statistics.bytes,
                                objectsWritten: statistics.objectsWritten, bytesWritten: statistics.bytesWritten)
    }

    /// The middle of a checkpoint, once every shard's pages are durable: the commit object
    /// naming them, then the ref that makes it the head. The shards start new logs after it.
    func writeCommit(_ manifests: [ShardManifest], message: String) throws(SemblanceError) -> ObjectHash {
        let commit = CommitObject(
            format: CommitObject.formatVersion, parents: head.map { [$0] } ?? [],
            time: Date().timeIntervalSince1970, message: message, configuration: configuration.index,
            shards: manifests, liveCount: manifests.reduce(0) { $0 + $1.liveCount },
            nodeCount: manifests.reduce(0) { $0 + $1.nodeCount })
        let (hash, _) = try objects.put(try commit.encoded(), durable: &durableCommits)
        try refs.setHead("main", to: hash)
        head = hash
        return hash
    }

    /// Bytes in the write-ahead logs beyond their headers.
    var logBytes: Int64 { parts.reduce(0) { $0 + $1.logBytes } }

    /// Syncs what is unsynced, closes the logs and releases the lock.
    func close() {
        for part in parts { part.close() }
        releaseLock()
    }

    /// Releases the directory's lock (after the shards' logs are closed).
    func releaseLock() { lock?.release() }
}
