import Semblance

/// The scripted workload: the same sequence of calls for the same seed, whatever the crash
/// point, so the parent can kill it at every I/O call in turn.
///
/// It opens a client on the directory and creates the collection `crash` in it (2 shards,
/// 8-d squared-Euclidean vectors, durability `.durable`, manual checkpoints)
/// and runs `steps` steps; each step upserts a batch of new ids, often mixed with
/// re-upserts of live ids and resurrections of deleted ones, each with a fresh vector;
/// every third step deletes live ids (sometimes also an id that never existed); every
/// seventh step checkpoints. The collection is closed at the end.
///
/// Protocol on stdout, one line per event, written before (`inflight`) and after (`ack`)
/// each call: the parent treats an `ack` as a promise that the call's effect is durable,
/// and an `inflight` without its `ack` as a call whose effect may be present or absent.
///
///     inflight create                   ack create
///     inflight upsert <step> <id>=<v>…  ack upsert <step> <id>=<v>…
///     inflight delete <step> <id>…      ack delete <step> <id>…
///     inflight checkpoint <step>        ack checkpoint <step>
///     inflight close                    ack close
///     done <counted I/O calls>
///
/// `<v>` is the vector as the bit patterns of its Float components, 8 hex digits each,
/// joined by commas, so the parent compares exact bits.
struct Workload {
    static let configuration = CollectionConfiguration(
        dimension: 8, metric: .squaredEuclidean, shardCount: 2, m: 8, efConstruction: 32, checkpointPolicy: .manual)
    static let name = "crash"
    static let steps = 64

    var random: SplitMix64
    var live: [String] = []          // in order of first insertion, for deterministic picks
    var deleted: [String] = []
    var nextID = 0

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    static func hex(_ vector: [Float]) -> String {
        vector.map { value in
            let digits = String(value.bitPattern, radix: 16)
            return String(repeating: "0", count: 8 - digits.count) + digits
        }.joined(separator: ",")
    }

    mutating func vector() -> [Float] {
        (0..<Self.configuration.dimension).map { _ in Float.random(in: -1..<1, using: &random) }
    }

    /// Removes and returns `count` distinct random elements of `pool`.
    mutating func take(_ count: Int, from pool: inout [String]) -> [String] {
        var taken: [String] = []
        for _ in 0..<min(count, pool.count) {
            taken.append(pool.remove(at: Int.random(in: 0..<pool.count, using: &random)))
        }
        return taken
    }

    mutating func run(_ fs: any FileSystem, directory: String) async throws(SemblanceError) {
        Output.line("inflight create")
        let client = try await Client(directory: directory, fileSystem: fs)
        let store = try await client.createCollection(Self.name, configuration: Self.configuration)
        Output.line("ack create")
        for step in 0..<Self.steps {
            // An upsert: 1–6 new ids; half the time 1–3 live ids again; a quarter of the
            // time a deleted id again. Every vector is fresh.
            var ids: [String] = []
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                ids.append("v\(nextID)")
                nextID += 1
            }
            var reused: [String] = []
            if Bool.random(using: &random) {
                var pool = live
                reused += take(Int.random(in: 1...3, using: &random), from: &pool)
            }
            if Int.random(in: 0..<4, using: &random) == 0 {
                var pool = deleted
                let back = take(1, from: &pool)
                reused += back
                deleted.removeAll { back.contains($0) }
            }
            let batch = (ids + reused).map { VectorRecord(id: $0, vector: vector()) }
            let text = "upsert \(step) " + batch.map { "\($0.id)=\(Self.hex($0.vector))" }.joined(separator: " ")
            Output.line("inflight " + text)
            try await store.upsert(batch)
            Output.line("ack " + text)
            for id in ids + reused where !live.contains(id) { live.append(id) }

            if step % 3 == 2 && !live.isEmpty {
                var pool = live
                var doomed = take(Int.random(in: 1...3, using: &random), from: &pool)
                let victims = doomed
                if Int.random(in: 0..<4, using: &random) == 0 { doomed.append("never-\(step)") }
                let text = "delete \(step) " + doomed.joined(separator: " ")
                Output.line("inflight " + text)
                try await store.delete(doomed)
                Output.line("ack " + text)
                live.removeAll { victims.contains($0) }
                deleted += victims
            }

            if step % 7 == 6 {
                Output.line("inflight checkpoint \(step)")
                try await store.checkpoint()
                Output.line("ack checkpoint \(step)")
            }
        }
        Output.line("inflight close")
        await client.close()
        Output.line("ack close")
    }
}
