#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Semblance

/// The writer and the readers of the readers' test (Tests/SemblanceTests/ReaderProcessTests.swift):
/// one process imports batches while others read the same collection.
///
/// The writer creates the collection `readers` (4 shards, 8-d squared-Euclidean, automatic
/// checkpoints every 200 writes) and upserts `batches` batches of `batchSize` new ids each,
/// `b<i>-<j>` with the vector [i, j, 1, 0, …]. Every 50th batch it also commits, every
/// 110th it collects garbage with no grace period. It prints
/// `ack <i>` after each batch and `done` at the end.
///
/// A reader opens the directory read-only and refreshes in a loop. Every state it sees must
/// be one the writer had: `k` whole batches, so its count is `k × batchSize`, it holds the
/// last id of batch k-1 and no id of batch k, and a search restricted to batch k-1's ids
/// finds all of them and one restricted to batch k's finds none. It prints `state <k>`
/// when k changes, `bad <what>` and exits 1 on a violation, and `final <k> <refreshes>`
/// once it has seen all `batches` (exit 0) or when `seconds` pass (exit 2).
enum ReaderWorkload {
    static let name = "readers"
    static let configuration = CollectionConfiguration(
        dimension: 8, metric: .squaredEuclidean, shardCount: 4, m: 8, efConstruction: 32,
        durability: .none, checkpointPolicy: CheckpointPolicy(maxOperations: 200))

    static func id(_ batch: Int, _ item: Int) -> String { "b\(batch)-\(item)" }

    static func vector(_ batch: Int, _ item: Int) -> [Float] {
        [Float(batch), Float(item), 1] + [Float](repeating: 0, count: configuration.dimension - 3)
    }

    static func write(directory: String, batches: Int, batchSize: Int) async throws(SemblanceError) {
        let client = try await Client(directory: directory)
        let collection = try await client.getOrCreateCollection(name, configuration: configuration)
        for batch in 0..<batches {
            try await collection.upsert((0..<batchSize).map { VectorRecord(id: id(batch, $0), vector: vector(batch, $0)) })
            if batch % 50 == 49 { try await collection.commit(message: "batch \(batch)") }
            if batch % 110 == 109 { _ = try await collection.collectGarbage(grace: 0) }
            Output.line("ack \(batch)")
        }
        await client.close()
        Output.line("done")
    }

    static func read(directory: String, batches: Int, batchSize: Int, seconds: Double) async throws(SemblanceError) -> Int32 {
        let deadline = ContinuousClock.now + .seconds(seconds)
        // The writer may not have created the directory or the collection yet.
        var collection: VectorCollection?
        while collection == nil {
            do throws(SemblanceError) {
                collection = try await Client(directory: directory, access: .readOnly).collection(name)
            } catch let error where error.code == .unknownCollection || error.code == .io {
                guard ContinuousClock.now < deadline else { Output.line("final 0 0"); return 2 }
                usleep(2_000)
            }
        }
        guard let collection else { return 2 }
        var seen = -1
        var refreshes = 0
        while true {
            let count = collection.count
            guard count % batchSize == 0 else {
                Output.line("bad count \(count) is not a whole number of batches of \(batchSize)")
                return 1
            }
            let k = count / batchSize
            if let problem = try await check(collection, batches: k, batchSize: batchSize) {
                Output.line("bad at \(k) batches: \(problem)")
                return 1
            }
            if k < seen {
                Output.line("bad went back from \(seen) to \(k) batches")
                return 1
            }
            if k != seen { Output.line("state \(k)") }
            seen = k
            if k == batches || ContinuousClock.now >= deadline {
                Output.line("final \(k) \(refreshes)")
                return k == batches ? 0 : 2
            }
            try await collection.refresh()
            refreshes += 1
        }
    }

    /// What is wrong with a state of `batches` whole batches, or nil.
    private static func check(_ collection: VectorCollection, batches k: Int, batchSize: Int) async throws(SemblanceError) -> String? {
        let next = Set((0..<batchSize).map { id(k, $0) })
        if let present = next.first(where: { collection.contains($0) }) { return "holds \(present) of the next batch" }
        let none = try await collection.search(vector(k, 0), k: batchSize, ids: next)
        if !none.isEmpty { return "a search finds \(none.count) ids of the next batch" }
        guard k > 0 else { return nil }
        let last = Set((0..<batchSize).map { id(k - 1, $0) })
        if let absent = last.first(where: { collection.get($0)?.vector != vector(k - 1, Int($0.split(separator: "-")[1])!) }) {
            return "lacks \(absent), or holds another vector for it"
        }
        let found = try await collection.search(vector(k - 1, 0), k: batchSize, ids: last)
        if Set(found.map(\.id)) != last { return "a search of the last batch finds \(found.count) of its \(batchSize) ids" }
        return nil
    }
}
