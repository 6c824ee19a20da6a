#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Semblance

/// The writer and the readers of the readers' test (Tests/SemblanceTests/ReaderProcessTests.swift):
/// one process imports batches while others read the same collection.
///
/// The writer creates the collection `readers` (4 shards, 8-d squared-Euclidean, durability
/// `.none` so that groups follow each other fast, automatic checkpoints every 200 writes)
/// and upserts `batches` batches of new ids: batch i holds `1 + i % largest` ids `b<i>-<j>`
/// with the vectors [i, j, 1, 0, …], so batches span one shard or several. Every 50th batch
/// it also commits, every 110th it collects garbage keeping one user commit, with no grace
/// period, so that the pages of heads a reader may be loading are deleted. It prints
/// `ack <i>` after each batch and `done` at the end.
///
/// A reader opens the directory read-only and refreshes in a loop. Every state it sees must
/// be one the writer had, the first k batches whole: its count is that of k batches, it
/// holds batch k-1's ids with their vectors and no id of batch k, and a search restricted
/// to batch k-1's ids finds all of them and one restricted to batch k's finds none; every
/// 25th state, every earlier id is checked too. It
/// prints `state <k>` when k changes, `bad <what>` and exits 1 on a violation, and
/// `final <k> <refreshes>` once it has seen all `batches` (exit 0) or when `seconds` pass
/// (exit 2).
enum ReaderWorkload {
    static let name = "readers"
    static let configuration = CollectionConfiguration(
        dimension: 8, metric: .squaredEuclidean, shardCount: 4, m: 8, efConstruction: 32,
        durability: .none, checkpointPolicy: CheckpointPolicy(maxOperations: 200))

    static func id(_ batch: Int, _ item: Int) -> String { "b\(batch)-\(item)" }

    static func size(_ batch: Int, largest: Int) -> Int { 1 + batch % largest }

    static func vector(_ batch: Int, _ item: Int) -> [Float] {
        [Float(batch), Float(item), 1] + [Float](repeating: 0, count: configuration.dimension - 3)
    }

    /// Writes batches `first..<batches` (a writer restarted after a kill continues after the
    /// last batch it acknowledged).
    static func write(directory: String, batches: Int, largest: Int, first: Int = 0) async throws(SemblanceError) {
        let client = try await Client(directory: directory)
        let collection = try await client.getOrCreateCollection(name, configuration: configuration)
        for batch in first..<batches {
            try await collection.upsert((0..<size(batch, largest: largest)).map { VectorRecord(id: id(batch, $0), vector: vector(batch, $0)) })
            if batch % 50 == 49 { try await collection.commit(message: "batch \(batch)") }
            if batch % 110 == 109 { _ = try await collection.collectGarbage(retention: RetentionPolicy(keepLast: 1), grace: 0) }
            Output.line("ack \(batch)")
        }
        await client.close()
        Output.line("done")
    }

    static func read(directory: String, batches: Int, largest: Int, seconds: Double) async throws(SemblanceError) -> Int32 {
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
        // The count after each number of whole batches.
        var counts: [Int: Int] = [0: 0]
        var total = 0
        for batch in 0..<batches {
            total += size(batch, largest: largest)
            counts[total] = batch + 1
        }
        var seen = -1
        var states = 0
        var refreshes = 0
        while true {
            let count = collection.count
            guard let k = counts[count] else {
                Output.line("bad count \(count) is not that of whole batches")
                return 1
            }
            if let problem = try await check(collection, batches: k, largest: largest) {
                Output.line("bad at \(k) batches: \(problem)")
                return 1
            }
            if k < seen {
                Output.line("bad went back from \(seen) to \(k) batches")
                return 1
            }
            if k != seen {
                Output.line("state \(k)")
                states += 1
                if states % 25 == 0, let missing = (0..<k).lazy.flatMap({ batch in (0..<size(batch, largest: largest)).map { id(batch, $0) } })
                    .first(where: { !collection.contains($0) }) {
                    Output.line("bad at \(k) batches: lacks \(missing)")
                    return 1
                }
            }
            seen = k
            if k == batches || ContinuousClock.now >= deadline {
                Output.line("final \(k) \(refreshes)")
                return k == batches ? 0 : 2
            }
            try await collection.refresh()
            refreshes += 1
        }
    }

    /// What is wrong with a state of `k` whole batches, or nil.
    private static func check(_ collection: VectorCollection, batches k: Int, largest: Int) async throws(SemblanceError) -> String? {
        let next = Set((0..<size(k, largest: largest)).map { id(k, $0) })
        if let present = next.first(where: { collection.contains($0) }) { return "holds \(present) of the next batch" }
        let none = try await collection.search(vector(k, 0), k: next.count, ids: next)
        if !none.isEmpty { return "a search finds \(none.count) ids of the next batch" }
        guard k > 0 else { return nil }
        let count = size(k - 1, largest: largest)
        if let absent = (0..<count).first(where: { collection.get(id(k - 1, $0))?.vector != vector(k - 1, $0) }) {
            return "lacks \(id(k - 1, absent)), or holds another vector for it"
        }
        let last = Set((0..<count).map { id(k - 1, $0) })
        let found = try await collection.search(vector(k - 1, 0), k: count, ids: last)
        if Set(found.map(\.id)) != last { return "a search of the last batch finds \(found.count) of its \(count) ids" }
        return nil
    }
}

/// The reader of the lapsed-lease test (ReaderProcessTests): it opens collection `docs`
/// read-only with a lease of `leaseSeconds`, prints `open <count>`, then reads its history
/// every 20 ms. The test stops the process (SIGSTOP) past its lease while the writer commits
/// and collects garbage, then lets it go on. The first failed read prints `error <code>`;
/// the reader then refreshes and prints `refreshed <count> <commits in history>` (exit 0),
/// or `failed <message>` (exit 1). After 60 s without an error it prints `timeout` (exit 2).
enum SuspendedReader {
    static func run(directory: String, leaseSeconds: Double) async -> Int32 {
        do throws(SemblanceError) {
            let client = try await Client(directory: directory, access: .readOnly.leaseDuration(leaseSeconds))
            let collection = try await client.collection("docs")
            Output.line("open \(collection.count)")
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                do throws(SemblanceError) {
                    _ = try await collection.history()
                } catch {
                    Output.line("error \(error.code)")
                    do throws(SemblanceError) {
                        try await collection.refresh()
                        Output.line("refreshed \(collection.count) \(try await collection.history().count)")
                        return 0
                    } catch {
                        Output.line("failed \(error)")
                        return 1
                    }
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
            Output.line("timeout")
            return 2
        } catch {
            Output.line("failed \(error)")
            return 1
        }
    }
}
