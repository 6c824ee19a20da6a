import Semblance

/// The scripted workload: the same sequence of calls for the same seed, whatever the crash
/// point, so the parent can kill it at every I/O call in turn.
///
/// It opens a client on the directory and creates the collection `crash` in it (2 shards,
/// 8-d squared-Euclidean vectors, durability `.durable`, manual checkpoints)
/// and runs `steps` steps; each step upserts a batch of new ids, often mixed with
/// re-upserts of live ids and resurrections of deleted ones, each with a fresh vector;
/// every third step deletes live ids (sometimes also an id that never existed); every
/// seventh step checkpoints or commits, in turn. Versioning runs beside it: at step 8 the
/// branch `side` is created from main, and from then on every fourth step upserts new ids
/// (`s<n>`) on it; step 20 tags side as `t20`; steps 30 and 50 merge side into main (a
/// three-way merge whose effect on main is an upsert of side's new ids); step 40 resets
/// side to `t20`; step 60 collects garbage keeping one user commit per branch. The
/// collection is closed at the end.
///
/// Protocol on stdout, one line per event, written before (`inflight`) and after (`ack`)
/// each call: the parent treats an `ack` as a promise that the call's effect is durable,
/// and an `inflight` without its `ack` as a call whose effect may be present or absent.
///
///     inflight create                   ack create
///     inflight upsert <step> <id>=<v>…  ack upsert <step> <id>=<v>…
///     inflight delete <step> <id>…      ack delete <step> <id>…
///     inflight checkpoint <step>        ack checkpoint <step>
///     inflight commit <step>            ack commit <step>
///     inflight branch|tag|reset|gc <step>   ack …   (no effect on main)
///     inflight side <step> <id>=<v>…    ack side …  (upserts on side: no effect on main)
///     inflight merge <step> <id>=<v>…   ack merge …  (on main: an upsert of these records)
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
    /// Records upserted on `side` since its last merge into main (or its reset).
    var sideNew: [VectorRecord] = []
    var nextSideID = 0

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
                let kind = step % 14 == 6 ? "checkpoint" : "commit"
                Output.line("inflight \(kind) \(step)")
                if kind == "checkpoint" { try await store.checkpoint() } else { try await store.commit(message: "step \(step)") }
                Output.line("ack \(kind) \(step)")
            }
            try await versioning(step, client: client, main: store)
        }
        Output.line("inflight close")
        await client.close()
        Output.line("ack close")
    }

    /// The versioning beside the main workload (see the type's comment).
    mutating func versioning(_ step: Int, client: Client, main: VectorCollection) async throws(SemblanceError) {
        func call(_ line: String, _ body: () async throws(SemblanceError) -> Void) async throws(SemblanceError) {
            Output.line("inflight " + line)
            try await body()
            Output.line("ack " + line)
        }
        if step == 8 { try await call("branch \(step)") { () throws(SemblanceError) in _ = try await main.createBranch("side") } }
        guard step >= 8 else { return }
        let side = try await client.collection(Self.name, branch: "side")
        if step % 4 == 1 {
            let batch = (0..<Int.random(in: 1...3, using: &random)).map { _ in
                nextSideID += 1
                return VectorRecord(id: "s\(nextSideID)", vector: vector())
            }
            try await call("side \(step) " + batch.map { "\($0.id)=\(Self.hex($0.vector))" }.joined(separator: " ")) { () throws(SemblanceError) in
                try await side.upsert(batch)
            }
            sideNew += batch
        }
        switch step {
        case 20: try await call("tag \(step)") { () throws(SemblanceError) in _ = try await side.createTag("t20") }
        case 30, 50:
            let merged = sideNew
            try await call("merge \(step) " + merged.map { "\($0.id)=\(Self.hex($0.vector))" }.joined(separator: " ")) { () throws(SemblanceError) in
                _ = try await main.merge("side")
            }
            for record in merged where !live.contains(record.id) { live.append(record.id) }
            sideNew = []
        case 40:
            // Back to t20, whose new ids main has had since the merge of step 30.
            try await call("reset \(step)") { () throws(SemblanceError) in _ = try await side.reset(to: "t20") }
            sideNew = []
        case 60:
            try await call("gc \(step)") { () throws(SemblanceError) in
                _ = try await main.collectGarbage(retention: RetentionPolicy(keepLast: 1), grace: 0)
            }
        default: break
        }
    }
}
