import Foundation
import Synchronization
import Testing
@testable import Semblance
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The kill -9 proof: a child process (`semblance-crash-worker`, Sources/SemblanceCrashWorker)
/// runs a scripted workload of upserts, deletes and checkpoints under `.durable`, printing
/// `inflight` before each call and `ack` after it returns; it kills itself with SIGKILL at
/// its n-th mutating I/O call, for every n the workload has, and, in a second series, at its
/// n-th write after writing a random prefix of it (a torn write), for every write. Then come
/// kills from the outside at random moments. After every kill the parent reopens the
/// directory and checks the ledger of what was acknowledged.
///
/// What this proves and what it cannot: a killed process loses nothing the kernel already
/// has, so this catches acknowledging before the log write, writing to the wrong place, torn
/// tails that recovery cannot cut off, leftover temp files, state that does not reopen, and
/// crashes in the middle of multi-file steps (checkpoints, log replacement). It cannot catch
/// a missing fsync: the page cache survives a kill. The simulated power-loss tests cover that.
///
/// The workers are started by `semblance-crash-worker serve` processes, not by this process:
/// a thousand spawns from the test process would make other tests that close and at once
/// reopen a collection meet `.locked` now and then (a child holds the parent's descriptors,
/// flocks included, from fork to exec).
///
/// The collection directories live on /dev/shm when it exists (fsync is free there, and a
/// process kill leaves the same state on any file system); the random-moment kills run on the
/// real disk, where a kill usually lands inside an fsync. `SEMBLANCE_CRASH_DIR` overrides
/// where the deterministic crash points run; `SEMBLANCE_CRASH_WORKER` names the worker binary.
@Suite("Crash safety: a child process killed with SIGKILL at every I/O call", .serialized)
struct CrashTests {
    static let seed: UInt64 = 0x5EED_C4A5
    static let randomKills = 20
    /// Whether an in-flight batch that spans shards must be present or absent as a whole: its
    /// shards' frames name their group, and an open drops a group that did not reach every
    /// shard it spans.
    static let requireCrossShardAtomicity = true
    /// The collection the worker creates in its client directory.
    static let collectionName = "crash"

    // MARK: The tests

