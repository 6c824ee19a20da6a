import Foundation
import Synchronization
import Testing
@testable import Semblance

/// Power loss during versioning: commits, branch creation, a tag, a three-way merge, a
/// reset, and a garbage collection racing a re-import of identical data, all through the
/// client on a ``SimulatedFileSystem``. After every mutating call the disk is kept; crash
/// images of it (fsynced bytes, a random prefix of the unsynced writes, only fsynced
/// directory entries) are reopened and checked: every acknowledged branch holds its
/// acknowledged records (or, for the call in flight, what that call makes of them), every
/// acknowledged tag names its commit with its records, no ref dangles and nothing
/// reachable is missing (`verify`), and a merge or reset cut short leaves no trace.
@Suite("Power loss during commits, branches, tags, merges, resets and garbage collection")
struct VersioningPowerLossTests {
    typealias State = [String: [Float]]

    static let configuration = CollectionConfiguration(
        dimension: 6, metric: .squaredEuclidean, shardCount: 2, m: 4, efConstruction: 16, durability: .durable, checkpointPolicy: .manual)
    static let root = "/data"
    static let name = "docs"
    static let imagesPerPoint = 12
    static let attemptsPerPoint = 96

    /// What the workload was told, and what the call in flight may have done.
    struct Ledger: Sendable {
        var created = false
        var branches: [String: State] = [:]
        var tags: [String: (commit: String, state: State)] = [:]
        /// The call in progress: the states it gives the branches it changes (a branch it
        /// creates may also be absent), and the tag it creates.
        var step = "nothing"
        var inFlight: [String: State] = [:]
        var inFlightTag: String?
    }

    final class Recorder: Sendable {
        struct Point: Sendable {
            var call: Int
            var operation: String
            var disk: SimulatedFileSystem.Disk
            var ledger: Ledger
        }
        private let state = Mutex<(ledger: Ledger, points: [Point])>((Ledger(), []))

        func record(_ mutation: SimulatedFileSystem.Mutation) {
            state.withLock { $0.points.append(Point(call: mutation.call, operation: mutation.operation, disk: mutation.disk, ledger: $0.ledger)) }
        }

        /// Runs `call` as the step in flight, then acknowledges what it said it does.
        func step<T>(_ name: String, changes: [String: State] = [:], tag: String? = nil, _ call: () async throws -> T,
                     acknowledged: (T, inout Ledger) -> Void = { _, _ in }) async throws -> T {
            state.withLock { s in
                s.ledger.step = name
                s.ledger.inFlight = changes
                s.ledger.inFlightTag = tag
            }
            let result = try await call()
            state.withLock { s in
                s.ledger.branches.merge(changes) { $1 }
                acknowledged(result, &s.ledger)
                s.ledger.step = "between steps"
                s.ledger.inFlight = [:]
                s.ledger.inFlightTag = nil
            }
            return result
        }

        var ledger: Ledger { state.withLock { $0.ledger } }
        var points: [Point] { state.withLock { $0.points } }
    }

    static func records(_ range: Range<Int>, version: Int = 0) -> [VectorRecord] {
        range.map { i in VectorRecord(id: "r\(i)", vector: (0..<6).map { Float((i * 5 + $0 * 3 + version * 7) % 17) / 4 - 2 }) }
    }

    static func applying(_ state: State, upserts: [VectorRecord] = [], deletes: [String] = []) -> State {
        var state = state
        for record in upserts { state[record.id] = record.vector }
        for id in deletes { state[id] = nil }
        return state
    }

