import Foundation
import Synchronization
import Testing
@testable import Semblance

/// Power loss, in process: the workload runs through ``Client`` and ``VectorCollection``
/// exactly as users call them (concurrent writers, batches that span shards, deletes, a
/// checkpoint now and then and a compaction), on a ``SimulatedFileSystem``. After every
/// mutating file-system call the disk is kept as a crash point, and crash images of it
/// (fsynced bytes, plus a random prefix of the unsynced writes with the last one torn, and
/// only the fsynced directory entries) are reopened through a new ``Client`` and checked
/// against the ledger of acknowledged writes. Killing a process cannot find an
/// acknowledge-before-fsync bug (the page cache survives it); this can.
///
/// The writers run concurrently, so the grouping of their writes, and with it the order of
/// the calls, differs from run to run. To reproduce a failure, the failing crash image is
/// written out as a real directory (its path is printed) and opens with `semblance` or a
/// `Client` as it is; `SEMBLANCE_POWERLOSS_SEED` runs another workload.
@Suite("Power loss: crash images at every I/O call of a concurrent workload through the client")
struct PowerLossTests {
    static let configuration = CollectionConfiguration(
        dimension: 6, metric: .squaredEuclidean, shardCount: 2, m: 4, efConstruction: 16,
        durability: .durable, checkpointPolicy: .manual)
    static let root = "/data"
    static let name = "docs"
    static var directory: String { root + "/" + name }
    static let workloadSeed: UInt64 = ProcessInfo.processInfo.environment["SEMBLANCE_POWERLOSS_SEED"].flatMap(UInt64.init) ?? 0x50_7E_12_05_5E_ED
    static let writers = 4
    static let steps = 32
    /// Distinct crash images checked per crash point, out of at most `attemptsPerPoint` random
    /// draws (a repeat, with equal choices, is the same image and is skipped; building one is
    /// cheap, reopening it is not). A point with nothing unsynced in a reachable file has
    /// exactly one image.
    static let imagesPerPoint = 96
    static let attemptsPerPoint = 768
    /// Every n-th image is also a compound test: after recovery, one more acknowledged upsert,
    /// then a second power loss, and the state must be the recovered one plus that upsert.
    static let compoundEvery = 4

    /// What the writers were told is durable, and what each was doing when the disk was kept.
    struct Ledger: Sendable {
        /// The value of every id ever written, as acknowledged; nil once deleted.
        var acknowledged: [String: [Float]?] = [:]
        /// Each writer's call in progress: after a crash each of its ids may show this value
        /// or its acknowledged one, and the whole batch shows all of it or none, across shards.
        var inFlight: [Int: [String: [Float]?]] = [:]
        /// Whether `createCollection` has returned.
        var created = false
        var steps: [Int: String] = [:]
        var step: String { steps.sorted { $0.key < $1.key }.map { "writer \($0.key): \($0.value)" }.joined(separator: "; ") }
    }

    struct CrashPoint: Sendable {
        var call: Int
        var operation: String
        var disk: SimulatedFileSystem.Disk
        var ledger: Ledger
    }

    /// Collects crash points from the file system's hook, with the ledger as it was then.
    final class Recorder: Sendable {
        private let state = Mutex<(ledger: Ledger, points: [CrashPoint])>((Ledger(), []))

        func record(_ mutation: SimulatedFileSystem.Mutation) {
            state.withLock { s in
                s.points.append(CrashPoint(call: mutation.call, operation: mutation.operation, disk: mutation.disk, ledger: s.ledger))
            }
        }

        func begin(_ writer: Int, _ step: String, inFlight: [String: [Float]?] = [:]) {
            state.withLock { $0.ledger.steps[writer] = step; $0.ledger.inFlight[writer] = inFlight }
        }

        /// The writer's call returned: what it had in flight is acknowledged.
        func acknowledge(_ writer: Int) {
            state.withLock { s in
                s.ledger.acknowledged.merge(s.ledger.inFlight[writer] ?? [:]) { $1 }
                s.ledger.inFlight[writer] = nil
                s.ledger.steps[writer] = nil
            }
        }

        func created() { state.withLock { $0.ledger.created = true } }
        var ledger: Ledger { state.withLock { $0.ledger } }
        var points: [CrashPoint] { state.withLock { $0.points } }
    }