    @Test("kill -9 at every write, fsync, rename and mkdir of the workload (plain and torn), and at random moments: every acknowledged write survives")
    func killAtEveryIOCall() throws {
        let started = ContinuousClock.now
        let worker = try Self.workerURL()
        let fastBase = try Scratch(base: Self.fastBase())
        let diskBase = try Scratch(base: FileManager.default.temporaryDirectory.path)
        // One spawner per lane (two children at a time), started before any collection is open.
        let servers = try (0..<2).map { _ in try WorkerServer(worker) }
        defer { servers.forEach { $0.close() } }

        // 1. One run without a crash point, tracing every counted call: the crash points.
        let traced = try Self.runWorker(servers[0], directory: fastBase.file("count/c"), seed: Self.seed, crashAt: 0, torn: false,
                                        trace: true, output: fastBase.file("count.out"))
        try #require(traced.exitedNormally, "the workload failed without a crash point: \(traced.summary)")
        let calls = traced.ledger.ioCalls
        let total = traced.ledger.done ?? 0
        let writes = calls.values.filter { $0 == "write" }.count
        #expect(Self.verify(traced.ledger, directory: fastBase.file("count/c"), label: "no crash").problems == [])
        // The number of calls varies from run to run: a commit's fan-out folder (by its hash,
        // which covers its time stamp) is created with a mkdir and a directory fsync, or exists
        // already; and a folder a commit created spares a later page's. So a run makes between
        // 2 fewer and 2 more calls per checkpoint than any other, and the plain crash points
        // stop 4 per checkpoint short of this run's count: each is reached in every run. (The
        // workload's tail after its last checkpoint is longer than that.)
        let plainPoints = total - 4 * traced.ledger.checkpoints
        try #require(total == calls.count && plainPoints >= 300, "the workload makes \(total) counted I/O calls (\(calls.count) traced); at least 300 are needed")

        // 2. Every crash point, plainly; every write again, torn (numbered among the writes).
        let points = (1...plainPoints).map { (n: $0, torn: false) } + (1...writes).map { (n: $0, torn: true) }
        let results = Mutex<[CrashPointResult]>([])
        Self.inParallel(points.count, servers) { server, i in
            let (n, torn) = points[i]
            let directory = fastBase.file("p\(n)\(torn ? "t" : "")/c")
            let result: CrashPointResult
            do {
                let run = try Self.runWorker(server, directory: directory, seed: Self.seed, crashAt: n, torn: torn,
                                             output: fastBase.file("p\(n)\(torn ? "t" : "").out"))
                var checked = Self.verify(run.ledger, directory: directory, label: "crash-at \(n) torn \(torn)")
                if !run.killedBySIGKILL || run.ledger.crashLine == nil {
                    checked.problems.append("crash-at \(n) torn \(torn): the child was not killed at its crash point: \(run.summary)")
                }
                result = CrashPointResult(n: n, torn: torn, crashLine: run.ledger.crashLine, verification: checked)
            } catch {
                result = CrashPointResult(n: n, torn: torn, crashLine: nil,
                                          verification: Verification(problems: ["crash-at \(n) torn \(torn): \(error)"]))
            }
            try? FileManager.default.removeItem(atPath: Path.directory(of: directory))
            results.withLock { $0.append(result) }
        }
        let crashResults = results.withLock { $0 }.sorted { ($0.n, $0.torn ? 1 : 0) < ($1.n, $1.torn ? 1 : 0) }

        // 3. Kills from outside at random moments, on the real disk, each with its own workload:
        //    after a random number of acknowledged calls, plus a random 0–20 ms (a call there
        //    takes a few ms, mostly in fsync). Timing alone would be a poor guide: the same
        //    workload takes 0.2 s or 2 s on this disk from one run to the next.
        var random = SeededGenerator(seed: Self.seed)
        let timing = ContinuousClock.now
        let full = try Self.runWorker(servers[0], directory: diskBase.file("full/c"), seed: Self.seed + 1, crashAt: 0, torn: false,
                                      output: diskBase.file("full.out"))
        let fullDuration = ContinuousClock.now - timing
        try #require(full.exitedNormally, "the workload failed on disk: \(full.summary)")
        #expect(Self.verify(full.ledger, directory: diskBase.file("full/c"), label: "no crash, on disk").problems == [])
        let kills = (0..<Self.randomKills).map { _ in
            (acks: Int.random(in: 0..<full.ledger.acknowledgedCalls, using: &random),
             delay: Duration.microseconds(Int.random(in: 0..<20_000, using: &random)))
        }
        let randomResults = Mutex<[RandomKillResult]>([])
        Self.inParallel(Self.randomKills, servers) { server, i in
            let directory = diskBase.file("r\(i)/c")
            let seed = Self.seed + 2 + UInt64(i)
            let result: RandomKillResult
            do {
                let run = try Self.runWorker(server, directory: directory, seed: seed, crashAt: 0, torn: false,
                                             output: diskBase.file("r\(i).out"), killAfter: kills[i])
                var checked = Self.verify(run.ledger, directory: directory,
                                          label: "random kill seed \(seed) after \(kills[i].acks) acks + \(kills[i].delay)")
                if !run.killedBySIGKILL && !run.exitedNormally { checked.problems.append("random kill seed \(seed): \(run.summary)") }
                let inFlight = run.killedBySIGKILL ? (run.ledger.inFlight?.split(separator: " ").dropFirst().first.map(String.init) ?? "none") : "finished"
                result = RandomKillResult(inFlight: inFlight, acknowledged: run.ledger.acknowledgedCalls, verification: checked)
            } catch {
                result = RandomKillResult(inFlight: "error", acknowledged: 0, verification: Verification(problems: ["random kill seed \(seed): \(error)"]))
            }
            try? FileManager.default.removeItem(atPath: Path.directory(of: directory))
            randomResults.withLock { $0.append(result) }
        }
        let randomOutcomes = randomResults.withLock { $0 }

        // The report.
        let kinds = Dictionary(grouping: calls.values, by: { $0 }).mapValues(\.count).sorted { $0.key < $1.key }
            .map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        let torn = crashResults.filter(\.torn)
        let problems = crashResults.flatMap(\.verification.problems) + randomOutcomes.flatMap(\.verification.problems)
        print("""
            crash points: the workload makes \(total) counted I/O calls (\(kinds)), seed \(Self.seed), in \(fastBase.base)
              killed at calls 1…\(plainPoints) plainly and at writes 1…\(writes) torn \
            (\(torn.filter { $0.crashLine.map { $0.contains("/wal/") && !$0.contains("/.tmp-") } == true }.count) into a live log, the rest into temp files): \
            \(crashResults.count) child processes
              after reopening: \(crashResults.filter { $0.verification.opened }.count) opened, \
            \(crashResults.filter { !$0.verification.created }.count) had not finished creating the collection, \
            \(crashResults.filter { $0.verification.inFlightApplied == true }.count) in-flight calls found applied, \
            \(crashResults.filter { $0.verification.inFlightApplied == false }.count) not, \
            torn log tails dropped \(crashResults.filter { $0.verification.tornBytes > 0 }.count) times \
            (\(torn.filter { $0.verification.tornBytes > 0 }.count) of the torn runs), \
            cross-shard splits of an in-flight batch \(crashResults.filter(\.verification.crossShardSplit).count)
            random kills: \(randomOutcomes.count) on \(diskBase.base) (the whole workload took \(fullDuration) there): \
            call in flight at the kill: \(Dictionary(grouping: randomOutcomes, by: \.inFlight).mapValues(\.count).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")); \
            acknowledged calls before it \(randomOutcomes.map(\.acknowledged).sorted()); \
            torn tails dropped \(randomOutcomes.filter { $0.verification.tornBytes > 0 }.count)
            opens retried because the collection was still .locked: \
            \(crashResults.map(\.verification.lockRetries).reduce(0, +) + randomOutcomes.map(\.verification.lockRetries).reduce(0, +))
            problems: \(problems.count); \(ContinuousClock.now - started) in all
            """)
        for problem in problems.prefix(30) { Issue.record(Comment(rawValue: problem)) }
        if problems.count > 30 { Issue.record("… and \(problems.count - 30) more problems") }
        #expect(torn.count > 50)
    }

