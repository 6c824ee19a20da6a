import Foundation
import Testing
@testable import Semblance

/// Branches, tags, commits, time travel, reset, diff, merge, compaction and garbage
/// collection over seeded random histories, checked against a model kept in plain
/// dictionaries: the state of every branch, and of every commit the model saw made.
@Suite("Versioning against a model: every kept commit holds what the model says")
struct VersioningModelTests {
    struct Record: Equatable {
        var vector: [Float]
        var metadata: Metadata?
    }
    typealias State = [String: Record]

    /// What the collection should hold.
    struct Model {
        /// Each branch's acknowledged state, and whether it holds writes since its head.
        var branches: [String: State] = ["main": [:]]
        var dirty: Set<String> = []
        /// Every commit seen made, with the state it holds.
        var commits: [String: State] = [:]
        var tags: [String: String] = [:]

        mutating func write(_ branch: String, _ change: (inout State) -> Bool) {
            if change(&branches[branch]!) { dirty.insert(branch) }
        }
    }

    static let configuration = CollectionConfiguration(dimension: 4, metric: .squaredEuclidean, shardCount: 2, m: 4, efConstruction: 16,
                                                       defaultEf: 32, checkpointPolicy: .manual)

    static func contents(_ snapshot: CollectionSnapshot) -> State {
        var state: State = [:]
        for shard in snapshot.shards {
            for record in shard.records { state[record.id] = Record(vector: record.vector, metadata: shard.metadata(of: record.id)) }
        }
        return state
    }

    static func diff(_ a: State, _ b: State) -> CollectionDiff {
        var diff = CollectionDiff()
        for (id, old) in a {
            guard let new = b[id] else { diff.removed.append(id); continue }
            if !StoredRecord.sameVector(old.vector, new.vector) { diff.vectorChanged.append(id) }
            if old.metadata != new.metadata { diff.metadataChanged.append(id) }
        }
        diff.added = b.keys.filter { a[$0] == nil }
        diff.added.sort(); diff.removed.sort(); diff.vectorChanged.sort(); diff.metadataChanged.sort()
        return diff
    }

    /// The three-way merge the model expects, or the conflicting ids.
    static func merge(base: State, ours: State, theirs: State, strategy: MergeStrategy) -> (State, [String]) {
        var result = ours
        var conflicts: [String] = []
        for id in Set(base.keys).union(ours.keys).union(theirs.keys) {
            let b = base[id], o = ours[id], t = theirs[id]
            if t == b || t == o { continue }       // theirs changed nothing, or the same as ours
            if o == b { result[id] = t; continue }  // only theirs changed
            // Both changed, differently: field by field when both still hold it.
            if let b, let o, let t {
                let ov = !StoredRecord.sameVector(b.vector, o.vector), tv = !StoredRecord.sameVector(b.vector, t.vector)
                let om = b.metadata != o.metadata, tm = b.metadata != t.metadata
                let vectorClash = ov && tv && !StoredRecord.sameVector(o.vector, t.vector)
                let metadataClash = om && tm && o.metadata != t.metadata
                if !vectorClash && !metadataClash {
                    result[id] = Record(vector: tv ? t.vector : o.vector, metadata: tm ? t.metadata : o.metadata)
                    continue
                }
            }
            switch strategy {
            case .failOnConflict: conflicts.append(id)
            case .ours: break
            case .theirs: result[id] = t
            }
        }
        return (result, conflicts.sorted())
    }

