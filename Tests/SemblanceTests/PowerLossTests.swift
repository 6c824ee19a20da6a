import Foundation
import Synchronization
import Testing
@testable import Semblance

/// Power loss, in process: the workload runs on a ``SimulatedFileSystem``; after every
/// mutating file-system call the disk is kept as a crash point, and crash images of it
/// (fsynced bytes, plus a random prefix of the unsynced writes with the last one torn, and
/// only the fsynced directory entries) are reopened and checked against the ledger of
/// acknowledged writes. Killing a process cannot find an acknowledge-before-fsync bug (the
/// page cache survives it); this can.
///
/// To reproduce one failure, set `SEMBLANCE_POWERLOSS_POINT=<crash point>` (and optionally
/// `SEMBLANCE_POWERLOSS_IMAGE=<image seed>`): only that point (and image) is checked, and
/// the choices that built each image are printed. (Commit objects carry the wall-clock time,
/// so a checkpoint's commit sometimes needs a new `objects/xx/` folder and sometimes not: call
/// numbers after it can shift by two between runs. The message names the operation and step.)
@Suite("Power loss: crash images at every I/O call of a durable workload")
struct PowerLossTests {
    static let configuration = IndexConfiguration(dimension: 6, metric: .squaredEuclidean, m: 4, efConstruction: 16)
    static let directory = "/data/docs"
    static let shardCount = 2
    static let workloadSeed: UInt64 = 0x50_7E_12_05_5E_ED
    static let steps = 48
    /// Distinct crash images checked per crash point, out of at most `attemptsPerPoint` random
    /// draws (a repeat, with equal choices, is the same image and is skipped; building one is
    /// cheap, reopening it is not). A point with nothing unsynced in a reachable file has
    /// exactly one image.
    static let imagesPerPoint = 64
    static let attemptsPerPoint = 512
    /// The plan's definition of data loss asks that an interrupted batch be present or absent
    /// as a whole. The store logs one frame per shard, so it is all-or-nothing per shard
    /// (checked always); across shards a crash between the shards' fsyncs leaves part of a
    /// batch. Counted and printed; set this to make it a violation.
    static let requireWholeBatchAcrossShards = false
    /// Every n-th image is also a compound test: after recovery, one more acknowledged upsert,
    /// then a second power loss, and the state must be the recovered one plus that upsert.
    static let compoundEvery = 4

    /// What the workload was told is durable, and what it was doing when the disk was kept.
    struct Ledger: Sendable {
        /// The value of every id ever written, as acknowledged; nil once deleted.
        var acknowledged: [String: [Float]?] = [:]
        /// The call in progress: after a crash each id may show this value or its
        /// acknowledged one, but each shard's part of the batch shows all or none of it.
        var inFlight: [String: [Float]?] = [:]
        /// Whether `CollectionStore.create` has returned.
        var created = false
        var step = "create"
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

        func begin(_ step: String, inFlight: [String: [Float]?] = [:]) {
            state.withLock { $0.ledger.step = step; $0.ledger.inFlight = inFlight }
        }

        /// The call returned: what was in flight is acknowledged.
        func acknowledge() {
            state.withLock { s in
                s.ledger.acknowledged.merge(s.ledger.inFlight) { $1 }
                s.ledger.inFlight = [:]
            }
        }

        func created() { state.withLock { $0.ledger.created = true } }
        var ledger: Ledger { state.withLock { $0.ledger } }
        var points: [CrashPoint] { state.withLock { $0.points } }
    }