    @Test("a second process opening for writing a collection that another process writes gets .locked at once and changes nothing; a reader opens it and sees its writes")
    func lockedByAnotherProcess() throws {
        let server = try WorkerServer(try Self.workerURL())
        defer { server.close() }
        let scratch = try Scratch(base: Self.fastBase())
        let directory = scratch.file("held/c")
        let output = scratch.file("hold.out")
        let holder = try server.start(["hold", directory], stdout: output, stderr: output + ".err")
        var ended = false
        defer {
            if !ended, !server.hasEnded { kill(holder, SIGKILL) }
            if !ended { _ = try? server.waitForEnd() }
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while !((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").contains("holding\n") {
            try #require(!server.hasEnded, "the holder exited: \((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
            try #require(ContinuousClock.now < deadline, "the holder did not report holding the collection in 20 s")
            usleep(5_000)
        }

        let fs = PosixFileSystem()
        let before = try Self.tree(directory)
        let collection = directory + "/" + Self.collectionName
        for attempt in ["client", "open", "create"] {
            let clock = ContinuousClock.now
            do {
                switch attempt {
                case "client":
                    try blocking {
                        let client = try await Client(directory: directory)
                        do {
                            _ = try await client.collection(Self.collectionName)
                            await client.close()
                        } catch {
                            await client.close()
                            throw error
                        }
                    }
                case "open": _ = try CollectionFiles.open(fs, directory: collection)
                default: _ = try CollectionFiles.create(fs, directory: collection, configuration: CollectionConfiguration(dimension: 8))
                }
                Issue.record("\(attempt) succeeded while another process holds the collection")
            } catch let error as SemblanceError {
                #expect(error.code == .locked, "\(attempt): \(error)")
                #expect(error.path?.hasSuffix("/LOCK") == true)
            }
            // Refused at once, not after waiting for the lock (the holder keeps it 120 s); the
            // bound leaves room for a machine loaded by the tests running beside this one.
            let elapsed = ContinuousClock.now - clock
            #expect(elapsed < .seconds(10), "\(attempt) took \(elapsed)")
            print("\(attempt) of a directory held by process \(holder): refused in \(elapsed)")
        }
        #expect(try Self.tree(directory) == before, "the refused open or create changed the directory")
        let read = try blocking {
            let reader = try await Client(directory: directory, access: .readOnly)
            let vector = try await reader.collection(Self.collectionName).get("held")?.vector
            await reader.close()
            return vector
        }
        #expect(read == [Float](repeating: 0.5, count: 8), "a reader sees the holder's acknowledged write")
        #expect(try Self.tree(directory) == before, "the reader changed the directory")

        kill(holder, SIGKILL)
        ended = true
        #expect(try server.waitForEnd() == .signal(SIGKILL))
        let store = try OnDisk(fs, collection)
        #expect(store.shards[store.shard(of: "held")].get("held") == [Float](repeating: 0.5, count: 8))
        store.close()
    }

    // MARK: Running the worker

    /// The worker binary: `SEMBLANCE_CRASH_WORKER`, else next to the test executable or bundle.
    static func workerURL() throws -> URL {
        try BuiltProduct.url(
            named: "semblance-crash-worker", environmentVariable: "SEMBLANCE_CRASH_WORKER",
            hint: "It is built with the tests (`swift build --build-tests`, `swift test`, scripts/test.sh); it needs -enable-testing, which debug builds have and scripts/test.sh passes.")
    }

    /// Runs the worker to its end, its crash point, or a kill after `killAfter` (once it has
    /// printed that many `ack` lines, and then the delay); its stdout goes to a file (no pipe
    /// to fill up, and every line it wrote before dying is there).
    static func runWorker(
        _ server: WorkerServer, directory: String, seed: UInt64, crashAt: Int, torn: Bool, trace: Bool = false,
        output: String, killAfter: (acks: Int, delay: Duration)? = nil
    ) throws -> WorkerRun {
        let arguments = [directory, String(seed), String(crashAt), torn ? "yes" : "no"] + (trace ? ["trace"] : [])
        let pid = try server.start(arguments, stdout: output, stderr: output + ".err")
        if let killAfter {
            while !server.hasEnded,
                  ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").components(separatedBy: "\nack ").count - 1 < killAfter.acks {
                usleep(500)
            }
            let (seconds, attoseconds) = killAfter.delay.components
            usleep(useconds_t(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
            // Only while the server has not reported the end: the pid is the worker's until reaped.
            if !server.hasEnded { kill(pid, SIGKILL) }
        }
        let ending = try server.waitForEnd()
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: output + ".err", encoding: .utf8)) ?? ""
        // Only whole lines count: a line cut by the kill was never printed.
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast()
        return WorkerRun(arguments: arguments, ending: ending, ledger: Ledger(lines), stderr: stderr)
    }

    /// Runs `body` for 0..<count on one thread per server, interleaved (two children at a time).
    static func inParallel(_ count: Int, _ servers: [WorkerServer], _ body: @Sendable (WorkerServer, Int) -> Void) {
        DispatchQueue.concurrentPerform(iterations: servers.count) { lane in
            for i in stride(from: lane, to: count, by: servers.count) { body(servers[lane], i) }
        }
    }

    static func fastBase() -> String {
        if let path = ProcessInfo.processInfo.environment["SEMBLANCE_CRASH_DIR"] { return path }
        return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : FileManager.default.temporaryDirectory.path
    }

    /// Every file under `directory`, relative path → content.
    static func tree(_ directory: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for path in try FileManager.default.subpathsOfDirectory(atPath: directory) {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            files[path] = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + path))
        }
        return files
    }

    // MARK: Checking a directory against the ledger

    /// Reopens the client directory `directory` and checks its collection against what the
    /// child acknowledged: the collection
    /// opens; every acknowledged upsert is there with its exact vector and no acknowledged
    /// delete has come back, except for ids of the call in flight, which may show its effect
    /// or not (but per shard, all of it or none); no other ids; the graph invariants hold; no
    /// temp files are left; and it takes a new write that survives another reopen.
    static func verify(_ ledger: Ledger, directory: String, label: String) -> Verification {
        var result = Verification()
        func problem(_ text: String) { result.problems.append("\(label): \(text)") }
        let fs = PosixFileSystem()
        let collection = directory + "/" + CrashTests.collectionName
        result.created = ledger.created
        if !ledger.created && !fs.fileExists(collection + "/config.json") { return result }  // killed while creating it
        var store: OnDisk
        do {
            store = try openWaitingForLock(collection, &result)
        } catch {
            problem("the collection does not open: \(error)")
            return result
        }
        result.opened = true
        result.tornBytes = store.opened.droppedTornBytes

        var actual: [String: [UInt32]] = [:]
        for (shard, index) in store.shards.enumerated() {
            for record in index.records {
                if actual[record.id] != nil { problem("\(record.id) is live twice") }
                if store.shard(of: record.id) != shard { problem("\(record.id) is in shard \(shard), not \(store.shard(of: record.id))") }
                actual[record.id] = record.vector.map(\.bitPattern)
            }
            let violations = index.invariantViolations()
            if !violations.isEmpty { problem("shard \(shard) invariants: \(violations.prefix(5))") }
        }

        let inFlight = ledger.inFlightEffects
        for id in Set(actual.keys).union(ledger.live.keys).union(inFlight.keys).sorted() {
            let expected = ledger.live[id]
            let found = actual[id]
            if let effect = inFlight[id] {
                if found != expected && found != effect {
                    problem("\(id) (in the call in flight) is \(describe(found)), neither its acknowledged \(describe(expected)) nor the in-flight \(describe(effect))")
                }
            } else if found != expected {
                switch (expected, found) {
                case (.some, nil): problem("acknowledged upsert of \(id) is lost")
                case (nil, .some) where ledger.deleted.contains(id): problem("acknowledged delete of \(id) came back")
                case (nil, .some): problem("phantom id \(id)")
                default: problem("\(id) is \(describe(found)), acknowledged \(describe(expected))")
                }
            }
        }

        // The call in flight: applied or not, all of a shard's part or none of it.
        var appliedPerShard: [Int: Set<Bool>] = [:]
        for (id, effect) in inFlight where effect != ledger.live[id] {
            appliedPerShard[store.shard(of: id), default: []].insert(actual[id] == effect)
        }
        for (shard, applied) in appliedPerShard where applied.count > 1 {
            problem("the call in flight (\(ledger.inFlight ?? "")) is applied in part within shard \(shard)")
        }
        let shardOutcomes = Set(appliedPerShard.values.compactMap { $0.count == 1 ? $0.first : nil })
        result.inFlightApplied = shardOutcomes.count == 1 ? shardOutcomes.first : nil
        if shardOutcomes.count > 1 {
            result.crossShardSplit = true
            if requireCrossShardAtomicity { problem("the call in flight (\(ledger.inFlight ?? "")) is applied in some shards only") }
        }

        // Opening cuts a torn tail off (LogWriter.open), so that later frames never follow garbage.
        for shard in 0..<store.configuration.shardCount {
            do {
                let contents = try LogReader.read(fs, path: CollectionStore.logPath(collection, branch: "main", shard: shard),
                                                  maximumDimension: store.configuration.index.dimension)
                if contents.tornTailBytes > 0 { problem("shard \(shard)'s log still has a torn tail of \(contents.tornTailBytes) bytes after opening") }
            } catch {
                problem("shard \(shard)'s log does not read after opening: \(error)")
            }
        }

        // The branch side: every acknowledged upsert on it since its reset is there, nothing it
        // dropped came back (the call in flight may or may not have landed).
        checkSide(ledger, store, problem)

        // Every branch, tag and commit still holds: no ref dangles, nothing reachable is gone.
        do {
            let report = try CollectionEngine.verify(fs, directory: collection)
            for problem in report.problems.prefix(3) { result.problems.append("\(label): verify: \(problem.message)") }
        } catch {
            problem("verify failed: \(error)")
        }

        if let leftovers = try? FileManager.default.subpathsOfDirectory(atPath: directory).filter({ Path.lastComponent(of: $0).hasPrefix(".tmp-") }),
           !leftovers.isEmpty {
            problem("temp files left after opening: \(leftovers)")
        }

        // The recovered collection takes new writes through a client, and they survive a reopen.
        let extra: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]
        store.close()
        do {
            try blocking {
                let client = try await Client(directory: directory)
                try await client.collection(CrashTests.collectionName).upsert(id: "after-crash", vector: extra)
                await client.close()
            }
            let again = try openWaitingForLock(collection, &result)
            defer { again.close() }
            var reopened: [String: [UInt32]] = [:]
            for index in again.shards { for record in index.records { reopened[record.id] = record.vector.map(\.bitPattern) } }
            actual["after-crash"] = extra.map(\.bitPattern)
            if reopened != actual { problem("a write after recovery, then a reopen, changed the contents (\(reopened.count) ids, expected \(actual.count))") }
        } catch {
            problem("writing after recovery and reopening failed: \(error)")
        }
        return result
    }

    /// Checks the `s` ids of the branch `side` against the ledger.
    static func checkSide(_ ledger: Ledger, _ store: OnDisk, _ problem: (String) -> Void) {
        let words = ledger.inFlight?.split(separator: " ").map(String.init) ?? []
        let inFlight = words.count > 1 ? words[1] : ""
        let side: CollectionStore.Opened
        do {
            side = try CollectionStore.open(store.opened.store.files, branch: "side")
        } catch {
            if ledger.sideCreated || (error.code != .unknownRef && inFlight != "branch") { problem("branch side does not open: \(error)") }
            return
        }
        defer { for shard in side.shards { shard.close() } }
        var found: [String: [UInt32]] = [:]
        for index in side.shards.map(\.index) {
            for record in index.records where record.id.hasPrefix("s") { found[record.id] = record.vector.map(\.bitPattern) }
        }
        var allowed = [ledger.sideLive]
        if inFlight == "reset" { allowed.append(ledger.sideTagged) }
        if inFlight == "side" {
            var landed = ledger.sideLive
            for (id, vector) in Ledger.records(words.dropFirst(3)) { landed[id] = vector }
            allowed.append(landed)
        }
        if !allowed.contains(found) {
            let expected = ledger.sideLive
            let differing = Set(found.keys).union(expected.keys).filter { found[$0] != expected[$0] }.sorted()
            problem("branch side holds other s ids than acknowledged (differing: \(differing.prefix(8)))")
        }
    }

    /// Opens the collection, retrying for up to 2 s while it is `.locked`. A process spawned
    /// from this test process (by another test, say) holds copies of its descriptors, the
    /// LOCK's flock among them, from its fork until its exec closes them (O_CLOEXEC), so a close
    /// followed at once by an open can meet the lock still held for that moment. The workers
    /// are started by spawner processes for that reason, so this should not happen here; the
    /// retries are counted and printed.
    static func openWaitingForLock(_ directory: String, _ result: inout Verification) throws(SemblanceError) -> OnDisk {
        let deadline = ContinuousClock.now + .seconds(2)
        while true {
            do {
                return try OnDisk(PosixFileSystem(), directory)
            } catch where error.code == .locked && ContinuousClock.now < deadline {
                result.lockRetries += 1
                usleep(2_000)
            }
        }
    }

    static func describe(_ vector: [UInt32]?) -> String {
        guard let vector else { return "absent" }
        return "[" + vector.map { String($0, radix: 16) }.joined(separator: ",") + "]"
    }
}