    @Test("seeded random histories", arguments: [UInt64(11), 12, 13])
    func randomHistory(seed: UInt64) async throws {
        var random = SeededGenerator(seed: seed)
        let folder = TemporaryDirectory()
        var client = try await Client(directory: folder.path)
        var open: [String: VectorCollection] = ["main": try await client.createCollection("c", configuration: Self.configuration)]
        var model = Model()
        let ids = (0..<48).map { "r\($0)" }

        func handle(_ branch: String) async throws -> VectorCollection {
            if let known = open[branch] { return known }
            let collection = try await client.collection("c", branch: branch)
            open[branch] = collection
            return collection
        }
        /// Records the heads that moved: each holds its branch's state as of now, and so do
        /// the commits made since the last one the model knows (a compaction of two shards
        /// commits twice, with no write between).
        func learnHeads() async throws {
            for ref in try await handle("main").branches() where model.commits[ref.commit] == nil {
                for commit in try await handle(ref.name).history(limit: 4) {
                    if model.commits[commit.id] != nil { break }
                    model.commits[commit.id] = model.branches[ref.name]
                }
                model.dirty.remove(ref.name)
            }
        }
        func check(_ step: Int) async throws {
            let main = try await handle("main")
            for (branch, state) in model.branches {
                let collection = try await handle(branch)
                #expect(Self.contents(collection.snapshot()) == state, "seed \(seed) step \(step): branch \(branch)")
            }
            for (id, state) in model.commits {
                let snapshot: CollectionSnapshot
                do {
                    snapshot = try await main.snapshot(at: id)
                } catch {
                    // Collected after a reset left it behind: only an unreachable commit may go.
                    guard error.code == .unknownRef || error.code == .corruptFile else { throw error }
                    continue
                }
                #expect(Self.contents(snapshot) == state, "seed \(seed) step \(step): commit \(id.prefix(12))")
            }
            // Diffs between random pairs of commits, against the model and a full comparison.
            let known = model.commits.keys.sorted()
            for _ in 0..<3 where known.count >= 2 {
                let a = known.randomElement(using: &random)!, b = known.randomElement(using: &random)!
                guard (try? main.commit(id: a)) != nil, (try? main.commit(id: b)) != nil else { continue }
                let diff = try await main.diff(from: a, to: b)
                #expect(diff == Self.diff(model.commits[a]!, model.commits[b]!), "seed \(seed) step \(step): diff \(a.prefix(8))…\(b.prefix(8))")
                let full = try CommitDiffer(files: main.engine.files).deltasReadingEverything(from: ObjectHash(hex: a)!, to: ObjectHash(hex: b)!)
                #expect(CommitDiffer.summary(full) == diff)
            }
            // Tags never move and are never collected: their commits read back whole.
            for (tag, commit) in model.tags {
                #expect(try main.commit(id: tag).id == commit)
                #expect(Self.contents(try await main.snapshot(at: tag)) == model.commits[commit], "seed \(seed) step \(step): tag \(tag)")
            }
            // Each branch's history reads to its start (pruned or not), every commit in it kept.
            for branch in model.branches.keys {
                let history = try await handle(branch).history()
                #expect(history.first?.id == (try? main.commit(id: branch).id))
                for commit in history {
                    let state = try #require(model.commits[commit.id], "seed \(seed) step \(step): \(branch) history has an unknown commit")
                    #expect(Self.contents(try await main.snapshot(at: commit.id)) == state)
                }
            }
        }

        var branchNumber = 0
        var tally: [String: Int] = [:]
        for step in 0..<160 {
            let branches = model.branches.keys.sorted()
            let branch = branches.randomElement(using: &random)!
            let collection = try await handle(branch)
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<40:
                // A batch of writes.
                for _ in 0..<Int.random(in: 1...6, using: &random) {
                    let id = ids.randomElement(using: &random)!
                    switch Int.random(in: 0..<4, using: &random) {
                    case 0:
                        let existed = try await collection.delete(id)
                        #expect(existed == (model.branches[branch]![id] != nil))
                        model.write(branch) { $0.removeValue(forKey: id) != nil }
                    case 1:
                        let metadata: Metadata = .object(["g": .int(Int64.random(in: 0..<3, using: &random))])
                        let stored = try await collection.setMetadata(metadata, for: id)
                        #expect(stored == (model.branches[branch]![id] != nil))
                        model.write(branch) { state in
                            guard state[id] != nil else { return false }
                            state[id]!.metadata = metadata
                            return true
                        }
                    default:
                        let vector = (0..<4).map { _ in Float(Int.random(in: -8...8, using: &random)) / 2 }
                        let metadata: Metadata? = Bool.random(using: &random) ? .object(["g": .int(Int64.random(in: 0..<3, using: &random))]) : nil
                        try await collection.upsert(id: id, vector: vector, metadata: metadata)
                        model.write(branch) { $0[id] = Record(vector: vector, metadata: metadata); return true }
                    }
                }
            case 40..<50:
                let commit = try await collection.commit(message: "step \(step)")
                #expect(!commit.isAutomatic && commit.branch == branch && commit.message == "step \(step)")
                model.commits[commit.id] = model.branches[branch]
                model.dirty.remove(branch)
            case 50..<55:
                let commit = try #require(try await collection.checkpoint())
                #expect(model.commits[commit.id] == nil || !model.dirty.contains(branch))
                model.commits[commit.id] = model.branches[branch]
                model.dirty.remove(branch)
            case 55..<63 where model.branches.count < 6:
                branchNumber += 1
                let name = "b\(branchNumber)"
                let known = model.commits.keys.sorted()
                if known.isEmpty || Bool.random(using: &random) {
                    try await collection.createBranch(name)
                    model.branches[name] = model.branches[branch]
                } else {
                    let commit = known.randomElement(using: &random)!
                    guard (try? collection.commit(id: commit)) != nil else { break }
                    try await collection.createBranch(name, from: String(commit.prefix(10)))
                    model.branches[name] = model.commits[commit]
                }
            case 63..<66:
                let name = "t\(step)"
                let tag = try await collection.createTag(name)
                model.tags[name] = tag.commit
            case 66..<74:
                let known = model.commits.keys.sorted()
                guard let target = known.randomElement(using: &random), (try? collection.commit(id: target)) != nil else { break }
                try await collection.reset(to: target)
                tally["reset", default: 0] += 1
                model.branches[branch] = model.commits[target]
                model.dirty.remove(branch)
            case 74..<88:
                let source = branches.randomElement(using: &random)!
                guard source != branch else { break }
                let strategy = MergeStrategy.allCases.randomElement(using: &random)!
                // The source's log is committed first: its head then holds its state.
                _ = try await handle(source).checkpoint()
                try await learnHeads()
                // Half the time the branch's own log holds writes: they take part as they are.
                if Bool.random(using: &random) {
                    _ = try await collection.checkpoint()
                    try await learnHeads()
                }
                let logged = model.dirty.contains(branch)
                let ours = try collection.commit(id: branch).id
                let theirs = try collection.commit(id: source).id
                let base = try Self.mergeBase(collection, ours, theirs)
                let (expected, conflicts) = Self.merge(base: base.map { model.commits[$0]! } ?? [:], ours: model.branches[branch]!,
                                                        theirs: model.branches[source]!, strategy: strategy)
                do {
                    let merged = try await collection.merge(source, strategy: strategy)
                    #expect(conflicts.isEmpty, "seed \(seed) step \(step): conflicts expected \(conflicts)")
                    model.branches[branch] = expected
                    if base != theirs && (base != ours || logged) {
                        // A merge commit, holding the branch's log too.
                        #expect(merged.parents == [ours, theirs])
                        model.commits[merged.id] = expected
                        model.dirty.remove(branch)
                        tally[logged ? "three-way merge with the log" : "three-way merge", default: 0] += 1
                    } else {
                        // A fast-forward to theirs, or nothing to do: a commit already known.
                        #expect(merged.id == (base == ours ? theirs : ours))
                        tally[base == ours ? "fast-forward" : "up to date", default: 0] += 1
                    }
                } catch SemblanceError.Code.historyPruned {
                    tally["ancestor pruned", default: 0] += 1
                    #expect(try collection.commit(id: branch).id == ours, "a refused merge writes nothing")
                } catch {
                    guard error.code == .mergeConflict else { throw error }
                    tally["conflict", default: 0] += 1
                    #expect(error.ids == conflicts, "seed \(seed) step \(step): the conflicting ids")
                    #expect(strategy == .failOnConflict && !conflicts.isEmpty, "seed \(seed) step \(step)")
                    #expect(try collection.commit(id: branch).id == ours, "a failed merge writes nothing")
                }
            case 88..<92:
                _ = try await collection.compact()
            case 92..<96:
                let retention = Bool.random(using: &random) ? RetentionPolicy.keepAll : RetentionPolicy(keepLast: Int.random(in: 0...2, using: &random))
                let report = try await collection.collectGarbage(retention: retention, grace: 0)
                if !retention.keepsEverything { tally["pruned commits", default: 0] += report.prunedCommits }
                tally["objects collected", default: 0] += report.deletedObjects
                #expect(report.keptCommits > 0 || model.commits.isEmpty)
            default:
                // Reopen everything.
                await client.close()
                client = try await Client(directory: folder.path)
                open = [:]
            }
            try await learnHeads()
            if step % 10 == 9 { try await check(step) }
        }
        try await check(160)
        tally["commits"] = model.commits.count
        tally["branches"] = model.branches.count
        print("seed \(seed): \(tally.sorted { $0.key < $1.key })")
        #expect(tally["three-way merge", default: 0] + tally["three-way merge with the log", default: 0] > 0)
        #expect(tally["reset", default: 0] > 0 && model.branches.count > 2)
        let report = try CollectionEngine.verify(PosixFileSystem(), directory: folder.path + "/c")
        #expect(report.isSound, "\(report.problems)")
        await client.close()
    }

    /// The nearest common ancestor by the commits' parents (breadth first from theirs).
    static func mergeBase(_ collection: VectorCollection, _ ours: String, _ theirs: String) throws -> String? {
        func ancestors(_ start: String) throws -> [String] {
            var order = [start], seen: Set<String> = [start], i = 0
            while i < order.count {
                for parent in try collection.commit(id: order[i]).parents where seen.insert(parent).inserted { order.append(parent) }
                i += 1
            }
            return order
        }
        let mine = Set(try ancestors(ours))
        return try ancestors(theirs).first { mine.contains($0) }
    }

    @Test("diff of changes scattered over a large shard: node by node where the nodes stayed, whole ranges where they moved")
    func scatteredDiff() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        // 512 dimensions: a vector page holds 1,024 rows (2 MiB), so the vector pages of the
        // first ranges stay the same when nodes are appended at the end.
        let configuration = CollectionConfiguration(dimension: 512, metric: .squaredEuclidean, shardCount: 1, m: 4, efConstruction: 16,
                                                    defaultEf: 32, checkpointPolicy: .manual)
        let main = try await client.createCollection("c", configuration: configuration)
        let count = 5_000
        func vector(_ i: Int, _ salt: Float = 0) -> [Float] { [Float(i), salt, 1, 2] + [Float](repeating: 0, count: 508) }
        func ids(_ numbers: some Sequence<Int>) -> [String] { numbers.map { "r\($0)" }.sorted() }
        // Disjoint groups of ids spread over every 1,024-node range.
        var random = SeededGenerator(seed: 7)
        let picks = Array(0..<count).shuffled(using: &random)
        let deleted = picks[0..<40], newMetadata = picks[40..<80], newVector = picks[80..<120]
        let rewritten = picks[120..<160], metadataRemoved = picks[160..<200], signOfZero = picks[200..<240]
        try await main.upsert((0..<count).map { VectorRecord(id: "r\($0)", vector: vector($0), metadata: ["n": .int(Int64($0))]) })
        _ = try await main.setMetadata(signOfZero.map { (id: "r\($0)", metadata: ["z": .double(0)]) })
        let base = try await main.commit(message: "base")
        try await main.createBranch("side")
        let side = try await client.collection("c", branch: "side")
        // -0 is another byte pattern but the same number: no change.
        _ = try await side.setMetadata(signOfZero.map { (id: "r\($0)", metadata: ["z": .double(-0.0)]) })
        try await side.delete(ids(deleted))
        try await side.setMetadata(newMetadata.map { (id: "r\($0)", metadata: ["n": .int(-1)]) })
        try await side.upsert(newVector.map { VectorRecord(id: "r\($0)", vector: vector($0, 1), metadata: ["n": .int(Int64($0))]) })
        // Written again unchanged: a new node, the same record.
        try await side.upsert(rewritten.map { VectorRecord(id: "r\($0)", vector: vector($0), metadata: ["n": .int(Int64($0))]) })
        try await side.setMetadata(metadataRemoved.map { (id: "r\($0)", metadata: nil) })
        try await side.upsert((count..<(count + 30)).map { VectorRecord(id: "r\($0)", vector: vector($0)) })
        let changed = try await side.commit(message: "scattered")

        var expected = CollectionDiff()
        expected.removed = ids(deleted)
        expected.added = ids(count..<(count + 30))
        expected.vectorChanged = ids(newVector)
        expected.metadataChanged = ids(newMetadata + metadataRemoved)
        #expect(try await main.diff(from: base.id, to: changed.id) == expected)
        var backwards = CollectionDiff()
        (backwards.added, backwards.removed) = (expected.removed, expected.added)
        (backwards.vectorChanged, backwards.metadataChanged) = (expected.vectorChanged, expected.metadataChanged)
        #expect(try await main.diff(from: changed.id, to: base.id) == backwards)
        let differ = CommitDiffer(files: main.engine.files)
        let full = try differ.deltasReadingEverything(from: ObjectHash(hex: base.id)!, to: ObjectHash(hex: changed.id)!)
        #expect(CommitDiffer.summary(full) == expected)
        // The first four ranges kept their ids and vectors: compared node by node (the
        // others whole).
        let manifests = try [base.id, changed.id].map { try main.engine.files.commit(ObjectHash(hex: $0)!).shards[0] }
        #expect(manifests[0].ids.prefix(4) == manifests[1].ids.prefix(4))
        #expect(manifests[0].vectorDigests?.prefix(4) == manifests[1].vectorDigests?.prefix(4) && manifests[0].vectorDigests != nil)

        // A compaction renumbers every node: the ranges are read whole, with the same answer.
        #expect(try await side.compact() > 0)
        let compacted = try await side.commit(message: "compacted")
        #expect(try await main.diff(from: base.id, to: compacted.id) == expected)
        await client.close()
    }

    @Test("verify's check of a digest page against its vector page: a wrong digest or row count is corruptFile")
    func digestCheck() throws {
        let dimension = 3, stride = 4  // rows padded as pages store them
        let rows: [[Float]] = [[1, 2, 3], [-0.0, 0, 5], [7, 8, 9]]
        var vectors: [UInt8] = []
        var digests: [UInt8] = []
        for row in rows {
            (row + [Float](repeating: 0, count: stride - dimension)).withUnsafeBytes { vectors += $0 }
            digests += row.withUnsafeBytes { VectorIndex.digest($0) }
        }
        try VectorIndex.checkDigests((3, digests), of: (3, vectors), dimension: dimension, file: "page")
        func failure(_ digests: (Int, [UInt8])) -> SemblanceError? {
            do throws(SemblanceError) {
                try VectorIndex.checkDigests(digests, of: (3, vectors), dimension: dimension, file: "page")
                return nil
            } catch { return error }
        }
        var wrong = digests
        wrong[17] ^= 1
        #expect(failure((3, wrong))?.message.contains("row 1") == true)
        #expect(failure((2, Array(digests.prefix(32))))?.code == .corruptFile)
        // -0 and 0 are different bits, so different digests.
        var zero = digests
        zero.replaceSubrange(16..<32, with: [Float(0), 0, 5].withUnsafeBytes { VectorIndex.digest($0) })
        #expect(failure((3, zero))?.code == .corruptFile)
    }

    @Test("a merge takes the branch's uncommitted writes as they are; a conflict leaves its head and log untouched")
    func mergeWithLog() async throws {
        let folder = TemporaryDirectory()
        var client = try await Client(directory: folder.path)
        let main = try await client.createCollection("c", configuration: Self.configuration)
        try await main.upsert((0..<6).map { VectorRecord(id: "r\($0)", vector: [Float($0), 0, 0, 0]) })
        let base = try await main.commit(message: "base")
        try await main.createBranch("side")
        let side = try await client.collection("c", branch: "side")
        try await side.upsert(id: "r1", vector: [1, 1, 1, 1])
        try await side.upsert(id: "s", vector: [9, 9, 9, 9])
        let theirs = try await side.commit(message: "side")

        // main's head is the merge base, but its log holds writes: no fast-forward.
        try await main.upsert(id: "r2", vector: [2, 2, 2, 2])
        _ = try await main.setMetadata(["k": 1], for: "r1")
        let merged = try await main.merge("side")
        #expect(merged.parents == [base.id, theirs.id])
        #expect(main.get("r1")?.vector == [1, 1, 1, 1] && main.metadata(of: "r1") == ["k": 1], "field by field with the log's write")
        #expect(main.get("r2")?.vector == [2, 2, 2, 2] && main.get("s") != nil)
        #expect(try await main.history(limit: 3).map(\.id) == [merged.id, base.id])

        // A conflict with a write in the log: nothing written, the write still there.
        try await side.upsert(id: "r3", vector: [3, 3, 3, 3])
        try await side.commit(message: "side again")
        try await main.upsert(id: "r3", vector: [-3, 0, 0, 0])
        await #expect(throws: SemblanceError.self) { try await main.merge("side") }
        #expect(try await main.history(limit: 1).first?.id == merged.id, "no commit written")
        #expect(main.get("r3")?.vector == [-3, 0, 0, 0])
        await client.close()
        client = try await Client(directory: folder.path)
        let reopened = try await client.collection("c")
        #expect(reopened.get("r3")?.vector == [-3, 0, 0, 0], "the log kept the write")
        #expect(try await reopened.merge("side", strategy: .ours).parents.count == 2)
        #expect(reopened.get("r3")?.vector == [-3, 0, 0, 0])
        await client.close()
    }

    @Test("a branch from a changed snapshot writes only the pages the change touched, and holds the snapshot")
    func branchFromSnapshot() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let main = try await client.createCollection("c", configuration: Self.configuration)
        try await main.upsert((0..<3000).map { VectorRecord(id: "r\($0)", vector: [Float($0 % 7), Float($0 % 11), Float($0 % 13), 1]) })
        let base = try await main.commit(message: "base")
        func objectCount() throws -> Int {
            try FileManager.default.subpathsOfDirectory(atPath: folder.path + "/c/objects").filter { $0.count == 65 }.count
        }
        let before = try objectCount()
        var snapshot = main.snapshot()
        try snapshot.upsert(id: "new", vector: [9, 9, 9, 9], metadata: ["source": "snapshot"])
        try snapshot.delete("r5")
        try await main.createBranch("from-snapshot", from: snapshot)
        let written = try objectCount() - before
        #expect(written >= 2 && written <= 12, "\(written) objects for one upsert and one delete (of \(before))")
        let branch = try await client.collection("c", branch: "from-snapshot")
        #expect(Self.contents(branch.snapshot()) == Self.contents(snapshot))
        #expect(try main.commit(id: "from-snapshot").parents == [base.id])
        #expect(!main.contains("new"), "main is unchanged")
        await client.close()
    }
    @Test("garbage collection racing a re-import of the very pages it is deleting: the new commit keeps every page")
    func collectionRacesReimport() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let main = try await client.createCollection("c", configuration: Self.configuration)
        let empty = try await main.commit(message: "empty")
        let records: [VectorRecord] = (0..<600).map { (i: Int) -> VectorRecord in
            let vector: [Float] = [Float(i % 7), Float(i % 11), Float(i % 13), 1]
            return VectorRecord(id: "r\(i)", vector: vector)
        }
        var rounds = 0
        var reused = 0
        for round in 0..<12 {
            // The records' pages, then back to the empty commit: they are garbage now.
            try await main.upsert(records)
            let full = try await main.commit(message: "full \(round)")
            try await main.reset(to: empty.id)
            // The same records again (the same pages, byte for byte) while the collection sweeps.
            async let collected = main.collectGarbage(retention: RetentionPolicy(keepLast: 1), grace: 0)
            try await main.upsert(records)
            let again = try await main.commit(message: "again \(round)")
            let report = try await collected
            rounds += 1
            reused += report.deletedObjects
            let snapshot = try await main.snapshot(at: again.id)
            #expect(Self.contents(snapshot).count == records.count, "round \(round)")
            _ = full
            try await main.reset(to: empty.id)
        }
        let verified = try await client.verify("c")
        #expect(verified.isSound, "\(verified.problems.prefix(3))")
        #expect(rounds == 12 && reused > 0, "the collections deleted \(reused) objects in all")
        await client.close()
    }

    @Test("an object a commit in progress re-uses (identical data came back) is kept by a sweep that finds it garbage")
    func pinsKeepReusedObjects() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let main = try await client.createCollection("c", configuration: Self.configuration)
        let empty = try await main.commit(message: "empty")
        let vectors: [[Float]] = (0..<50).map { i in [Float(i), 1, 2, 3] }
        try await main.upsert(vectors.enumerated().map { VectorRecord(id: "r\($0.offset)", vector: $0.element) })
        let full = try await main.commit(message: "full")
        try await main.reset(to: empty.id)
        let files = main.engine.files
        let page = try #require(try files.commit(ObjectHash(hex: full.id)!).shards.first?.vectors.first)
        let bytes = try files.objects.get(page)

        // A commit in progress puts the same bytes: the object exists (garbage), and is re-used.
        files.pins.beginCommit()
        var durable = Set<ObjectHash>()
        let (hash, written) = try files.objects.put(bytes, durable: &durable)
        #expect(hash == page && !written)
        let report = try GarbageCollector(files: files).collect(retention: RetentionPolicy(keepLast: 1), grace: 0)
        #expect(report.deletedObjects > 0, "the full commit and its other pages are garbage")
        #expect(files.fs.fileExists(files.objects.path(of: page)), "the re-used page was deleted from under its commit")
        files.pins.endCommit()

        // Once no commit uses it, the next collection deletes it.
        _ = try GarbageCollector(files: files).collect(retention: RetentionPolicy(keepLast: 1), grace: 0)
        #expect(!files.fs.fileExists(files.objects.path(of: page)))
        await client.close()
    }

    @Test("retention by count and by age, automatic commits after kept user commits, tags, snapshot(asOf:), bytes per branch")
    func retentionRules() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let main = try await client.createCollection("c", configuration: Self.configuration)
        var commits: [Commit] = []
        for i in 0..<6 {
            try await main.upsert(id: "r\(i)", vector: [Float(i), 1, 2, 3])
            // User commits at even steps, checkpoints (automatic) at odd ones.
            let commit = i % 2 == 0 ? try await main.commit(message: "u\(i)") : try #require(try await main.checkpoint())
            commits.append(commit)
            try await Task.sleep(for: .milliseconds(20))
        }
        // asOf: the newest commit at or before a date, on the first-parent chain.
        let middle = commits[2].date.addingTimeInterval(0.005)
        #expect(Self.contents(try await main.snapshot(asOf: middle)).count == 3)
        await #expect(throws: SemblanceError.self) { try await main.snapshot(asOf: commits[0].date.addingTimeInterval(-60)) }

        try await main.createTag("first", at: commits[0].id)
        let files = main.engine.files
        // keepFor: user commits newer than the age; none is, 1 hour from now.
        let later = Date().addingTimeInterval(3600)
        var report = try GarbageCollector(files: files).collect(retention: RetentionPolicy(keepFor: 60), grace: 0, now: later)
        // Kept: the head (commits[5], automatic) and the tag; every other commit is pruned.
        #expect(report.keptCommits == 2, "\(report)")
        // History passes from the head to the tagged commit, the oldest kept: where it starts.
        #expect(try await main.history().map(\.id) == [commits[5].id, commits[0].id])
        #expect(Self.contents(try await main.snapshot(at: "first")).count == 1, "a tag keeps its commit")
        await #expect(throws: SemblanceError.self) { try await main.snapshot(at: commits[2].id) }

        // keepLast 1: the newest user commit and the newest automatic commit after it.
        for i in 6..<9 {
            try await main.upsert(id: "r\(i)", vector: [Float(i), 1, 2, 3])
            _ = i == 7 ? try await main.commit(message: "u\(i)") : try #require(try await main.checkpoint())
        }
        let before = try await main.history()
        report = try GarbageCollector(files: files).collect(retention: RetentionPolicy(keepLast: 1), grace: 0)
        let after = try await main.history().map(\.id)
        // The head (automatic, 8), user commit 7 (the newest automatic after it is the head),
        // and the tagged first commit; the checkpoints 5 and 6 are gone.
        #expect(after == [before[0].id, before[1].id, commits[0].id], "\(before.map(\.message)) → \(after)")
        try main.deleteTag("first")
        report = try GarbageCollector(files: files).collect(retention: RetentionPolicy(keepLast: 1), grace: 0)
        #expect(report.prunedCommits >= 1 && report.deletedObjects >= 1, "the untagged commit goes: \(report)")
        #expect(try await main.history().map(\.id) == [before[0].id, before[1].id])

        // Bytes each branch holds alone: a branch with its own pages holds some, main its own.
        try await main.createBranch("side")
        let side = try await client.collection("c", branch: "side")
        try await side.upsert((0..<50).map { VectorRecord(id: "s\($0)", vector: [Float($0), 5, 5, 5]) })
        try await side.commit(message: "side")
        let statistics = try await main.statistics(includingBranchBytes: true)
        let bytes = try #require(statistics.branchBytes)
        #expect((bytes["side"] ?? 0) > 0 && bytes["main"] != nil, "\(bytes)")
        #expect(statistics.branch == "main" && statistics.headCommit == before[0].id)
        await client.close()
    }
}

