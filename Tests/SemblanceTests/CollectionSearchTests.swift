import Foundation
import Synchronization
import Testing
import SemblanceFixtures
@testable import Semblance

/// `VectorCollection` search: recall on real embeddings with 1, 2 and 4 shards, the search
/// options, deadlines and cancellation, typed errors, read-your-writes, and searches that
/// never wait for a long write or a compaction.
@Suite("Collection search: recall, options, deadlines, and no waiting for writers")
struct CollectionSearchTests {
    /// The fixture's records as VectorRecords ("doc-<n>"), and as the Recall helper's tuples.
    struct Loaded {
        let fixture: EmbeddingFixture
        let records: [VectorRecord]
        var tuples: [(id: String, vector: [Float])] { records.map { ($0.id, $0.vector) } }
    }

    static func load(prefix count: Int? = nil) throws -> Loaded {
        let fixture = try EmbeddingFixture.minilmDebian()
        let base = count.map { Array(fixture.base.prefix($0)) } ?? fixture.base
        return Loaded(fixture: fixture, records: base.enumerated().map { VectorRecord(id: "doc-\($0.offset)", vector: $0.element) })
    }

    /// An in-memory collection holding `records`.
    static func collection(_ records: [VectorRecord], shards: Int, dimension: Int = 384, metric: DistanceMetric = .cosine,
                           client: Client = .inMemory()) async throws -> VectorCollection {
        let collection = try await client.createCollection("docs", configuration: CollectionConfiguration(
            dimension: dimension, metric: metric, shardCount: shards))
        try await collection.upsert(records)
        return collection
    }

    // MARK: Recall and equivalences

    @Test("real embeddings: recall@10 ≥ 0.95 through VectorCollection", arguments: [1, 2, 4])
    func recall(shards: Int) async throws {
        let loaded = try Self.load()
        let collection = try await Self.collection(loaded.records, shards: shards)
        #expect(collection.count == loaded.records.count)
        #expect(collection.statistics().shards == shards)
        let records = loaded.tuples
        var total = 0.0
        for query in loaded.fixture.queries {
            let truth = Set(Recall.exactNearest(query, among: records, k: 10, metric: .cosine))
            let hits = try await collection.search(query, k: 10)
            #expect(hits.count == 10 && !hits.isPartial)
            #expect(hits.hits.map(\.distance) == hits.hits.map(\.distance).sorted(), "nearest first")
            total += Double(hits.ids.filter { truth.contains($0) }.count) / 10
        }
        let recall = total / Double(loaded.fixture.queries.count)
        print("VectorCollection, minilm fixture, \(shards) shard(s): recall@10 = \(recall)")
        #expect(recall >= 0.95, "recall@10 \(recall) with \(shards) shards")
    }

    @Test("batch search gives what one-by-one searches give, with every option", arguments: [1, 3])
    func batchEqualsSingle(shards: Int) async throws {
        let loaded = try Self.load(prefix: 1500)
        let collection = try await Self.collection(loaded.records, shards: shards)
        let queries = loaded.fixture.queries
        let allowed = Set(loaded.records.indices.filter { $0 % 3 == 0 }.map { "doc-\($0)" })
        let variants: [(k: Int, ef: Int?, ids: Set<String>?, maxDistance: Float?, vectors: Bool)] = [
            (10, nil, nil, nil, false), (1, 20, nil, nil, false), (25, 100, nil, 0.6, true), (5, nil, allowed, nil, false),
        ]
        for v in variants {
            let batch = try await collection.search(queries, k: v.k, ef: v.ef, ids: v.ids, maxDistance: v.maxDistance, includeVectors: v.vectors)
            #expect(batch.count == queries.count)
            for (i, query) in queries.enumerated() {
                let single = try await collection.search(query, k: v.k, ef: v.ef, ids: v.ids, maxDistance: v.maxDistance, includeVectors: v.vectors)
                #expect(batch[i] == single, "query \(i), k \(v.k), ef \(String(describing: v.ef))")
                // And what the snapshot's synchronous search gives.
                let sync = try collection.snapshot().search(query, k: v.k, ef: v.ef, ids: v.ids, maxDistance: v.maxDistance, includeVectors: v.vectors)
                #expect(sync == single, "query \(i)")
            }
        }
        #expect(try await collection.search([[Float]](), k: 3).isEmpty)
    }

