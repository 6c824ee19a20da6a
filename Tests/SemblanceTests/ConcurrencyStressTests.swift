import Foundation
import Synchronization
import Testing
@testable import Semblance

/// Many tasks on several collections at once, small enough to run under ThreadSanitizer
/// (scripts/tsan.sh runs this suite so in CI).
@Suite("Concurrency stress: 16 tasks over several collections")
struct ConcurrencyStressTests {
    static let dimension = 8
    static let rounds = 50
    static let tasks = 16
    /// Shard counts of the collections; task t works on collection t % count.
    static let shardCounts = [1, 3, 4]

    /// What one collection's tasks have done, shared by them all.
    final class Ledger: Sendable {
        struct Deleted: Sendable {
            var id: String
            var vector: [Float]
            /// Taken after the delete returned: a search that starts later must not see it.
            var at: ContinuousClock.Instant
        }
        struct State: Sendable {
            /// Every id ever upserted (entered before its upsert is called).
            var upserted: Set<String> = []
            var deleted: [String: Deleted] = [:]
            /// The last deletes, whose vectors the searchers use as queries.
            var recent: [Deleted] = []
            /// The latest vector of each live id (entered after its upsert returned).
            var latest: [String: [Float]] = [:]
            var violations: [String] = []
            var searches = 0, hitsChecked = 0, deletes = 0, checkpoints = 0, compactions = 0, compactionsRefused = 0
            /// Rounds finished by the collection's writers, all together.
            var writerRounds = 0
        }
        let state = Mutex(State())

        /// Keeps readers and maintainers in step with the writers, so that they overlap
        /// the writes rather than finishing before them: waits until the writers have done
        /// `round` rounds.
        func waitForWriters(_ round: Int) async throws {
            while state.withLock({ $0.writerRounds }) < round { try await Task.sleep(for: .milliseconds(1)) }
        }

        /// Checks the hits of a search that started at `start`: each id was upserted at some
        /// point, and none was deleted before the search began.
        func check(_ hits: some Collection<SearchResult>, startedAt start: ContinuousClock.Instant, _ what: String) {
            state.withLock { s in
                s.searches += 1
                for hit in hits {
                    s.hitsChecked += 1
                    if !s.upserted.contains(hit.id) {
                        s.violations.append("\(what): \(hit.id) was never upserted")
                    }
                    if let deleted = s.deleted[hit.id], deleted.at < start {
                        s.violations.append("\(what): \(hit.id) found by a search that started \(start - deleted.at) after its delete returned")
                    }
                }
            }
        }

        /// A query: near a recently deleted vector half of the time (where a deleted record
        /// that is still visible would be the first hit), else random.
        func query(_ rng: inout SeededGenerator) -> [Float] {
            let recent = state.withLock { $0.recent.randomElement(using: &rng) }
            if let recent, Bool.random(using: &rng) { return recent.vector }
            return ConcurrencyStressTests.randomVector(&rng)
        }
    }

    static func randomVector(_ rng: inout SeededGenerator) -> [Float] {
        (0..<dimension).map { _ in Float.random(in: 0..<1, using: &rng) }
    }