    /// The workload: a client creates the collection; `writers` tasks each upsert batches of
    /// their own new ids (which spread over both shards) with re-upserts of their live and
    /// deleted ids, delete some of them (and an id never written); writer 0 checkpoints every
    /// fifth step, writer 1 compacts half-way; then the client closes.
    static func runWorkload(on fs: SimulatedFileSystem, recorder: Recorder) async throws {
        recorder.begin(-1, "create")
        let client = try await Client(directory: root, fileSystem: fs)
        let collection = try await client.createCollection(name, configuration: configuration)
        recorder.created()
        recorder.acknowledge(-1)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask { try await runWriter(writer, collection, recorder) }
            }
            try await group.waitForAll()
        }
        recorder.begin(-1, "close")
        await client.close()
        recorder.acknowledge(-1)
    }

    static func runWriter(_ writer: Int, _ collection: VectorCollection, _ recorder: Recorder) async throws {
        var rng = SeededGenerator(seed: workloadSeed &+ UInt64(writer) &* 0x9E37_79B9)
        func vector() -> [Float] { (0..<configuration.dimension).map { _ in Float.random(in: -1...1, using: &rng) } }
        var live: [String] = []
        var deleted: [String] = []
        var nextID = 0
        for step in 0..<steps {
            var batch: [VectorRecord] = []
            for _ in 0..<(step % 5 == 3 ? 1 : Int.random(in: 2...6, using: &rng)) {
                batch.append(VectorRecord(id: "w\(writer)-\(nextID)", vector: vector()))
                nextID += 1
            }
            let again = live.shuffled(using: &rng).prefix(Int.random(in: 0...2, using: &rng))
                + deleted.shuffled(using: &rng).prefix(step % 4 == 2 ? 1 : 0)
            for id in again { batch.append(VectorRecord(id: id, vector: vector())) }
            recorder.begin(writer, "step \(step): upsert of \(batch.map(\.id))",
                           inFlight: Dictionary(uniqueKeysWithValues: batch.map { ($0.id, Optional($0.vector)) }))
            try await collection.upsert(batch)
            recorder.acknowledge(writer)
            deleted.removeAll { id in batch.contains { $0.id == id } }
            live = Array(Set(live).union(batch.map(\.id))).sorted()

            if step % 2 == 1 {
                var victims = Array(live.shuffled(using: &rng).prefix(Int.random(in: 1...3, using: &rng)))
                if step % 6 == 1 { victims.append("never-written-\(writer)") }
                recorder.begin(writer, "step \(step): delete of \(victims)",
                               inFlight: Dictionary(uniqueKeysWithValues: victims.map { ($0, [Float]?.none) }))
                try await collection.delete(victims)
                recorder.acknowledge(writer)
                live.removeAll { victims.contains($0) }
                deleted += victims.filter { !$0.hasPrefix("never-") }
            }
            if writer == 0 && step % 5 == 4 {
                recorder.begin(writer, "step \(step): checkpoint")
                try await collection.checkpoint()
                recorder.acknowledge(writer)
            }
            if writer == 1 && step == steps / 2 {
                recorder.begin(writer, "step \(step): compaction")
                try await collection.compact()
                recorder.acknowledge(writer)
            }
        }
    }

    /// Live (id → vector) of an open collection, with any id stored in the wrong shard or
    /// twice, and any broken graph invariant, reported.
    static func contents(_ collection: VectorCollection, problems: inout [String]) -> [String: [Float]] {
        var found: [String: [Float]] = [:]
        for (shard, index) in collection.engine.snapshot.enumerated() {
            for record in index.records {
                let home = collection.engine.shard(of: record.id)
                if home != shard { problems.append("\(record.id) is in shard \(shard), belongs in \(home)") }
                if found.updateValue(record.vector, forKey: record.id) != nil { problems.append("\(record.id) is live twice") }
            }
            problems += index.invariantViolations().map { "shard \(shard) graph: \($0)" }
        }
        return found
    }

    struct Outcome: Sendable {
        var images = 0
        var repeats = 0
        var compound = 0
        var pointsWithChoices = 0
        /// Images whose log had a torn tail that reopening dropped.
        var tornTails = 0
        /// Images in which a group of writes spanning shards reached only some of them, and
        /// reopening dropped it from all (it was never acknowledged).
        var unfinishedGroups = 0
        /// Images with at least one violation, and the crash points they came from.
        var violatingImages = 0
        var violatingPoints = Set<Int>()
        /// The first few violating images, one line each.
        var violations: [String] = []
        static let keptViolations = 20

        mutating func add(_ other: Outcome) {
            images += other.images
            repeats += other.repeats
            compound += other.compound
            pointsWithChoices += other.pointsWithChoices
            tornTails += other.tornTails
            unfinishedGroups += other.unfinishedGroups
            violatingImages += other.violatingImages
            violatingPoints.formUnion(other.violatingPoints)
            violations = Array((violations + other.violations).prefix(Self.keptViolations))
        }
    }

    static func imageSeed(point: Int, attempt: Int) -> UInt64 {
        var mixer = SeededGenerator(seed: workloadSeed ^ (UInt64(point) << 20) ^ UInt64(bitPattern: Int64(attempt)))
        return mixer.next()
    }

    /// Reopens one crash image through a client and checks it against the ledger; returns
    /// the violations, and counts torn tails, unfinished groups and compound checks.
    static func check(_ image: SimulatedFileSystem, _ point: CrashPoint, compound: Bool,
                      outcome: inout Outcome) async -> [String] {
        let ledger = point.ledger
        let client: Client
        let collection: VectorCollection
        do {
            client = try await Client(directory: root, fileSystem: image)
        } catch {
            return ledger.created ? ["the client does not open: \(error.code): \(error.message)"] : []
        }
        do {
            collection = try await client.collection(name)
        } catch {
            await client.close()
            if !ledger.created && error.code == .unknownCollection { return [] }
            return ["open failed: \(error.code): \(error.message)"]
        }
        if collection.engine.droppedTornBytes > 0 { outcome.tornTails += 1 }
        if collection.engine.droppedFrames > 0 { outcome.unfinishedGroups += 1 }
        var problems: [String] = []
        let found = contents(collection, problems: &problems)
        func show(_ vector: [Float]??) -> String {
            switch vector {
            case .none: "nothing"
            case .some(.none): "absent"
            case .some(.some(let v)): "\(v)"
            }
        }
        var inFlight: [String: [Float]?] = [:]
        for batch in ledger.inFlight.values { inFlight.merge(batch) { $1 } }
        for id in Set(ledger.acknowledged.keys).union(inFlight.keys).sorted() {
            let acknowledged = ledger.acknowledged[id] ?? nil
            let got = found[id]
            if got == acknowledged { continue }
            if let pending = inFlight[id], got == pending { continue }
            let what = got == nil ? "lost" : acknowledged == nil ? "resurrected" : "has an older or wrong vector"
            problems.append("id \(id) \(what): found \(show(got)), acknowledged \(show(ledger.acknowledged[id])), in flight \(show(inFlight[id]))")
        }
        for id in found.keys.sorted() where ledger.acknowledged[id] == nil && inFlight[id] == nil {
            problems.append("phantom id \(id): never written")
        }
        // Each call in flight is all or nothing, across shards too.
        for (writer, batch) in ledger.inFlight.sorted(by: { $0.key < $1.key }) {
            var landed = Set<Bool>()
            var shards = Set<Int>()
            for (id, value) in batch where value != (ledger.acknowledged[id] ?? nil) {
                landed.insert(found[id] == value)
                shards.insert(collection.engine.shard(of: id))
            }
            if landed.count > 1 {
                problems.append("writer \(writer)'s call in flight (\(ledger.steps[writer] ?? "")) is partly present (spanning shards \(shards.sorted()))")
            }
        }
        if compound && problems.isEmpty {
            outcome.compound += 1
            problems += await checkSecondCrash(collection, image, recovered: found, seed: imageSeed(point: point.call, attempt: -1))
        }
        await client.close()
        return problems
    }

    /// After recovery: one acknowledged upsert, a second power loss, and a reopen must give
    /// the recovered state plus that upsert (a torn tail left in the log would lose it).
    static func checkSecondCrash(_ collection: VectorCollection, _ fs: SimulatedFileSystem, recovered: [String: [Float]],
                                 seed: UInt64) async -> [String] {
        let probe = VectorRecord(id: "after-recovery", vector: [Float](repeating: 0.5, count: configuration.dimension))
        do {
            try await collection.upsert([probe])
        } catch {
            return ["upsert after recovery failed: \(error.code): \(error.message)"]
        }
        var rng = SeededGenerator(seed: seed)
        let second = fs.crashImage(using: &rng)
        var problems: [String] = []
        do {
            let client = try await Client(directory: root, fileSystem: second)
            let reopened = try await client.collection(name)
            var expected = recovered
            expected[probe.id] = probe.vector
            let found = contents(reopened, problems: &problems)
            if found != expected {
                let differing = Set(found.keys).union(expected.keys).filter { found[$0] != expected[$0] }.sorted()
                problems.append("after a second crash the state is not the recovered one plus the acknowledged probe, at ids \(differing)")
            }
            await client.close()
        } catch {
            problems.append("open failed: \(error)")
        }
        return problems.map { "second crash (image seed \(seed)): \($0)" }
    }

    /// Checks the crash points at `indices`.
    static func verify(_ points: [CrashPoint], indices: [Int]) async -> Outcome {
        var outcome = Outcome()
        for index in indices {
            let point = points[index]
            let place = "workload seed \(workloadSeed), crash point \(point.call) (after \(point.operation), during \(point.ledger.step))"
            var seen = Set<[SimulatedFileSystem.Disk.Choice]>()
            for attempt in 0..<attemptsPerPoint where seen.count < imagesPerPoint {
                let seed = imageSeed(point: point.call, attempt: attempt)
                var rng = SeededGenerator(seed: seed)
                let (disk, choices) = point.disk.crashImage(using: &rng)
                guard seen.insert(choices).inserted else {
                    outcome.repeats += 1
                    continue
                }
                let compound = outcome.images % compoundEvery == 0
                outcome.images += 1
                let problems = await check(SimulatedFileSystem(disk: disk), point, compound: compound, outcome: &outcome)
                if !problems.isEmpty {
                    outcome.violatingImages += 1
                    outcome.violatingPoints.insert(point.call)
                    if outcome.violations.count < Outcome.keptViolations {
                        let saved = disk.save(label: "powerloss-\(point.call)-\(seed)")
                        let more = problems.count > 3 ? "; and \(problems.count - 3) more" : ""
                        outcome.violations.append("\(place), image seed \(seed) (saved at \(saved)): \(problems.prefix(3).joined(separator: "; "))\(more)")
                    }
                }
                // Nothing unsynced in a reachable file: this point has exactly one image.
                if choices.isEmpty { break }
            }
            if seen.count > 1 || seen.first?.isEmpty == false { outcome.pointsWithChoices += 1 }
        }
        return outcome
    }

    @Test("every crash image of a concurrent workload reopens with every acknowledged write, each batch whole across shards, and nothing else")
    func crashImagesAtEveryCall() async throws {
        let started = ContinuousClock.now
        let fs = SimulatedFileSystem()
        let recorder = Recorder()
        fs.setMutationHook { recorder.record($0) }
        try await Self.runWorkload(on: fs, recorder: recorder)
        fs.setMutationHook(nil)
        #expect(fs.misuses.isEmpty, "\(fs.misuses)")
        #expect(fs.openHandles == 0)
        let points = recorder.points
        let final = recorder.ledger
        let workloadTime = ContinuousClock.now - started

        let environment = ProcessInfo.processInfo.environment
        let workers = environment["SEMBLANCE_POWERLOSS_WORKERS"].flatMap(Int.init) ?? max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        let outcome = await withTaskGroup(of: Outcome.self) { group in
            for worker in 0..<workers {
                let mine = Array(stride(from: worker, to: points.count, by: workers))
                group.addTask { await Self.verify(points, indices: mine) }
            }
            var total = Outcome()
            for await part in group { total.add(part) }
            return total
        }

        // The final state, after a clean close, holds exactly what was acknowledged.
        var problems: [String] = []
        let client = try await Client(directory: Self.root, fileSystem: fs)
        let expected = final.acknowledged.compactMapValues { $0 }
        #expect(Self.contents(try await client.collection(Self.name), problems: &problems) == expected)
        #expect(problems.isEmpty, "\(problems)")
        await client.close()

        let elapsed = ContinuousClock.now - started
        print("""
            power loss: \(points.count) crash points (mutating I/O calls) of \(Self.writers) concurrent writers with a checkpoint \
            and a compaction, \(outcome.pointsWithChoices) with unsynced bytes in reachable files; \(outcome.images) distinct \
            crash images (\(outcome.repeats) repeats skipped), \(outcome.compound) of them with a second crash after recovery, \
            \(outcome.tornTails) with a torn log tail dropped, \(outcome.unfinishedGroups) with a group of writes that reached only \
            some of its shards (dropped whole); \(expected.count) live ids at the end; \(outcome.violatingImages) images with \
            violations, at \(outcome.violatingPoints.count) crash points; workload \(workloadTime), total \(elapsed)
            """)
        for violation in outcome.violations { Issue.record(Comment(rawValue: violation)) }
        if outcome.violatingImages > 0 {
            Issue.record("""
                \(outcome.violatingImages) crash images with violations, at \(outcome.violatingPoints.count) crash points \
                (the first \(outcome.violations.count) are above); crash points: \(outcome.violatingPoints.sorted().prefix(40))
                """)
        }
        #expect(points.count >= 300)
        #expect(outcome.images >= 10_000)
        #expect(outcome.unfinishedGroups > 0, "no image caught a group of writes between its shards' frames")
    }

    @Test("the simulated disk keeps only synced bytes and directory entries, and tears the last write")
    func simulatedDiskModel() throws {
        let fs = SimulatedFileSystem()
        try fs.createDirectory("/d")
        try fs.syncDirectory("/")
        let file = try fs.open("/d/a", .createNew)
        try fs.write(file, [1, 2, 3, 4], at: 0)
        try fs.sync(file)
        try fs.write(file, [5, 6, 7, 8], at: 4)
        try fs.truncate(file, to: 6)
        var rng = SeededGenerator(seed: 1)
        // The file's entry is not durable yet: every image lacks it.
        for _ in 0..<20 { #expect(!fs.crashImage(using: &rng).fileExists("/d/a")) }
        try fs.syncDirectory("/d")
        var seen = Set<[UInt8]>()
        for _ in 0..<400 {
            let image = fs.crashImage(using: &rng)
            let bytes = try image.readFile("/d/a")
            #expect(Array(bytes.prefix(4)) == [1, 2, 3, 4])
            seen.insert(bytes)
        }
        // Durable only; a torn second write (5; 5 6; 5 6 7); the whole write; then the truncate.
        #expect(seen == [[1, 2, 3, 4], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, 5, 6, 7, 8]])
        try fs.sync(file)
        // Unlinked (and replaced) but not dir-synced: the old file comes back.
        let other = try fs.open("/d/b", .createNew)
        try fs.write(other, [9], at: 0)
        try fs.sync(other)
        try fs.rename("/d/b", to: "/d/a")
        #expect(try fs.readFile("/d/a") == [9])
        #expect(try fs.crashImage(using: &rng).readFile("/d/a") == [1, 2, 3, 4, 5, 6])
        try fs.syncDirectory("/d")
        #expect(try fs.crashImage(using: &rng).readFile("/d/a") == [9])
        try fs.remove("/d/a")
        #expect(!fs.fileExists("/d/a") && fs.crashImage(using: &rng).fileExists("/d/a"))
        // Writes through a handle reach the unlinked inode; errors mirror POSIX.
        try fs.write(file, [0], at: 0)
        fs.close(file)
        fs.close(other)
        #expect(fs.misuses.isEmpty)
        fs.close(other)
        #expect(fs.misuses.count == 1)
        #expect(throws: SemblanceError.self) { try fs.open("/d/missing", .read) }
        do {
            _ = try fs.open("/nope/x", .createNew)
        } catch {
            #expect(error.code == .io && error.message == "open /nope/x: No such file or directory (errno 2)")
        }
        let lock = try fs.lockExclusively("/d/LOCK")
        #expect(throws: SemblanceError.self) { try fs.lockExclusively("/d/LOCK") }
        fs.close(lock)
        fs.close(try fs.lockExclusively("/d/LOCK"))
        #expect(try fs.contentsOfDirectory("/d") == ["LOCK"])
    }
}