// MARK: - Types

extension CrashTests {
    struct CrashTestError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// A `semblance-crash-worker serve` process, which starts the workers (see Spawner.swift in
    /// the worker for why the test process does not spawn them itself). One request at a time.
    final class WorkerServer: Sendable {
        enum Ending: Sendable, Equatable, CustomStringConvertible {
            case exit(Int32)
            case signal(Int32)
            var description: String {
                switch self {
                case .exit(let status): "exit \(status)"
                case .signal(let signal): "signal \(signal)"
                }
            }
        }

        private let process: Process
        private let requests: FileHandle
        private let replies: FileHandle
        /// Reply bytes read but not yet used.
        private let unread = Mutex<[UInt8]>([])

        init(_ worker: URL) throws {
            let input = Pipe()
            let output = Pipe()
            let process = Process()
            process.executableURL = worker
            process.arguments = ["serve"]
            process.environment = ProcessInfo.processInfo.environment.merging(["SWIFT_BACKTRACE": "enable=no"]) { $1 }
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            self.process = process
            requests = input.fileHandleForWriting
            replies = output.fileHandleForReading
        }

        /// Starts a worker with `arguments`; returns its pid.
        func start(_ arguments: [String], stdout: String, stderr: String) throws -> pid_t {
            try requests.write(contentsOf: Data(([stdout, stderr] + arguments).joined(separator: "\t").utf8 + [10]))
            let reply = try readLine()
            guard reply.hasPrefix("pid "), let pid = pid_t(reply.dropFirst(4)) else { throw CrashTestError("spawner: \(reply)") }
            return pid
        }