extension StoredRecord {
    /// Vectors compare bit for bit (so 0 and -0 differ, as they do on disk): the model's
    /// comparison of vectors it holds whole.
    static func sameVector(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
    }
}

extension CommitDiffer {
    /// The same answer by reading both commits whole: what the content addresses save.
    func deltasReadingEverything(from: ObjectHash, to: ObjectHash) throws(SemblanceError) -> [String: RecordDelta] {
        let a = try files.indexes(of: try files.commit(from))
        let b = try files.indexes(of: try files.commit(to))
        var deltas: [String: RecordDelta] = [:]
        for shard in a.indices {
            for (id, vector) in a[shard].records {
                let old = StoredRecord(vector: vector, metadata: a[shard].metadata(of: id))
                if let newVector = b[shard].get(id) {
                    let new = StoredRecord(vector: newVector, metadata: b[shard].metadata(of: id))
                    if !StoredRecord.sameVector(old.vector, new.vector) || old.metadata != new.metadata {
                        deltas[id] = RecordDelta(before: old, after: new)
                    }
                } else {
                    deltas[id] = RecordDelta(before: old, after: nil)
                }
            }
            for (id, vector) in b[shard].records where !a[shard].contains(id) {
                deltas[id] = RecordDelta(before: nil, after: StoredRecord(vector: vector, metadata: b[shard].metadata(of: id)))
            }
        }
        return deltas
    }
}