    /// The scripted workload: batches of new ids and of re-upserts (some of deleted ids),
    /// deletes of live ids (and of an unknown one), a checkpoint every six steps.
    static func runWorkload(on fs: SimulatedFileSystem, recorder: Recorder) throws {
        var rng = SeededGenerator(seed: workloadSeed)
        func vector() -> [Float] { (0..<configuration.dimension).map { _ in Float.random(in: -1...1, using: &rng) } }
        // The collection's parent exists, durably, as it would on a real disk.
        try fs.createDirectory(Path.directory(of: directory))
        try fs.syncDirectory("/")
        recorder.begin("create")
        let store = try CollectionStore.create(fs, directory: directory, index: configuration, shardCount: shardCount)
        recorder.created()
        var live: [String] = []
        var deleted: [String] = []
        var nextID = 0
        for step in 0..<steps {
            var batch: [(id: String, vector: [Float])] = []
            let fresh = step % 5 == 3 ? 1 : Int.random(in: 2...6, using: &rng)
            for _ in 0..<fresh {
                batch.append(("doc-\(nextID)", vector()))
                nextID += 1
            }
            let again = live.shuffled(using: &rng).prefix(Int.random(in: 0...2, using: &rng))
                + deleted.shuffled(using: &rng).prefix(step % 4 == 2 ? 1 : 0)
            for id in again { batch.append((id, vector())) }
            recorder.begin("step \(step): upsert of \(batch.map(\.id))",
                           inFlight: Dictionary(uniqueKeysWithValues: batch.map { ($0.id, Optional($0.vector)) }))
            try store.upsert(batch)
            recorder.acknowledge()
            deleted.removeAll { id in batch.contains { $0.id == id } }
            live = Array(Set(live).union(batch.map(\.id))).sorted()

            if step % 2 == 1 {
                var victims = Array(live.shuffled(using: &rng).prefix(Int.random(in: 1...3, using: &rng)))
                if step % 6 == 1 { victims.append("never-written") }
                recorder.begin("step \(step): delete of \(victims)",
                               inFlight: Dictionary(uniqueKeysWithValues: victims.map { ($0, [Float]?.none) }))
                try store.delete(victims)
                recorder.acknowledge()
                live.removeAll { victims.contains($0) }
                deleted += victims.filter { $0 != "never-written" }
            }
            if step % 6 == 5 {
                recorder.begin("step \(step): checkpoint")
                try store.checkpoint(message: "step \(step)")
                recorder.acknowledge()
            }
        }
        recorder.begin("close")
        store.close()
    }