    /// The workload, one call at a time (the last step runs two at once).
    static func runWorkload(_ fs: SimulatedFileSystem, _ recorder: Recorder) async throws {
        let (client, main) = try await recorder.step("create", changes: ["main": [:]], {
            let client = try await Client(directory: root, fileSystem: fs)
            return (client, try await client.createCollection(name, configuration: configuration))
        }, acknowledged: { _, ledger in ledger.created = true })
        let a = records(0..<24)
        let afterA = applying([:], upserts: a)
        try await recorder.step("upsert A on main", changes: ["main": afterA]) { try await main.upsert(a) }
        _ = try await recorder.step("commit A") { try await main.commit(message: "A") }
        try await recorder.step("create branch exp", changes: ["exp": afterA]) { _ = try await main.createBranch("exp") }
        let exp = try await client.collection(name, branch: "exp")
        let b = records(24..<34) + records(0..<3, version: 1)
        let afterB = applying(afterA, upserts: b, deletes: ["r5", "r6"])
        try await recorder.step("upsert on exp", changes: ["exp": applying(afterA, upserts: b)]) { try await exp.upsert(b) }
        try await recorder.step("delete on exp", changes: ["exp": afterB]) { _ = try await exp.delete(["r5", "r6"]) }
        _ = try await recorder.step("commit B on exp") { try await exp.commit(message: "B") }
        let c = records(40..<45)
        let afterC = applying(afterA, upserts: c)
        try await recorder.step("upsert C on main", changes: ["main": afterC]) { try await main.upsert(c) }
        _ = try await recorder.step("tag v1", tag: "v1", { try await main.createTag("v1") },
                                    acknowledged: { ref, ledger in ledger.tags["v1"] = (ref.commit, afterC) })
        // A write in main's log that the merge takes as it is (and its commit then holds).
        let e = records(60..<62)
        let afterE = applying(afterC, upserts: e)
        try await recorder.step("upsert E on main (logged, then merged)", changes: ["main": afterE]) { try await main.upsert(e) }
        let merged = applying(afterE, upserts: b, deletes: ["r5", "r6"])
        _ = try await recorder.step("merge exp into main", changes: ["main": merged]) { try await main.merge("exp") }
        _ = try await recorder.step("reset exp to v1", changes: ["exp": afterC]) { try await exp.reset(to: "v1") }
        let d = records(50..<53)
        try await recorder.step("upsert D on exp (logged only)", changes: ["exp": applying(afterC, upserts: d)]) { try await exp.upsert(d) }
        // Garbage collection, keeping one user commit per branch, while identical data comes
        // back on main (its pages are the ones the collection may be deleting) and is committed.
        try await recorder.step("gc racing a re-import of identical data", changes: ["main": merged]) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await main.collectGarbage(retention: RetentionPolicy(keepLast: 1), grace: 0) }
                group.addTask {
                    try await main.upsert(b)
                    _ = try await main.commit(message: "re-import")
                }
                try await group.waitForAll()
            }
        }
        try await recorder.step("close") { await client.close() }
    }

    static func contents(_ snapshot: CollectionSnapshot) -> State {
        var state: State = [:]
        for shard in snapshot.shards { for record in shard.records { state[record.id] = record.vector } }
        return state
    }

    /// Reopens one image and checks it against the ledger.
    static func check(_ image: SimulatedFileSystem, _ ledger: Ledger) async -> [String] {
        let client: Client
        do {
            client = try await Client(directory: root, fileSystem: image)
        } catch {
            return ledger.created ? ["the client does not open: \(error)"] : []
        }
        let problems = await check(client, ledger)
        await client.close()
        return problems
    }

    static func check(_ client: Client, _ ledger: Ledger) async -> [String] {
        var problems: [String] = []
        let main: VectorCollection
        do {
            main = try await client.collection(name)
        } catch {
            return ledger.created || ledger.inFlight["main"] != nil && error.code != .unknownCollection ? ["main does not open: \(error)"] : []
        }
        let existing: [Ref]
        do { existing = try main.branches() } catch { return ["branches: \(error)"] }
        for ref in existing where ledger.branches[ref.name] == nil && ledger.inFlight[ref.name] == nil {
            problems.append("branch \(ref.name) exists, never created")
        }
        for branch in Set(ledger.branches.keys).union(ledger.inFlight.keys).sorted() {
            let acknowledged = ledger.branches[branch]
            let pending = ledger.inFlight[branch]
            let collection: VectorCollection
            do {
                collection = try await client.collection(name, branch: branch)
            } catch {
                if acknowledged == nil && (error.code == .unknownRef || branch == "main") { continue }  // its creation was cut short
                problems.append("branch \(branch) does not open: \(error)")
                continue
            }
            let found = contents(collection.snapshot())
            if found != acknowledged && found != pending {
                let ids = Set(found.keys).union(acknowledged?.keys ?? [:].keys).filter { found[$0] != acknowledged?[$0] }.sorted()
                problems.append("branch \(branch) holds neither its acknowledged records nor the step's (differs at \(ids.prefix(8)))")
            }
        }
        for (tag, expected) in ledger.tags {
            do {
                let commit = try main.commit(id: tag)
                if commit.id != expected.commit { problems.append("tag \(tag) moved") }
                if contents(try await main.snapshot(at: tag)) != expected.state { problems.append("tag \(tag) holds other records") }
            } catch {
                problems.append("tag \(tag): \(error)")
            }
        }
        if let tag = ledger.inFlightTag, (try? main.commit(id: tag)) == nil, (try? main.tags())?.contains(where: { $0.name == tag }) == true {
            problems.append("tag \(tag) exists but does not resolve")
        }
        do {
            let report = try await client.verify(name)
            for problem in report.problems.prefix(3) { problems.append("verify: \(problem.message)") }
        } catch {
            problems.append("verify: \(error)")
        }
        return problems
    }

    @Test("every crash image keeps every acknowledged branch, tag and commit, and no ref dangles")
    func crashImages() async throws {
        let fs = SimulatedFileSystem()
        let recorder = Recorder()
        fs.setMutationHook { recorder.record($0) }
        try await Self.runWorkload(fs, recorder)
        fs.setMutationHook(nil)
        #expect(fs.misuses.isEmpty, "\(fs.misuses)")
        let points = recorder.points
        var images = 0
        var violations: [String] = []
        var violatingImages = 0
        var steps = Set<String>()
        for point in points {
            steps.insert(point.ledger.step)
            var seen = Set<[SimulatedFileSystem.Disk.Choice]>()
            for attempt in 0..<Self.attemptsPerPoint where seen.count < Self.imagesPerPoint {
                var rng = SeededGenerator(seed: UInt64(point.call) << 16 | UInt64(attempt))
                let (disk, choices) = point.disk.crashImage(using: &rng)
                guard seen.insert(choices).inserted else { continue }
                images += 1
                let problems = await Self.check(SimulatedFileSystem(disk: disk), point.ledger)
                if !problems.isEmpty {
                    violatingImages += 1
                    if violations.count < 10 {
                        let saved = disk.save(label: "versioning-powerloss-\(point.call)-\(attempt)")
                        violations.append("crash point \(point.call) (after \(point.operation), during \(point.ledger.step)), saved at \(saved): \(problems.prefix(3).joined(separator: "; "))")
                    }
                }
                if choices.isEmpty { break }
            }
        }
        print("versioning power loss: \(points.count) crash points over \(steps.count) steps, \(images) images, \(violatingImages) violating")
        #expect(points.count > 200 && images >= points.count)
        #expect(violations.isEmpty, "\(violatingImages) violating images:\n\(violations.joined(separator: "\n"))")
    }

    @Test("creating a branch from a commit, a tag or a branch writes only its ref: no page, at most 4 KiB and 3 fsyncs")
    func branchCreationCost() async throws {
        let fs = SimulatedFileSystem()
        let client = try await Client(directory: Self.root, fileSystem: fs)
        let main = try await client.createCollection(Self.name, configuration: Self.configuration)
        try await main.upsert(Self.records(0..<3000))
        let commit = try await main.commit(message: "base")
        _ = try await main.createTag("base")
        for (name, from) in [("from-commit", commit.id), ("from-tag", "base"), ("from-branch", "main")] {
            let operations = Mutex<[String]>([])
            fs.setMutationHook { mutation in operations.withLock { $0.append(mutation.operation) } }
            try await main.createBranch(name, from: from)
            fs.setMutationHook(nil)
            let calls = operations.withLock { $0 }
            let written = calls.filter { $0.hasPrefix("write ") }.compactMap { $0.split(separator: "+").last.flatMap { Int($0) } }.reduce(0, +)
            let fsyncs = calls.filter { $0.hasPrefix("sync ") || $0.hasPrefix("syncDirectory ") }.count
            #expect(!calls.contains { $0.contains("/objects/") }, "\(name): \(calls)")
            #expect(written <= 4096 && fsyncs <= 3, "\(name): \(written) bytes, \(fsyncs) fsyncs: \(calls)")
            #expect(try main.commit(id: name).id == commit.id)
        }
        await client.close()
    }
}