        /// Waits for the worker started last to end.
        func waitForEnd() throws -> Ending {
            let reply = try readLine()
            let words = reply.split(separator: " ")
            guard words.count == 2, let value = Int32(words[1]) else { throw CrashTestError("spawner: \(reply)") }
            switch words[0] {
            case "exit": return .exit(value)
            case "signal": return .signal(value)
            default: throw CrashTestError("spawner: \(reply)")
            }
        }

        /// Whether the worker started last has ended (its end is reported, or the server is gone).
        var hasEnded: Bool {
            if unread.withLock({ $0.contains(10) }) { return true }
            var poller = pollfd(fd: replies.fileDescriptor, events: Int16(POLLIN), revents: 0)
            return poll(&poller, 1, 0) > 0
        }

        func close() {
            try? requests.close()
            process.waitUntilExit()
        }

        private func readLine() throws -> String {
            try unread.withLock { buffer throws in
                while true {
                    if let newline = buffer.firstIndex(of: 10) {
                        let line = String(decoding: buffer[..<newline], as: UTF8.self)
                        buffer.removeFirst(newline + 1)
                        return line
                    }
                    let chunk = replies.availableData
                    guard !chunk.isEmpty else { throw CrashTestError("the spawner (semblance-crash-worker serve) ended") }
                    buffer += chunk
                }
            }
        }
    }