    @Test("ids: only those ids come back, the exact nearest among them; unknown ids are ignored", arguments: [1, 2])
    func idsFilter(shards: Int) async throws {
        let loaded = try Self.load(prefix: 2000)
        let collection = try await Self.collection(loaded.records, shards: shards)
        var rng = SeededGenerator(seed: 17)
        let chosen = loaded.records.shuffled(using: &rng).prefix(150)
        let allowed = Set(chosen.map(\.id)).union(["no-such-id", "doc-999999"])
        let among = chosen.map { (id: $0.id, vector: $0.vector) }
        for query in loaded.fixture.queries.prefix(40) {
            let hits = try await collection.search(query, k: 10, ids: allowed)
            #expect(hits.count == 10 && !hits.isPartial)
            #expect(hits.allSatisfy { allowed.contains($0.id) })
            // Exact among the allowed (small sets are scanned): every hit is no farther than
            // the exact 10th nearest (a tolerance for float against double rounding).
            let exact = Recall.exactNearest(query, among: among, k: 10, metric: .cosine)
            let tenth = Recall.distance(.cosine, query, chosen.first { $0.id == exact.last! }!.vector)
            for hit in hits {
                let d = Recall.distance(.cosine, query, chosen.first { $0.id == hit.id }!.vector)
                #expect(d <= tenth + 1e-5, "\(hit.id) at \(d), exact 10th at \(tenth)")
            }
            #expect(Set(hits.ids).intersection(exact).count >= 9)
        }
        #expect(try await collection.search(loaded.fixture.queries[0], k: 5, ids: []).isEmpty)
        #expect(try await collection.search(loaded.fixture.queries[0], k: 5, ids: ["nope"]).isEmpty)
        let one = try await collection.search(loaded.fixture.queries[0], k: 5, ids: ["doc-7"])
        #expect(one.ids == ["doc-7"])
    }

    @Test("maxDistance cuts the same hits at the bound; includeVectors returns the stored vectors", arguments: [1, 2])
    func maxDistanceAndVectors(shards: Int) async throws {
        let loaded = try Self.load(prefix: 1500)
        let collection = try await Self.collection(loaded.records, shards: shards)
        for query in loaded.fixture.queries.prefix(30) {
            let all = try await collection.search(query, k: 20)
            #expect(all.allSatisfy { $0.vector == nil })
            let bound = all[7].distance
            let cut = try await collection.search(query, k: 20, maxDistance: bound)
            #expect(cut.ids == all.filter { $0.distance <= bound }.map(\.id))
            #expect(cut.count >= 8 && cut.allSatisfy { $0.distance <= bound })
            #expect(try await collection.search(query, k: 20, maxDistance: -1).isEmpty)

            let withVectors = try await collection.search(query, k: 20, includeVectors: true)
            #expect(withVectors.ids == all.ids)
            for hit in withVectors {
                let stored = try #require(collection.get(hit.id)?.vector)
                #expect(hit.vector == stored)
                // Stored under cosine: normalized, and in the direction of the original.
                let original = loaded.records[Int(hit.id.dropFirst(4))!].vector
                #expect(Recall.distance(.cosine, original, stored) < 1e-5)
                #expect(abs(stored.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
            }
        }
    }

