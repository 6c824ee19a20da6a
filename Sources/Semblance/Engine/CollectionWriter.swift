import Foundation

/// The one writer of a collection: it takes the queued writes of a ``CollectionEngine`` in
/// order, groups them (concurrent writers share one frame and one fsync per shard), has the
/// shard actors log and apply each group in parallel, publishes the result, and runs
/// checkpoints and the two ends of a compaction between groups, never during one.
///
/// Only ``drain(_:)`` runs work, and only one drain runs at a time (the collection starts
/// one when none is running), so the writer's state never sees two operations interleave
/// even though it awaits its shards.
actor CollectionWriter {
    private let executor = DispatchQueueExecutor(label: "semblance.collection.writer")
    /// The collection's directory, lock and commits; its shards belong to `shards`.
    private let store: StoreBox
    private let shards: [ShardActor]
    private let policy: CheckpointPolicy
    private let durability: Durability
    private let persistent: Bool
    private let directory: String
    /// Set by a failed write or checkpoint: the files may hold changes the memory does not,
    /// so nothing more is accepted until the collection is reopened.
    private var failure: SemblanceError?
    private var released = false
    private var operationsSinceCheckpoint = 0
    private var lastCheckpoint = ContinuousClock.now
    /// Log bytes that do not count toward the size threshold: those there when an automatic
    /// checkpoint last failed (it is tried again once the thresholds are passed anew, not
    /// after every group).
    private var logBytesBaseline: Int64 = 0
    /// Each shard's index as its actor last handed it back: what admission checks against.
    private var indexes: [VectorIndex]
    private var logBytes: [Int64]
    /// The number of the next group of writes (its frames carry it).
    private var nextGroup: UInt64
    /// Shards being compacted, and the compactions of each waiting for the one running:
    /// a second `compact()` waits its turn instead of failing.
    private var compacting = Set<Int>()
    private var waitingToCompact: [Int: [CollectionEngine.Request]] = [:]

    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    // Invariant (why @unchecked): the engine hands the store to this actor at creation and
    // keeps no reference; only this actor uses it from then on.
    struct StoreBox: @unchecked Sendable { let store: CollectionStore }

    init(store: StoreBox, shards: [ShardActor], indexes: [VectorIndex], logBytes: [Int64], nextGroup: UInt64, policy: CheckpointPolicy) {
        self.store = store
        self.shards = shards
        self.indexes = indexes
        self.logBytes = logBytes
        self.nextGroup = nextGroup
        self.policy = policy
        durability = store.store.configuration.durability
        persistent = store.store.persistent
        directory = store.store.directory
    }

    /// Runs queued requests until none are left.
    func drain(_ collection: CollectionEngine) async {
        while true {
            let requests = collection.takePending()
            if requests.isEmpty { return }
            var i = 0
            while i < requests.count {
                // Consecutive writes form a group, as long as it fits in one frame per shard.
                var end = i
                var bytes = 0
                while end < requests.count, case .write(_, let size, _) = requests[end].work,
                      end == i || bytes + size <= LogFormat.maximumFrameBytes {
                    bytes += size
                    end += 1
                }
                if end > i {
                    await commit(requests[i..<end], collection)
                    i = end
                } else {
                    await perform(requests[i], collection)
                    i += 1
                }
            }
        }
    }

    // MARK: Writes

    private func commit(_ group: ArraySlice<CollectionEngine.Request>, _ collection: CollectionEngine) async {
        if let error = released ? SemblanceError.collectionClosed(directory) : failure {
            for request in group { request.done(.failure(error)) }
            return
        }
        // Conditional writes are checked against the indexes plus the group's earlier
        // writes; one that fails leaves the group, and is answered once the writes it was
        // checked against are published (or failed: then with their error).
        var accepted: [CollectionEngine.Request] = []
        var refused: [(CollectionEngine.Request, SemblanceError)] = []
        var records: [LogRecord] = []
        var ranges: [Range<Int>] = []
        var view: GroupView? = nil
        for request in group {
            guard case .write(var part, _, let condition) = request.work else { continue }
            // Until the first conditional write there is nothing to check against.
            if case .none = condition, view == nil {} else {
                let current = view ?? GroupView(indexes: indexes, applying: records)
                view = current
                switch current.resolve(part, condition) {
                case .success(let resolved): part = resolved
                case .failure(let error):
                    refused.append((request, error))
                    continue
                }
                current.apply(part)
            }
            accepted.append(request)
            ranges.append(records.count..<(records.count + part.count))
            records += part
        }
        guard !accepted.isEmpty else {
            for (request, error) in refused { request.done(.failure(error)) }
            return
        }
        // Which records change something, shard by shard: only those are logged, and the
        // shards with any form the group (its frames name them all).
        let (perShard, positions) = ShardRouting.split(records, shardCount: shards.count)
        var logged = [[LogRecord]](repeating: [], count: shards.count)
        var effective = [Bool](repeating: false, count: records.count)
        for shard in perShard.indices where !perShard[shard].isEmpty {
            let admitted = ShardStore.admit(perShard[shard], to: indexes[shard])
            logged[shard] = admitted.logged
            for (k, changed) in admitted.effective.enumerated() { effective[positions[shard][k]] = changed }
        }
        let busy = logged.indices.filter { !logged[$0].isEmpty }
        if !busy.isEmpty {
            let number = nextGroup
            nextGroup += 1
            let parallelism = max(1, ProcessInfo.processInfo.activeProcessorCount / busy.count)
            let outcomes = await commitParts(logged, busy: busy, group: WriteGroup(number: number, participants: ShardSet(busy)),
                                             parallelism: parallelism)
            for (shard, outcome) in outcomes {
                switch outcome {
                case .success(let committed):
                    indexes[shard] = committed.index
                    logBytes[shard] = committed.logBytes
                case .failure(let error):
                    // Another shard may have logged and applied its part: stop here, publish
                    // nothing, and refuse further writes until the files are read again (the
                    // group is then whole on every shard, or dropped from every shard).
                    poison(error)
                    for request in accepted { request.done(.failure(error)) }
                    for (request, _) in refused { request.done(.failure(error)) }
                    return
                }
            }
        }
        publish(collection)
        for (request, range) in zip(accepted, ranges) {
            request.done(.success(.changed(effective[range].filter { $0 }.count)))
        }
        for (request, error) in refused { request.done(.failure(error)) }
        operationsSinceCheckpoint += records.count
        if persistent && (operationsSinceCheckpoint >= policy.maxOperations || logBytes.reduce(0, +) - logBytesBaseline >= policy.maxLogBytes) {
            await automaticCheckpoint(collection)
        }
    }

    /// A checkpoint nobody waits for. A failure while writing pages leaves the logs as they
    /// are and is tried again when the thresholds are passed anew; a failure from the ref on
    /// refuses further writes (see `checkpoint`).
    private func automaticCheckpoint(_ collection: CollectionEngine) async {
        do throws(SemblanceError) {
            _ = try await writeCommit(message: "automatic checkpoint", automatic: true, collection)
        } catch {
            operationsSinceCheckpoint = 0
            lastCheckpoint = .now
            logBytesBaseline = logBytes.reduce(0, +)
        }
    }

    /// Each busy shard's part, committed by its actor; the shards at once when several are
    /// busy (one part needs no child task: awaiting the actor directly saves a hop).
    private func commitParts(
        _ perShard: [[LogRecord]], busy: [Int], group: WriteGroup, parallelism: Int
    ) async -> [(Int, Result<ShardActor.Committed, SemblanceError>)] {
        let durability = durability
        if busy.count == 1, let shard = busy.first {
            do throws(SemblanceError) {
                return [(shard, .success(try await shards[shard].commit(perShard[shard], group: group, durability: durability, parallelism: parallelism)))]
            } catch {
                return [(shard, .failure(error))]
            }
        }
        return await withTaskGroup(of: (Int, Result<ShardActor.Committed, SemblanceError>).self) { tasks in
            for shard in busy {
                let actor = shards[shard]
                let part = perShard[shard]
                tasks.addTask {
                    do throws(SemblanceError) {
                        return (shard, .success(try await actor.commit(part, group: group, durability: durability, parallelism: parallelism)))
                    } catch {
                        return (shard, .failure(error))
                    }
                }
            }
            var outcomes: [(Int, Result<ShardActor.Committed, SemblanceError>)] = []
            for await outcome in tasks { outcomes.append(outcome) }
            return outcomes
        }
    }

    private func poison(_ error: SemblanceError) {
        failure = .storageFailed(directory, after: error)
    }

    private func publish(_ collection: CollectionEngine) {
        collection.publish(shards: indexes, logBytes: logBytes.reduce(0, +), head: store.store.head)
    }

    // MARK: Everything else

    private func perform(_ request: CollectionEngine.Request, _ collection: CollectionEngine) async {
        let outcome: Result<CollectionEngine.Outcome, SemblanceError>
        do throws(SemblanceError) {
            switch request.work {
            case .write: preconditionFailure("writes are committed in groups")
            case .checkpoint(let message, let automatic, let onlyIfChanged):
                try ensureOpen()
                if onlyIfChanged, let head = store.store.head, logBytes.allSatisfy({ $0 == 0 }) {
                    outcome = .success(.commit(head, PageWriteStatistics()))
                } else {
                    let (hash, statistics) = try await writeCommit(message: message, automatic: automatic, collection)
                    outcome = .success(.commit(hash, statistics))
                }
            case .reset(let target):
                try ensureOpen()
                try await reset(to: target, collection)
                outcome = .success(.commit(target, PageWriteStatistics()))
            case .merge(let source, let strategy, let message):
                try ensureOpen()
                outcome = .success(.commit(try await merge(source, strategy: strategy, message: message, collection), PageWriteStatistics()))
            case .beginCompaction(let shard):
                try ensureOpen()
                if let failure { throw failure }
                if compacting.contains(shard) {
                    waitingToCompact[shard, default: []].append(request)
                    return
                }
                outcome = .success(.index(try await shards[shard].beginCompaction()))
                compacting.insert(shard)
            case .finishCompaction(let shard, let rebuilt):
                defer { compacting.remove(shard) }
                outcome = .success(.changed(try await finishCompaction(shard, rebuilt, collection)))
            case .tick:
                await tick(collection)
                outcome = .success(.changed(0))
            case .close:
                await close()
                outcome = .success(.changed(0))
            }
        } catch {
            outcome = .failure(error)
        }
        request.done(outcome)
        if case .finishCompaction(let shard, _) = request.work, let next = waitingToCompact[shard]?.first {
            waitingToCompact[shard]?.removeFirst()
            await perform(next, collection)
        }
    }

    private func ensureOpen() throws(SemblanceError) {
        if released { throw SemblanceError.collectionClosed(directory) }
    }

    /// Each shard's pages, then the commit object, then the objects folder (every fan-out
    /// folder's entry), then each shard's next log (empty, continuing from the commit), then
    /// the ref, then the next logs replace the old ones:
    /// each step durable before the next begins. The shards write one after another, so a
    /// commit makes the same file-system calls in the same order every time (the crash
    /// tests number them). A failure before the ref is written changes nothing that is
    /// referenced, and writes go on to the old logs; a failure from the ref on may have
    /// moved the head, so the branch refuses further writes until it is reopened.
    ///
    /// A merge passes its result as `replacements` (each shard's new state) and the merged
    /// commit as `mergedFrom`: the state changes only once the ref has moved.
    private func writeCommit(
        message: String, automatic: Bool, mergedFrom: ObjectHash? = nil, replacements: [VectorIndex]? = nil, _ collection: CollectionEngine
    ) async throws(SemblanceError) -> (ObjectHash, PageWriteStatistics) {
        if let failure { throw failure }
        guard persistent else {
            throw SemblanceError(.invalidArgument, "an in-memory collection has no files to commit to")
        }
        let objects = store.store.objects
        var manifests: [ShardManifest] = []
        var statistics = PageWriteStatistics()
        let hash: ObjectHash
        // Everything this commit names is kept from a garbage collection running meanwhile.
        objects.pins?.beginCommit()
        defer { objects.pins?.endCommit() }
        do throws(SemblanceError) {
            for (shard, actor) in shards.enumerated() {
                let (manifest, written) = try await actor.writePages(to: objects, replacement: replacements?[shard])
                manifests.append(manifest)
                statistics.add(written)
            }
            hash = try store.store.writeCommit(manifests, message: message, automatic: automatic, mergedFrom: mergedFrom)
            try objects.syncFolder()
            for actor in shards { try await actor.startNextLog(base: hash) }
        } catch {
            for actor in shards { await actor.discardNextLog() }
            throw error
        }
        do throws(SemblanceError) {
            try store.store.moveHead(to: hash)
            for (shard, actor) in shards.enumerated() {
                // The shard's state is the same, but under a compact encoding its vector pages
                // are now read from their objects: publishing it frees their memory.
                let adopted = try await actor.adoptNextLog(replacement: replacements?[shard])
                logBytes[shard] = adopted.logBytes
                indexes[shard] = adopted.index
            }
            try store.store.syncLogFolder()
            operationsSinceCheckpoint = 0
            lastCheckpoint = .now
            logBytesBaseline = 0
            publish(collection)
            return (hash, statistics)
        } catch {
            poison(error)
            throw error
        }
    }

    /// Moves the branch to `target`, its log dropped. To another commit: each shard's next
    /// log continuing from `target`, then the ref, then the renames (the ref is the moment
    /// it happens). To the head itself: the branch's logs are replaced by empty ones in one
    /// rename of their folder.
    private func reset(to target: ObjectHash, _ collection: CollectionEngine) async throws(SemblanceError) {
        if let failure { throw failure }
        guard persistent else { throw SemblanceError(.invalidArgument, "an in-memory collection has no commits to reset to") }
        try refuseWhileCompacting("reset")
        let files = store.store.files
        files.pins.beginCommit()
        defer { files.pins.endCommit() }
        // In use before it is read: a collection running meanwhile keeps it, or has deleted
        // it already and the read fails (nothing is written then).
        files.pins.use(target)
        let commit = try files.commit(target)
        files.pins.use(commit.shards.flatMap(\.allObjects))
        let replacements = try files.indexes(of: commit)
        if target == store.store.head {
            do throws(SemblanceError) {
                try files.createLogs(branch: store.store.branch, head: target)
                for (shard, actor) in shards.enumerated() {
                    logBytes[shard] = try await actor.reopenLog(replacement: replacements[shard])
                    indexes[shard] = replacements[shard]
                }
            } catch {
                poison(error)
                throw error
            }
        } else {
            do throws(SemblanceError) {
                for (shard, actor) in shards.enumerated() {
                    try await actor.startNextLog(base: target, applied: commit.shards[shard].appliedSequence)
                }
            } catch {
                for actor in shards { await actor.discardNextLog() }
                throw error
            }
            do throws(SemblanceError) {
                try store.store.moveHead(to: target)
                for (shard, actor) in shards.enumerated() {
                    logBytes[shard] = try await actor.adoptNextLog(replacement: replacements[shard], manifest: commit.shards[shard]).logBytes
                    indexes[shard] = replacements[shard]
                }
                try store.store.syncLogFolder()
            } catch {
                poison(error)
                throw error
            }
        }
        operationsSinceCheckpoint = 0
        logBytesBaseline = 0
        publish(collection)
    }

    /// Three-way merge of `source` into the branch (see ``MergePlanner``), its log included:
    /// nothing is written unless the merge succeeds (except the first commit of a branch
    /// that has none, written before anything else). Answers the new head: `source` itself
    /// for a fast-forward (only when the log is empty), the head when `source` is already in
    /// the branch's history, else a merge commit with two parents that also commits the log.
    private func merge(_ source: ObjectHash, strategy: MergeStrategy, message: String, _ collection: CollectionEngine) async throws(SemblanceError) -> ObjectHash {
        if let failure { throw failure }
        guard persistent else { throw SemblanceError(.invalidArgument, "an in-memory collection has no commits to merge") }
        try refuseWhileCompacting("merge")
        if store.store.head == nil {
            _ = try await writeCommit(message: "automatic checkpoint before merge", automatic: true, collection)
        }
        let ours = store.store.head!
        let files = store.store.files
        // The merged commit becomes a parent: kept from a collection running meanwhile.
        files.pins.beginCommit()
        defer { files.pins.endCommit() }
        files.pins.use(source)
        files.pins.use(try files.commit(source).shards.flatMap(\.allObjects))
        let history = try CommitHistory(files)
        let base = try history.mergeBase(ours, source)
        if base == source { return ours }
        if base == ours && !logBytes.contains(where: { $0 > 0 }) {
            try await reset(to: source, collection)
            return source
        }
        let merged = try MergePlanner(files: files, base: base, theirs: source).merge(indexes, strategy: strategy)
        return try await writeCommit(message: message, automatic: false, mergedFrom: source, replacements: merged, collection).0
    }

    private func refuseWhileCompacting(_ what: String) throws(SemblanceError) {
        guard compacting.isEmpty else {
            throw SemblanceError(.invalidArgument, "a compaction of this branch is running: \(what) after it ends")
        }
    }

    private func finishCompaction(
        _ shard: Int, _ rebuilt: Result<VectorIndex, SemblanceError>, _ collection: CollectionEngine
    ) async throws(SemblanceError) -> Int {
        if released || failure != nil {
            await shards[shard].abandonCompaction()
            try ensureOpen()
            if let failure { throw failure }
        }
        switch rebuilt {
        case .success(let index):
            indexes[shard] = try await shards[shard].finishCompaction(rebuilt: index)
            publish(collection)
            if persistent { _ = try await writeCommit(message: "compaction of shard \(shard)", automatic: true, collection) }
            return 0
        case .failure(let error):
            await shards[shard].abandonCompaction()
            throw error
        }
    }

    /// Every second: the periodic mode's fsync, and the checkpoint policy's age threshold.
    private func tick(_ collection: CollectionEngine) async {
        guard !released, failure == nil else { return }
        if case .periodic = durability {
            // Every log whose interval ends before the next tick: one synced just under the
            // interval ago would otherwise wait a whole tick longer.
            for actor in shards {
                do throws(SemblanceError) { try await actor.syncIfDue(durability, within: .seconds(1)) } catch { poison(error) }
            }
        }
        if persistent && operationsSinceCheckpoint > 0
            && ContinuousClock.now - lastCheckpoint >= .milliseconds(Int64(min(policy.maxAgeSeconds, 1e9) * 1000)) {
            await automaticCheckpoint(collection)
        }
    }

    /// Syncs and closes every shard's log, then releases the directory.
    private func close() async {
        guard !released else { return }
        let closed = SemblanceError.collectionClosed(directory)
        for request in waitingToCompact.values.joined() { request.done(.failure(closed)) }
        waitingToCompact = [:]
        for actor in shards { await actor.close() }
        store.store.release()
        released = true
    }
}