    /// A folder for one test's collections, removed at the end.
    final class Scratch: Sendable {
        let base: String

        init(base parent: String) throws {
            base = parent + "/semblance-crash-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(atPath: base) }

        func file(_ name: String) -> String { base + "/" + name }
    }

    /// What the child printed, read as the acknowledged state of the collection.
    struct Ledger: Sendable {
        /// Live ids after every acknowledged call, with their vectors' bit patterns.
        var live: [String: [UInt32]] = [:]
        /// Ids whose last acknowledged call deleted them.
        var deleted: Set<String> = []
        /// The branch `side`: whether its creation was acknowledged, the `s` ids upserted on
        /// it (acknowledged, as they stand after its reset), and those it held when tagged.
        var sideCreated = false
        var sideLive: [String: [UInt32]] = [:]
        var sideTagged: [String: [UInt32]] = [:]
        var created = false
        /// The `inflight` line of the call that never returned, if any.
        var inFlight: String?
        var acknowledgedCalls = 0
        var crashLine: String?
        var done: Int?
        var checkpoints = 0
        var errors: [String] = []
        /// With `trace`: call number → kind of call.
        var ioCalls: [Int: String] = [:]

        init(_ lines: [String]) {
            for line in lines {
                let words = line.split(separator: " ").map(String.init)
                guard let first = words.first else { continue }
                switch first {
                case "inflight": inFlight = line
                case "ack":
                    apply(Array(words.dropFirst()))
                    // Calls whose number of I/O calls may vary from run to run (see
                    // killAtEveryIOCall), weighted by how much.
                    checkpoints += ["checkpoint": 1, "commit": 1, "branch": 1, "tag": 1, "reset": 1, "merge": 3, "gc": 10][words.count > 1 ? words[1] : "", default: 0]
                    inFlight = nil
                    acknowledgedCalls += 1
                case "crash": crashLine = line
                case "done": done = words.count > 1 ? Int(words[1]) : nil
                case "io": if words.count > 2, let n = Int(words[1]) { ioCalls[n] = words[2] }
                default: errors.append(line)
                }
            }
        }