    @Test("upserts, deletes, searches, batch searches, checkpoints and compactions at once: no search sees a delete that returned before it began, nothing is lost")
    func stress() async throws {
        let folder = TemporaryDirectory()
        var client = try await Client(directory: folder.path)
        var collections: [VectorCollection] = []
        let durabilities: [Durability] = [.periodic(seconds: 0.005), .none, .durable]
        for (i, shards) in Self.shardCounts.enumerated() {
            var configuration = CollectionConfiguration(
                dimension: Self.dimension, metric: .squaredEuclidean, shardCount: shards, m: 8, efConstruction: 32, defaultEf: 32)
            configuration.durability = durabilities[i]
            configuration.checkpointPolicy = CheckpointPolicy(maxOperations: 400)  // automatic checkpoints too
            configuration.compactionThreshold = 0.05
            collections.append(try await client.createCollection("c\(i)", configuration: configuration))
        }
        let ledgers = collections.map { _ in Ledger() }

        try await withThrowingTaskGroup(of: Void.self) { group in
            for t in 0..<Self.tasks {
                let collection = collections[t % collections.count], ledger = ledgers[t % collections.count]
                group.addTask {
                    var rng = SeededGenerator(seed: 1000 + UInt64(t))
                    switch t % 4 {
                    case 0: try await Self.writer(t, collection, ledger, &rng)
                    case 1: try await Self.searcher(t, collection, ledger, &rng)
                    case 2: try await Self.batchSearcher(t, collection, ledger, &rng)
                    default: try await Self.maintainer(t, collection, ledger, &rng)
                    }
                }
            }
            try await group.waitForAll()
        }

        for (i, ledger) in ledgers.enumerated() {
            let s = ledger.state.withLock { $0 }
            print("""
                collection c\(i) (\(Self.shardCounts[i]) shards): \(s.upserted.count) ids upserted, \(s.deletes) deleted, \
                \(s.searches) searches checking \(s.hitsChecked) hits, \(s.checkpoints) checkpoints, \
                \(s.compactions) compactions (\(s.compactionsRefused) refused as concurrent)
                """)
            #expect(s.violations.isEmpty, "c\(i): \(s.violations.count) violations, first: \(s.violations.prefix(5))")
            #expect(s.searches > 0 && s.hitsChecked > 0 && s.deletes > 0 && s.checkpoints > 0 && s.compactions > 0)
        }
        // Nothing lost: each collection holds exactly the live ids with their latest vectors,
        // now, after one more compaction, and after a reopen.
        func verify(_ collections: [VectorCollection], _ when: String) {
            for (i, ledger) in ledgers.enumerated() {
                let s = ledger.state.withLock { $0 }
                let collection = collections[i]
                #expect(collection.count == s.latest.count, "c\(i) \(when)")
                let wrong = s.latest.filter { collection.get($0.key)?.vector != $0.value }.count
                #expect(wrong == 0, "c\(i) \(when): \(wrong) live ids missing or with another vector")
                let resurrected = s.deleted.keys.filter { collection.contains($0) }.count
                #expect(resurrected == 0, "c\(i) \(when): \(resurrected) deleted ids present")
            }
        }
        verify(collections, "after the run")
        for collection in collections { try await collection.compact() }
        for collection in collections { #expect(collection.statistics().deleted == 0) }
        verify(collections, "after a final compaction")
        await client.close()
        client = try await Client(directory: folder.path)
        var reopened: [VectorCollection] = []
        for i in collections.indices { reopened.append(try await client.collection("c\(i)")) }
        verify(reopened, "after reopening")
        await client.close()
    }

    /// Upserts new ids in batches, moves one of its live ids, deletes some of them (never
    /// re-upserted), and checks each write is visible as soon as it returns.
    static func writer(_ t: Int, _ collection: VectorCollection, _ ledger: Ledger, _ rng: inout SeededGenerator) async throws {
        var live: [String] = []
        for round in 0..<rounds {
            let batch = (0..<6).map { VectorRecord(id: "t\(t)-r\(round)-\($0)", vector: randomVector(&rng)) }
            ledger.state.withLock { s in for r in batch { s.upserted.insert(r.id) } }
            if round % 2 == 0 {
                try await collection.upsert(batch)
            } else {
                for record in batch { try await collection.upsert(id: record.id, vector: record.vector) }
            }
            ledger.state.withLock { s in for r in batch { s.latest[r.id] = r.vector } }
            for record in batch {
                #expect(collection.get(record.id)?.vector == record.vector, "\(record.id) not visible after its upsert returned")
            }
            live += batch.map(\.id)

            // A new vector for one live id.
            if let moved = live.randomElement(using: &rng) {
                let vector = randomVector(&rng)
                try await collection.upsert(id: moved, vector: vector)
                ledger.state.withLock { $0.latest[moved] = vector }
                let found = try await collection.search(vector, k: 1, ids: [moved])
                #expect(found.ids == [moved] && found.first?.distance == 0)
            }

            // Deletes: three of its own live ids, alone or as one batch.
            live.shuffle(using: &rng)
            let doomed = Array(live.suffix(3))
            live.removeLast(doomed.count)
            let vectors = ledger.state.withLock { s in doomed.map { s.latest[$0]! } }
            if round % 3 == 0 {
                #expect(try await collection.delete(doomed) == doomed.count)
            } else {
                for id in doomed { #expect(try await collection.delete(id)) }
            }
            let returned = ContinuousClock.now
            ledger.state.withLock { s in
                for (id, vector) in zip(doomed, vectors) {
                    let deleted = Ledger.Deleted(id: id, vector: vector, at: returned)
                    s.deleted[id] = deleted
                    s.latest[id] = nil
                    s.recent.append(deleted)
                    s.deletes += 1
                }
                if s.recent.count > 64 { s.recent.removeFirst(s.recent.count - 64) }
            }
            for (id, vector) in zip(doomed, vectors) {
                #expect(!collection.contains(id))
                let start = ContinuousClock.now
                let hits = try await collection.search(vector, k: 3)
                ledger.check(hits, startedAt: start, "writer \(t) after deleting")
            }
            ledger.state.withLock { $0.writerRounds += 1 }
        }
    }

    /// Single searches (some with ids or maxDistance), snapshot searches, get and contains.
    static func searcher(_ t: Int, _ collection: VectorCollection, _ ledger: Ledger, _ rng: inout SeededGenerator) async throws {
        for round in 0..<rounds {
            try await ledger.waitForWriters(round)
            for i in 0..<4 {
                let query = ledger.query(&rng)
                let start = ContinuousClock.now
                let hits: SearchResults
                switch i {
                case 0:
                    let candidates = ledger.state.withLock { s in Set(s.recent.map(\.id) + s.latest.keys.prefix(20)) }
                    hits = try await collection.search(query, k: 10, ids: candidates)
                case 1:
                    hits = try await collection.search(query, k: 10, maxDistance: 0.5, includeVectors: true)
                    #expect(hits.allSatisfy { $0.distance <= 0.5 && $0.vector?.count == dimension })
                case 2:
                    hits = try collection.snapshot().search(query, k: 10)
                default:
                    hits = try await collection.search(query, k: 10, ef: 64)
                }
                #expect(!hits.isPartial)
                ledger.check(hits, startedAt: start, "searcher \(t) round \(round) kind \(i)")
            }
            // get and contains of a deleted id, after its delete returned.
            if let deleted = ledger.state.withLock({ $0.recent.randomElement(using: &rng) }) {
                #expect(!collection.contains(deleted.id) && collection.get(deleted.id) == nil, "\(deleted.id) after its delete")
            }
            await Task.yield()
        }
    }

    /// Batch searches.
    static func batchSearcher(_ t: Int, _ collection: VectorCollection, _ ledger: Ledger, _ rng: inout SeededGenerator) async throws {
        for round in 0..<rounds {
            try await ledger.waitForWriters(round)
            let queries = (0..<8).map { _ in ledger.query(&rng) }
            let start = ContinuousClock.now
            let results = try await collection.search(queries, k: 5)
            #expect(results.count == queries.count)
            for hits in results {
                #expect(!hits.isPartial)
                ledger.check(hits, startedAt: start, "batch searcher \(t) round \(round)")
            }
        }
    }

    /// Checkpoints every other round, compacts every fifth, reads statistics, searches.
    static func maintainer(_ t: Int, _ collection: VectorCollection, _ ledger: Ledger, _ rng: inout SeededGenerator) async throws {
        for round in 0..<rounds {
            try await ledger.waitForWriters(round)
            if round % 2 == 0 {
                try await collection.checkpoint()
                ledger.state.withLock { $0.checkpoints += 1 }
            }
            if round % 5 == 4 {
                do {
                    try await collection.compact(onlyWhenNeeded: round % 10 == 4)
                    ledger.state.withLock { $0.compactions += 1 }
                } catch {
                    // Another maintainer of this collection is compacting the same shard.
                    guard error.code == .invalidArgument, error.message.contains("already being compacted") else { throw error }
                    ledger.state.withLock { $0.compactionsRefused += 1 }
                }
            }
            let statistics = collection.statistics()
            #expect(statistics.live <= statistics.vectors && statistics.deleted == statistics.vectors - statistics.live)
            let query = ledger.query(&rng)
            let start = ContinuousClock.now
            let hits = try await collection.search(query, k: 10)
            ledger.check(hits, startedAt: start, "maintainer \(t) round \(round)")
        }
    }
}