    @Test("minSimilarity cuts cosine and inner-product hits like the matching maxDistance; with maxDistance both hold")
    func minSimilarity() async throws {
        let loaded = try Self.load(prefix: 1500)
        let cosine = try await Self.collection(loaded.records, shards: 2)
        let inner = try await Self.collection(loaded.records, shards: 1, metric: .innerProduct)
        for query in loaded.fixture.queries.prefix(20) {
            let all = try await cosine.search(query, k: 20)
            let similarity = 1 - all[9].distance
            let cut = try await cosine.search(query, options: SearchOptions(k: 20, minSimilarity: similarity))
            #expect(cut.ids == all.filter { 1 - $0.distance >= similarity }.map(\.id))
            #expect(cut.count >= 10)
            // Both bounds: the stricter wins, whichever it is.
            let tighter = try await cosine.search(query, options: SearchOptions(k: 20, maxDistance: all[4].distance, minSimilarity: similarity))
            #expect(tighter.ids == all.filter { $0.distance <= all[4].distance }.map(\.id))
            let looser = try await cosine.search(query, options: SearchOptions(k: 20, maxDistance: 2, minSimilarity: similarity))
            #expect(looser.ids == cut.ids)

            let products = try await inner.search(query, k: 20)
            let dot = -products[5].distance
            let byDot = try await inner.search(query, options: SearchOptions(k: 20, minSimilarity: dot))
            #expect(byDot.ids == products.filter { -$0.distance >= dot }.map(\.id))
        }
        let euclidean = try await Self.collection(Array(loaded.records.prefix(10)), shards: 1, metric: .squaredEuclidean)
        let refused = await #expect(throws: SemblanceError.self) {
            try await euclidean.search(loaded.fixture.queries[0], options: SearchOptions(minSimilarity: 0.5))
        }
        #expect(refused?.code == .invalidArgument)
        let nan = await #expect(throws: SemblanceError.self) {
            try await cosine.search([loaded.fixture.queries[0]], options: SearchOptions(minSimilarity: .nan))
        }
        #expect(nan?.code == .invalidArgument)
    }

    @Test("patience stops the graph search early: 1 costs recall, a large one changes nothing; 0 is refused")
    func patience() async throws {
        let loaded = try Self.load()
        let collection = try await Self.collection(loaded.records, shards: 1)
        let records = loaded.tuples
        var full = 0.0, patient = 0.0, impatient = 0.0
        for query in loaded.fixture.queries {
            let truth = Set(Recall.exactNearest(query, among: records, k: 10, metric: .cosine))
            func recall(_ patience: Int?) async throws -> (Double, [String]) {
                let hits = try await collection.search(query, options: SearchOptions(k: 10, ef: 128, patience: patience))
                #expect(hits.count == 10 && !hits.isPartial)
                return (Double(hits.ids.filter { truth.contains($0) }.count) / 10, hits.ids)
            }
            let (a, none) = try await recall(nil)
            let (b, large) = try await recall(1_000_000)
            let (c, _) = try await recall(1)
            #expect(large == none)
            full += a; patient += b; impatient += c
        }
        let n = Double(loaded.fixture.queries.count)
        print("patience: recall@10 \(full / n) without, \(impatient / n) with patience 1")
        #expect(patient == full)
        #expect(impatient < full, "patience 1 stops before the beam is exhausted")
        let zero = await #expect(throws: SemblanceError.self) {
            try await collection.search(loaded.fixture.queries[0], options: SearchOptions(patience: 0))
        }
        #expect(zero?.code == .invalidArgument)
    }

    // MARK: Deadlines and cancellation

    @Test("a deadline already past returns partial results, single and batch", arguments: [1, 2])
    func pastDeadline(shards: Int) async throws {
        let loaded = try Self.load(prefix: 2000)
        let collection = try await Self.collection(loaded.records, shards: shards)
        let past = ContinuousClock.now - .seconds(1)
        let query = loaded.fixture.queries[0]
        let partial = try await collection.search(query, k: 10, ef: 500, deadline: past)
        #expect(partial.isPartial)
        #expect(partial.count <= 10)
        let complete = try await collection.search(query, k: 10, ef: 500, deadline: .now + .seconds(3600))
        #expect(!complete.isPartial && complete.count == 10)
        let batch = try await collection.search(Array(loaded.fixture.queries.prefix(10)), k: 10, deadline: past)
        #expect(batch.count == 10)
        #expect(batch.allSatisfy { $0.isPartial && $0.isEmpty })
        // Bad arguments are still errors, deadline or not.
        let error = await #expect(throws: SemblanceError.self) { try await collection.search(query, k: 0, deadline: past) }
        #expect(error?.code == .invalidArgument)
    }

    @Test("a search whose task is cancelled returns at once with partial results", arguments: [1, 4])
    func cancelledSearch(shards: Int) async throws {
        let loaded = try Self.load(prefix: 2000)
        let collection = try await Self.collection(loaded.records, shards: shards)
        let queries = Array(loaded.fixture.queries.prefix(20))
        // The task waits until it is cancelled, then searches: the search starts cancelled.
        let single = Task {
            while !Task.isCancelled { await Task.yield() }
            return try await collection.search(queries[0], k: 10, ef: 2000)
        }
        let batch = Task {
            while !Task.isCancelled { await Task.yield() }
            return try await collection.search(queries, k: 10, ef: 2000)
        }
        single.cancel()
        batch.cancel()
        let singleResult = try await single.value
        #expect(singleResult.isPartial)
        let batchResults = try await batch.value
        #expect(batchResults.count == queries.count)
        #expect(batchResults.allSatisfy { $0.isPartial })
        // A long batch cancelled while it runs stops early: the queries not yet searched
        // come back empty and partial.
        let long = Array(repeating: loaded.records.map(\.vector), count: 2).flatMap { $0 }
        let running = Task { try await collection.search(long, k: 10, ef: 1000) }
        try await Task.sleep(for: .milliseconds(20))
        running.cancel()
        let cut = try await running.value
        #expect(cut.count == long.count)
        #expect(cut.contains { $0.isPartial }, "a cancelled batch of \(long.count) queries ran to the end")
        #expect(cut.allSatisfy { !$0.isPartial || $0.count <= 10 })
        // The same searches, not cancelled, are complete.
        #expect(try await collection.search(queries[0], k: 10, ef: 2000).isPartial == false)
        #expect(try await collection.search(queries, k: 10, ef: 2000).allSatisfy { !$0.isPartial })
    }

    // MARK: Errors

    @Test("bad queries, k, ef and maxDistance are typed errors, single and batch", arguments: [1, 2])
    func badArguments(shards: Int) async throws {
        let good: [Float] = [1, 0, 0, 0]
        let collection = try await Self.collection((0..<50).map { VectorRecord(id: "v\($0)", vector: [Float($0 + 1), 1, 0, 2]) },
                                                   shards: shards, dimension: 4)
        let cases: [(query: [Float], k: Int, ef: Int?, maxDistance: Float?, code: SemblanceError.Code, mentions: String)] = [
            ([1, 0, 0], 10, nil, nil, .dimensionMismatch, "3 components"),
            ([1, 0, 0, 0, 0], 10, nil, nil, .dimensionMismatch, "5 components"),
            ([1, .nan, 0, 0], 10, nil, nil, .nonFiniteComponent, "component 1"),
            ([1, 0, .infinity, 0], 10, nil, nil, .nonFiniteComponent, "component 2"),
            ([0, 0, 0, 0], 10, nil, nil, .zeroVector, "zeros"),
            (good, 0, nil, nil, .invalidArgument, "k"),
            (good, -3, nil, nil, .invalidArgument, "k"),
            (good, 10, 0, nil, .invalidArgument, "ef"),
            (good, 10, -1, nil, .invalidArgument, "ef"),
            (good, 10, nil, .nan, .invalidArgument, "maxDistance"),
        ]
        for c in cases {
            let single = await #expect(throws: SemblanceError.self) {
                try await collection.search(c.query, k: c.k, ef: c.ef, maxDistance: c.maxDistance)
            }
            #expect(single?.code == c.code, "\(c.query) k \(c.k): \(String(describing: single))")
            #expect(single?.message.contains(c.mentions) == true, "\(String(describing: single))")
            // In a batch, after a good query: the whole batch fails, naming the bad query.
            let batch = await #expect(throws: SemblanceError.self) {
                try await collection.search([good, c.query], k: c.k, ef: c.ef, maxDistance: c.maxDistance)
            }
            #expect(batch?.code == c.code, "batch: \(String(describing: batch))")
            if c.query != good { #expect(batch?.message.hasPrefix("query 1:") == true, "\(String(describing: batch))") }
        }
    }

    // MARK: Read your writes

    @Test("a search that starts after an awaited upsert or delete returns sees it", arguments: [1, 3])
    func readYourWrites(shards: Int) async throws {
        let client = Client.inMemory()
        let collection = try await client.createCollection("docs", configuration: CollectionConfiguration(
            dimension: 8, metric: .squaredEuclidean, shardCount: shards))
        let data = ClusteredData(count: 600, queries: 0, dimension: 8, clusters: 6, seed: 5)
        try await collection.upsert(data.vectors.prefix(500).enumerated().map { VectorRecord(id: "v\($0.offset)", vector: $0.element) })
        for i in 0..<100 {
            // A far-away point that only the new record is near.
            let lonely: [Float] = (0..<8).map { Float(1000 + i * 10 + $0) }
            try await collection.upsert(id: "new-\(i)", vector: lonely)
            #expect(try await collection.search(lonely, k: 1).ids == ["new-\(i)"])
            #expect(try await collection.search([lonely], k: 1)[0].ids == ["new-\(i)"])
            #expect(collection.contains("new-\(i)") && collection.get("new-\(i)")?.vector == lonely)
            // Moved by an upsert: found at its new place, not the old.
            let moved: [Float] = lonely.map { -$0 }
            try await collection.upsert(id: "new-\(i)", vector: moved)
            #expect(try await collection.search(moved, k: 1).ids == ["new-\(i)"])
            #expect(try await collection.search(lonely, k: 1, maxDistance: 1).isEmpty)
            #expect(try await collection.delete("new-\(i)"))
            #expect(try await collection.search(moved, k: 1).ids != ["new-\(i)"])
            #expect(try await collection.search(moved, k: 1, ids: ["new-\(i)"]).isEmpty)
            #expect(!collection.contains("new-\(i)"))
            // A delete of a record of the original set.
            #expect(try await collection.delete("v\(i)"))
            let hits = try await collection.search(data.vectors[i], k: 5)
            #expect(!hits.ids.contains("v\(i)"))
        }
        #expect(collection.count == 400)
        #expect(try await collection.delete("v0") == false, "already gone")
    }

    // MARK: Searches never wait for writers

    /// When things started and finished, shared by the tasks of one test.
    final class Timeline: Sendable {
        struct Search: Sendable { var start, end: ContinuousClock.Instant; var hits: Int }
        struct State: Sendable {
            var writeStart, writeEnd, compactionRunning, compactionEnd: ContinuousClock.Instant?
            var searches: [Search] = []
        }
        let state = Mutex(State())
        func set(_ key: WritableKeyPath<State, ContinuousClock.Instant?>) {
            let now = ContinuousClock.now
            state.withLock { if $0[keyPath: key] == nil { $0[keyPath: key] = now } }
        }
        var current: State { state.withLock { $0 } }
    }

    /// Runs jobs on a serial dispatch queue, that is on a thread outside the cooperative pool.
    final class DedicatedExecutor: TaskExecutor {
        let queue: DispatchQueue
        init(_ label: String) { queue = DispatchQueue(label: "semblance-tests." + label) }
        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        }

        /// Waits on the current (dedicated) thread. Task.sleep would wait for a timer whose
        /// wake-up goes through the global dispatch queues, which a parallel insert or
        /// rebuild keeps busy: the loops below would then run far less often than asked.
        static func pause(milliseconds: Int) { usleep(useconds_t(milliseconds * 1000)) }
    }

    @Test("searches started during a long batch upsert and a compaction finish before either does")
    func searchesDoNotWait() async throws {
        let dimension = 32
        let data = ClusteredData(count: 44_000, queries: 50, dimension: dimension, clusters: 60, seed: 99)
        let records = data.vectors.enumerated().map { VectorRecord(id: "v\($0.offset)", vector: $0.element) }
        // 16,000 live records to rebuild: the first progress report comes after 4,096, so the
        // rebuild has most of its work ahead when the write and the searches begin.
        let initial = Array(records.prefix(24_000)), large = Array(records.dropFirst(24_000))
        let client = Client.inMemory()
        let collection = try await client.createCollection("docs", configuration: CollectionConfiguration(
            dimension: dimension, metric: .squaredEuclidean, shardCount: 1))
        try await collection.upsert(initial)
        try await collection.delete(initial.indices.filter { $0 % 3 == 0 }.map { "v\($0)" })
        let liveBefore = collection.count

        let timeline = Timeline()
        // Each task on a thread of its own: not delayed by other suites' work on the shared
        // cooperative pool, so the searches show what the collection does, not the pool.
        let removed = try await withTaskExecutorPreference(DedicatedExecutor("search loop")) {
            // The compaction first; once its rebuild reports progress it is surely running.
            let compaction = Task(executorPreference: DedicatedExecutor("compaction")) {
                defer { timeline.set(\.compactionEnd) }
                return try await collection.compact { _, _ in timeline.set(\.compactionRunning) }
            }
            while timeline.current.compactionRunning == nil { DedicatedExecutor.pause(milliseconds: 1) }
            let write = Task(executorPreference: DedicatedExecutor("write")) {
                timeline.set(\.writeStart)
                defer { timeline.set(\.writeEnd) }
                try await collection.upsert(large)
            }
            while timeline.current.writeStart == nil { DedicatedExecutor.pause(milliseconds: 1) }
            // Search until both are done.
            var round = 0
            while timeline.current.writeEnd == nil || timeline.current.compactionEnd == nil {
                let start = ContinuousClock.now
                let hits = try await collection.search(data.queries[round % data.queries.count], k: 10)
                let end = ContinuousClock.now
                #expect(hits.count == 10 && !hits.isPartial)
                timeline.state.withLock { $0.searches.append(.init(start: start, end: end, hits: hits.count)) }
                round += 1
                DedicatedExecutor.pause(milliseconds: 2)
            }
            try await write.value
            return try await compaction.value
        }

        let t = timeline.current
        let (writeStart, writeEnd) = (try #require(t.writeStart), try #require(t.writeEnd))
        let (compactionRunning, compactionEnd) = (try #require(t.compactionRunning), try #require(t.compactionEnd))
        let bothRunning = max(writeStart, compactionRunning)
        let firstDone = min(writeEnd, compactionEnd)
        let inside = t.searches.filter { $0.start >= bothRunning && $0.end < firstDone }
        let duringWrite = t.searches.filter { $0.start >= writeStart && $0.end < writeEnd }
        let duringCompaction = t.searches.filter { $0.start >= compactionRunning && $0.end < compactionEnd }
        print("""
            searches during a \(large.count)-record upsert (\(writeEnd - writeStart)) and a compaction \
            (running until \(compactionEnd - compactionRunning) after its first progress report): of \
            \(t.searches.count), \(duringWrite.count) started and finished during the write, \
            \(duringCompaction.count) during the compaction, \(inside.count) while both ran; the longest took \
            \(t.searches.map { $0.end - $0.start }.max() ?? .zero)
            """)
        #expect(!duringWrite.isEmpty, "no search finished before the write did")
        #expect(!duringCompaction.isEmpty, "no search finished before the compaction did")
        #expect(!inside.isEmpty, "no search finished before the write and the compaction did")
        if let first = inside.first {
            #expect(first.end < writeEnd && first.end < compactionEnd)
        }
        // Both took effect: nothing lost, no tombstones left of those compacted.
        #expect(removed == initial.count - liveBefore)
        #expect(collection.count == liveBefore + large.count)
        #expect(collection.statistics().deleted == 0)
        #expect(collection.get("v33999")?.vector == records[33999].vector)
        #expect(collection.get("v1")?.vector == records[1].vector && !collection.contains("v0"))
    }

    @Test("writes made during a compaction are all there after it, and in the files after a reopen")
    func writesDuringCompaction() async throws {
        let folder = TemporaryDirectory()
        let dimension = 16
        let data = ClusteredData(count: 34_000, queries: 0, dimension: dimension, clusters: 30, seed: 3)
        // Two shards of about 7,500 live records each: each rebuild reports progress after
        // 4,096, so the writes below begin while the first shard is still being rebuilt.
        var configuration = CollectionConfiguration(dimension: dimension, metric: .squaredEuclidean, shardCount: 2, efConstruction: 64)
        configuration.durability = .none
        var client = try await Client(directory: folder.path)
        let collection = try await client.createCollection("docs", configuration: configuration)
        let initial = (0..<30_000).map { VectorRecord(id: "v\($0)", vector: data.vectors[$0]) }
        try await collection.upsert(initial)
        try await collection.delete((0..<30_000).filter { $0 % 2 == 0 }.map { "v\($0)" })
        #expect(collection.needsCompaction)
        // What each id should hold at the end (nil: deleted).
        var expected = [String: [Float]?]()
        for i in 0..<30_000 { expected["v\(i)"] = i % 2 == 0 ? nil : data.vectors[i] }

        let timeline = Timeline()
        let (writes, removed) = try await withTaskExecutorPreference(DedicatedExecutor("orchestrator")) {
            let compaction = Task(executorPreference: DedicatedExecutor("compaction")) {
                defer { timeline.set(\.compactionEnd) }
                return try await collection.compact { _, _ in timeline.set(\.compactionRunning) }
            }
            while timeline.current.compactionRunning == nil { DedicatedExecutor.pause(milliseconds: 1) }
            // Writers until the compaction is done: new ids, new vectors for old ids, deletes of
            // old ids; single records and small batches, from three tasks (on a thread of their
            // own, so that other suites' work on the cooperative pool does not hold them back).
            let writes = try await withThrowingTaskGroup(of: ([String: [Float]?], Int, Int).self) { group in
                for writer in 0..<3 {
                    group.addTask(executorPreference: DedicatedExecutor("writer \(writer)")) {
                        var changes = [String: [Float]?]()
                        var duringCompaction = 0, tombstones = 0
                        var step = 0
                        while timeline.current.compactionEnd == nil || step < 20 {
                            let n = writer * 100_000 + step
                            var wrote = true
                            switch step % 4 {
                            case 0:
                                let id = "new-\(n)"
                                try await collection.upsert(id: id, vector: data.vectors[30_000 + n % 4000])
                                changes[id] = data.vectors[30_000 + n % 4000]
                            case 1:
                                let batch = (0..<5).map { VectorRecord(id: "new-\(n)-\($0)", vector: data.vectors[30_000 + (n + $0) % 4000]) }
                                try await collection.upsert(batch)
                                for r in batch { changes[r.id] = r.vector }
                            case 2:
                                // An odd (live) old id owned by this writer gets a new vector.
                                let old = 1 + 2 * ((writer + 3 * step) % 4000)
                                if old % 3 == writer, changes["v\(old)"] == nil {
                                    let moved = data.vectors[old].map { $0 + 1000 }
                                    try await collection.upsert(id: "v\(old)", vector: moved)
                                    changes["v\(old)"] = moved
                                    tombstones += 1  // an upsert of a stored id leaves its old node behind
                                } else {
                                    wrote = false
                                }
                            default:
                                // A live old id owned by this writer is deleted (never re-upserted).
                                let old = 1 + 2 * ((7 * step + writer) % 4000)
                                if old % 3 == writer, changes["v\(old)"] == nil {
                                    #expect(try await collection.delete("v\(old)"))
                                    changes["v\(old)"] = .some(nil)
                                    tombstones += 1
                                } else {
                                    wrote = false
                                }
                            }
                            if wrote && timeline.current.compactionEnd == nil { duringCompaction += 1 }
                            step += 1
                        }
                        return (changes, duringCompaction, tombstones)
                    }
                }
                var all: [([String: [Float]?], Int, Int)] = []
                for try await result in group { all.append(result) }
                return all
            }
            let removed = try await compaction.value
            return (writes, removed)
        }
        // The 15,000 deleted before, and those left by moves and deletes on the second shard
        // before its turn came (the shards are compacted one after the other).
        #expect(removed >= 15_000)
        let acknowledgedDuring = writes.map(\.1).reduce(0, +)
        let tombstones = writes.map(\.2).reduce(0, +)
        print("writes acknowledged while the compaction ran: \(acknowledgedDuring); moves and deletes in all: \(tombstones)")
        #expect(acknowledgedDuring > 0, "no write overlapped the compaction")
        for (changes, _, _) in writes { expected.merge(changes) { $1 } }

        func check(_ collection: VectorCollection, _ when: String) {
            let live = expected.compactMap { $0.value == nil ? nil : $0.key }
            #expect(collection.count == live.count, "\(when)")
            var wrong = 0
            for (id, vector) in expected {
                let stored = collection.get(id)?.vector
                if stored != vector { wrong += 1 }
            }
            #expect(wrong == 0, "\(when): \(wrong) ids hold the wrong value")
        }
        check(collection, "after the compaction")
        // Every tombstone, old or left by a move or delete made meanwhile, was removed or is
        // still there (replayed from the journal, or made after the swap): none was lost.
        let left = collection.statistics().deleted
        #expect(removed + left == 15_000 + tombstones, "removed \(removed), left \(left), made meanwhile \(tombstones)")
        #expect(try await collection.compact() == left)
        #expect(collection.statistics().deleted == 0)
        check(collection, "after a second compaction")
        await client.close()

        client = try await Client(directory: folder.path)
        let reopened = try await client.collection("docs")
        check(reopened, "after reopening")
        #expect(reopened.statistics().deleted == 0)
        await client.close()
    }

    @Test("needsCompaction follows the worst shard's deletion ratio against the threshold; compaction clears it")
    func needsCompaction() async throws {
        let client = Client.inMemory()
        var configuration = CollectionConfiguration(dimension: 4, metric: .squaredEuclidean, shardCount: 1)
        configuration.compactionThreshold = 0.25
        let one = try await client.createCollection("one", configuration: configuration)
        try await one.upsert((0..<100).map { VectorRecord(id: "v\($0)", vector: [Float($0), 1, 2, 3]) })
        #expect(!one.needsCompaction && one.statistics().deletionRatio == 0)
        try await one.delete((0..<25).map { "v\($0)" })
        #expect(one.statistics().deletionRatio == 0.25)
        #expect(!one.needsCompaction, "at the threshold is not past it")
        #expect(try await one.compact(onlyWhenNeeded: true) == 0)
        #expect(one.statistics().deleted == 25)
        try await one.delete("v25")
        #expect(one.needsCompaction && one.statistics().needsCompaction)
        #expect(one.statistics().worstShardDeletionRatio == 0.26)
        #expect(try await one.compact(onlyWhenNeeded: true) == 26)
        #expect(!one.needsCompaction)
        let after = one.statistics()
        #expect(after.deleted == 0 && after.vectors == 74 && after.live == 74 && after.deletionRatio == 0)
        try await one.delete((26..<30).map { "v\($0)" })
        #expect(!one.needsCompaction)
        #expect(try await one.compact(onlyWhenNeeded: true) == 0)
        #expect(try await one.compact() == 4, "without onlyWhenNeeded every tombstone goes")
        #expect(one.statistics().deleted == 0 && one.count == 70)
        #expect(try await one.search([50, 1, 2, 3], k: 1).ids == ["v50"])

        // Several shards: one shard past the threshold is enough, and only it is compacted.
        configuration.shardCount = 4
        configuration.compactionThreshold = 0.5
        let four = try await client.createCollection("four", configuration: configuration)
        let ids = (0..<400).map { "v\($0)" }
        try await four.upsert(ids.enumerated().map { VectorRecord(id: $0.element, vector: [Float($0.offset), 1, 2, 3]) })
        let byShard = Dictionary(grouping: ids) { four.engine.shard(of: $0) }
        #expect(byShard.count == 4)
        let target = byShard[2]!, other = byShard[0]!
        try await four.delete(Array(other.prefix(other.count / 4)))
        try await four.delete(Array(target.prefix(target.count / 2)))
        #expect(!four.needsCompaction, "half of shard 2 deleted: at the threshold")
        try await four.delete([target[target.count / 2]])
        #expect(four.needsCompaction)
        let statistics = four.statistics()
        #expect(statistics.deletionRatio < 0.5 && statistics.worstShardDeletionRatio > 0.5)
        #expect(try await four.compact(onlyWhenNeeded: true) == target.count / 2 + 1)
        #expect(!four.needsCompaction)
        #expect(four.statistics().deleted == other.count / 4, "shard 0 was not compacted")
        #expect(try await four.compact() == other.count / 4)
        #expect(four.statistics().deleted == 0)
    }
}