        /// (id, vector) pairs of an `upsert` line's words.
        static func records(_ words: ArraySlice<String>) -> [(String, [UInt32])] {
            words.compactMap { word in
                guard let equals = word.firstIndex(of: "=") else { return nil }
                return (String(word[..<equals]), word[word.index(after: equals)...].split(separator: ",").compactMap { UInt32($0, radix: 16) })
            }
        }

        mutating func apply(_ words: [String]) {
            switch words.first {
            case "create": created = true
            case "upsert", "merge":
                // A merge of the branch side into main upserts side's new records on main.
                for (id, vector) in Self.records(words.dropFirst(2)) {
                    live[id] = vector
                    deleted.remove(id)
                }
            case "delete":
                for id in words.dropFirst(2) where live[id] != nil {
                    live[id] = nil
                    deleted.insert(id)
                }
            case "branch": sideCreated = true
            case "side": for (id, vector) in Self.records(words.dropFirst(2)) { sideLive[id] = vector }
            case "tag": sideTagged = sideLive
            case "reset": sideLive = sideTagged
            default: break
            }
        }

        /// The call in flight's effect on each id it names: the new vector, or nil (deleted).
        var inFlightEffects: [String: [UInt32]?] {
            guard let inFlight else { return [:] }
            let words = inFlight.split(separator: " ").map(String.init)
            switch words.count > 1 ? words[1] : "" {
            case "upsert", "merge": return Dictionary(Self.records(words.dropFirst(3)).map { ($0.0, Optional($0.1)) }) { $1 }
            case "delete": return Dictionary(words.dropFirst(3).map { ($0, [UInt32]?.none) }) { $1 }
            default: return [:]
            }
        }
    }