    /// Live (id → vector) of a store, with any id stored in the wrong shard reported.
    static func contents(_ store: CollectionStore, problems: inout [String]) -> [String: [Float]] {
        var found: [String: [Float]] = [:]
        for (shard, index) in store.shards.enumerated() {
            for record in index.records {
                if store.shard(of: record.id) != shard { problems.append("\(record.id) is in shard \(shard), belongs in \(store.shard(of: record.id))") }
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
        /// In-flight batches that spanned shards and came back in part (one shard's frame
        /// durable, another's not), and the first such image.
        var crossShardPartial = 0
        var firstCrossShardPartial: String?
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
            crossShardPartial += other.crossShardPartial
            firstCrossShardPartial = firstCrossShardPartial ?? other.firstCrossShardPartial
            violatingImages += other.violatingImages
            violatingPoints.formUnion(other.violatingPoints)
            violations = Array((violations + other.violations).prefix(Self.keptViolations))
        }
    }

    static func imageSeed(point: Int, attempt: Int) -> UInt64 {
        var mixer = SeededGenerator(seed: workloadSeed ^ (UInt64(point) << 20) ^ UInt64(bitPattern: Int64(attempt)))
        return mixer.next()
    }

    /// Reopens one crash image and checks it against the ledger; returns the violations, and
    /// counts torn tails, compound checks and cross-shard partial batches into `outcome`.
    static func check(_ image: SimulatedFileSystem, _ point: CrashPoint, compound: Bool,
                      outcome: inout Outcome) -> [String] {
        let ledger = point.ledger
        if !ledger.created && !image.fileExists(directory + "/config.json") { return [] }
        let store: CollectionStore
        do {
            store = try CollectionStore.open(image, directory: directory)
        } catch {
            return ["open failed: \(error.code): \(error.message)"]
        }
        if store.droppedTornBytes > 0 { outcome.tornTails += 1 }
        var problems: [String] = []
        let found = contents(store, problems: &problems)
        func show(_ vector: [Float]??) -> String {
            switch vector {
            case .none: "nothing"
            case .some(.none): "absent"
            case .some(.some(let v)): "\(v)"
            }
        }
        for id in Set(ledger.acknowledged.keys).union(ledger.inFlight.keys).sorted() {
            let acknowledged = ledger.acknowledged[id] ?? nil
            let got = found[id]
            if got == acknowledged { continue }
            if let inFlight = ledger.inFlight[id], got == inFlight { continue }
            let what = got == nil ? "lost" : acknowledged == nil ? "resurrected" : "has an older or wrong vector"
            problems.append("id \(id) \(what): found \(show(got)), acknowledged \(show(ledger.acknowledged[id])), in flight \(show(ledger.inFlight[id]))")
        }
        for id in found.keys.sorted() where ledger.acknowledged[id] == nil && ledger.inFlight[id] == nil {
            problems.append("phantom id \(id): never written")
        }
        // The in-flight batch: each shard's part is one log frame, so all of it or none.
        var landedByShard: [Int: Set<Bool>] = [:]
        for (id, value) in ledger.inFlight where value != (ledger.acknowledged[id] ?? nil) {
            landedByShard[store.shard(of: id), default: []].insert(found[id] == value)
        }
        for (shard, landed) in landedByShard.sorted(by: { $0.key < $1.key }) where landed.count > 1 {
            problems.append("in-flight batch (\(ledger.step)) is partly present within shard \(shard)")
        }
        let shardsWith = landedByShard.filter { $0.value == [true] }.keys.sorted()
        let shardsWithout = landedByShard.filter { $0.value == [false] }.keys.sorted()
        if !shardsWith.isEmpty && !shardsWithout.isEmpty {
            let what = "in-flight batch (\(ledger.step)) is partly present across shards: in shards \(shardsWith), not in \(shardsWithout)"
            outcome.crossShardPartial += 1
            if requireWholeBatchAcrossShards { problems.append(what) }
            if outcome.firstCrossShardPartial == nil { outcome.firstCrossShardPartial = what }
        }

        if compound && problems.isEmpty {
            outcome.compound += 1
            problems += checkSecondCrash(store, image, recovered: found, seed: imageSeed(point: point.call, attempt: -1))
        }
        return problems
    }

    /// After recovery: one acknowledged upsert, a second power loss, and a reopen must give
    /// the recovered state plus that upsert (a torn tail left in the log would lose it).
    static func checkSecondCrash(_ store: CollectionStore, _ fs: SimulatedFileSystem, recovered: [String: [Float]], seed: UInt64) -> [String] {
        let probe = (id: "after-recovery", vector: [Float](repeating: 0.5, count: configuration.dimension))
        do {
            try store.upsert([probe])
        } catch {
            return ["upsert after recovery failed: \(error.code): \(error.message)"]
        }
        var rng = SeededGenerator(seed: seed)
        let second = fs.crashImage(using: &rng)
        let reopened: CollectionStore
        do {
            reopened = try CollectionStore.open(second, directory: directory)
        } catch {
            return ["second crash (image seed \(seed)): open failed: \(error.code): \(error.message)"]
        }
        var problems: [String] = []
        var expected = recovered
        expected[probe.id] = probe.vector
        let found = contents(reopened, problems: &problems)
        if found != expected {
            let differing = Set(found.keys).union(expected.keys).filter { found[$0] != expected[$0] }.sorted()
            problems.append("after a second crash the state is not the recovered one plus the acknowledged probe, at ids \(differing)")
        }
        return problems.map { "second crash (image seed \(seed)): \($0)" }
    }

    /// Checks the crash points at `indices`; `onlyImage` narrows to one image seed.
    static func verify(_ points: [CrashPoint], indices: some Sequence<Int>, onlyImage: UInt64?, verbose: Bool) -> Outcome {
        var outcome = Outcome()
        for index in indices {
            let point = points[index]
            let place = "workload seed \(workloadSeed), crash point \(point.call) (after \(point.operation), during \(point.ledger.step))"
            var seen = Set<[SimulatedFileSystem.Disk.Choice]>()
            for attempt in 0..<attemptsPerPoint where seen.count < imagesPerPoint || onlyImage != nil {
                let seed = imageSeed(point: point.call, attempt: attempt)
                if let onlyImage, seed != onlyImage { continue }
                var rng = SeededGenerator(seed: seed)
                let (disk, choices) = point.disk.crashImage(using: &rng)
                guard seen.insert(choices).inserted else {
                    outcome.repeats += 1
                    continue
                }
                if verbose { print("\(place), image seed \(seed): choices \(choices)") }
                let compound = outcome.images % compoundEvery == 0
                outcome.images += 1
                let before = outcome.firstCrossShardPartial
                let problems = check(SimulatedFileSystem(disk: disk), point, compound: compound, outcome: &outcome)
                if before == nil, let first = outcome.firstCrossShardPartial {
                    outcome.firstCrossShardPartial = "\(place), image seed \(seed): \(first)"
                }
                if !problems.isEmpty {
                    outcome.violatingImages += 1
                    outcome.violatingPoints.insert(point.call)
                    if outcome.violations.count < Outcome.keptViolations {
                        let more = problems.count > 3 ? "; and \(problems.count - 3) more" : ""
                        outcome.violations.append("\(place), image seed \(seed): \(problems.prefix(3).joined(separator: "; "))\(more)")
                    }
                }
                // Nothing unsynced in a reachable file: this point has exactly one image.
                if choices.isEmpty { break }
            }
            if seen.count > 1 || seen.first?.isEmpty == false { outcome.pointsWithChoices += 1 }
        }
        return outcome
    }

    @Test("every crash image of a durable workload reopens with every acknowledged write and nothing else")
    func crashImagesAtEveryCall() async throws {
        let started = ContinuousClock.now
        let fs = SimulatedFileSystem()
        let recorder = Recorder()
        fs.setMutationHook { recorder.record($0) }
        try Self.runWorkload(on: fs, recorder: recorder)
        fs.setMutationHook(nil)
        #expect(fs.misuses.isEmpty, "\(fs.misuses)")
        #expect(fs.openHandles == 0)
        let points = recorder.points
        let final = recorder.ledger
        let workloadTime = ContinuousClock.now - started

        let environment = ProcessInfo.processInfo.environment
        let onlyPoint = environment["SEMBLANCE_POWERLOSS_POINT"].flatMap(Int.init)
        let onlyImage = environment["SEMBLANCE_POWERLOSS_IMAGE"].flatMap(UInt64.init)
        let selected = points.indices.filter { onlyPoint == nil || points[$0].call == onlyPoint }
        let workers = environment["SEMBLANCE_POWERLOSS_WORKERS"].flatMap(Int.init) ?? max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        let outcome = await withTaskGroup(of: Outcome.self) { group in
            for worker in 0..<workers {
                let mine = stride(from: worker, to: selected.count, by: workers).map { selected[$0] }
                group.addTask { Self.verify(points, indices: mine, onlyImage: onlyImage, verbose: onlyPoint != nil) }
            }
            var total = Outcome()
            for await part in group { total.add(part) }
            return total
        }

        // The final state, after a clean close, holds exactly what was acknowledged.
        var problems: [String] = []
        let reopened = try CollectionStore.open(fs, directory: Self.directory)
        let expected = final.acknowledged.compactMapValues { $0 }
        #expect(Self.contents(reopened, problems: &problems) == expected)
        #expect(problems.isEmpty, "\(problems)")

        let elapsed = ContinuousClock.now - started
        print("""
            power loss: \(points.count) crash points (mutating I/O calls), \(outcome.pointsWithChoices) with unsynced bytes \
            in reachable files; \(outcome.images) distinct crash images (\(outcome.repeats) repeats skipped), \
            \(outcome.compound) of them with a second crash after recovery, \(outcome.tornTails) with a torn log tail dropped; \
            \(expected.count) live ids at the end; \(outcome.crossShardPartial) images with a cross-shard in-flight batch \
            partly present (\(Self.requireWholeBatchAcrossShards ? "violations" : "allowed")); \
            \(outcome.violatingImages) images with violations, at \(outcome.violatingPoints.count) crash points; \
            workload \(workloadTime), total \(elapsed)
            """)
        if let first = outcome.firstCrossShardPartial { print("power loss: first cross-shard partial batch: \(first)") }
        for violation in outcome.violations { Issue.record(Comment(rawValue: violation)) }
        if outcome.violatingImages > 0 {
            Issue.record("""
                \(outcome.violatingImages) crash images with violations, at \(outcome.violatingPoints.count) crash points \
                (the first \(outcome.violations.count) are above); crash points: \(outcome.violatingPoints.sorted().prefix(40))
                """)
        }
        if onlyPoint == nil {
            #expect(points.count >= 300)
            #expect(outcome.images >= 10_000)
        }
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