    struct WorkerRun {
        var arguments: [String]
        var ending: WorkerServer.Ending
        var ledger: Ledger
        var stderr: String

        var killedBySIGKILL: Bool { ending == .signal(SIGKILL) }
        var exitedNormally: Bool { ending == .exit(0) && ledger.done != nil }
        var summary: String {
            "semblance-crash-worker \(arguments.joined(separator: " ")): \(ending); "
                + "\(ledger.acknowledgedCalls) calls acknowledged; \(ledger.errors.prefix(3)) \(stderr.suffix(500))"
        }
    }

    struct Verification: Sendable {
        var problems: [String] = []
        var created = false
        var opened = false
        var tornBytes: Int64 = 0
        /// Whether the call in flight had taken effect (nil: none in flight, or nothing to tell).
        var inFlightApplied: Bool?
        var crossShardSplit = false
        /// Opens that met the lock held by a child in the moment between its fork and exec.
        var lockRetries = 0
    }

    struct CrashPointResult: Sendable {
        var n: Int
        var torn: Bool
        var crashLine: String?
        var verification: Verification
    }

    struct RandomKillResult: Sendable {
        /// The kind of call the kill interrupted ("none" between calls, "finished" when it came too late).
        var inFlight: String
        var acknowledged: Int
        var verification: Verification
    }
}
