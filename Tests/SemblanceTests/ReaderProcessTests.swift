import Foundation
import Testing
@testable import Semblance
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Readers in other processes beside a writer (`semblance-crash-worker write-batches` and
/// `read-batches`, Sources/SemblanceCrashWorker/ReaderWorkload.swift): every state a reader
/// process sees must be one the writer had, whole batches only.
@Suite("Reader processes beside a writer process", .serialized)
struct ReaderProcessTests {
    static let batches = 1500
    static let largestBatch = 3

    @Test("a writer imports, commits and collects garbage, is killed -9 and restarted, while three reader processes refresh, search and count (one killed -9): each reader sees only states the writer had, and follows it to the end")
    func readersBesideAWriter() throws {
        let worker = try CrashTests.workerURL()
        // One spawner per child: a spawner serves one child at a time.
        let servers = try (0..<4).map { _ in try CrashTests.WorkerServer(worker) }
        defer { servers.forEach { $0.close() } }
        // On the real disk, so that the writer's checkpoints and renames take real time.
        let scratch = try CrashTests.Scratch(base: FileManager.default.temporaryDirectory.path)
        let directory = scratch.file("db")
        func output(_ name: String) -> String { (try? String(contentsOfFile: scratch.file(name), encoding: .utf8)) ?? "" }

        // Readers 1 and 2 pause between the logs they read, so that groups of writes land
        // between those reads; they start first and wait for the collection.
        var readers: [pid_t] = []
        for reader in 0..<3 {
            readers.append(try servers[reader].start(
                ["read-batches", directory, "\(Self.batches)", "\(Self.largestBatch)", "300", "\(reader * 200)"],
                stdout: scratch.file("reader\(reader).out"), stderr: scratch.file("reader\(reader).err")))
        }
        // The writer is killed once it has acknowledged a third of the batches (perhaps in the
        // middle of a group, a checkpoint or a garbage collection), and a new writer goes on
        // after its last acknowledged batch: it truncates what the first left unfinished.
        let writer = try servers[3].start(["write-batches", directory, "\(Self.batches)", "\(Self.largestBatch)"],
                                          stdout: scratch.file("writer.out"), stderr: scratch.file("writer.err"))
        let deadline = ContinuousClock.now + .seconds(120)
        func acknowledged(_ file: String) -> [Int] {
            output(file).split(separator: "\n").filter { $0.hasPrefix("ack ") }.compactMap { Int($0.dropFirst(4)) }
        }
        while (acknowledged("writer.out").last ?? 0) < Self.batches / 3 && !servers[3].hasEnded {
            try #require(ContinuousClock.now < deadline, "the writer acknowledged too little in 120 s: \(output("writer.err"))")
            usleep(500)
        }
        if !servers[3].hasEnded { kill(writer, SIGKILL) }
        #expect(try servers[3].waitForEnd() == .signal(SIGKILL), "the writer ended before it was killed")
        let resumeAt = (acknowledged("writer.out").last ?? -1) + 1
        _ = try servers[3].start(["write-batches", directory, "\(Self.batches)", "\(Self.largestBatch)", "\(resumeAt)"],
                                 stdout: scratch.file("writer2.out"), stderr: scratch.file("writer2.err"))

        // Reader 2 is killed once it has seen a few states.
        while output("reader2.out").components(separatedBy: "state ").count <= 5 && !servers[2].hasEnded {
            try #require(ContinuousClock.now < deadline, "reader 2 saw no states in 120 s: \(output("reader2.out")) \(output("reader2.err"))")
            usleep(2_000)
        }
        if !servers[2].hasEnded { kill(readers[2], SIGKILL) }
        let killed = try servers[2].waitForEnd()

        #expect(try servers[3].waitForEnd() == .exit(0), "writer: \(output("writer2.out").suffix(300)) \(output("writer2.err"))")
        #expect(output("writer2.out").hasSuffix("done\n"))
        for reader in 0..<2 {
            let ending = try servers[reader].waitForEnd()
            let text = output("reader\(reader).out")
            #expect(ending == .exit(0), "reader \(reader): \(ending), \(text.suffix(400)) \(output("reader\(reader).err"))")
            #expect(!text.contains("bad"), "reader \(reader): \(text.split(separator: "\n").filter { $0.hasPrefix("bad") })")
            let states = text.split(separator: "\n").filter { $0.hasPrefix("state ") }.count
            #expect(states >= 3, "reader \(reader) saw \(states) states: it did not read beside the writer")
            #expect(text.contains("final \(Self.batches) "))
            print("reader \(reader): \(states) states, \(text.split(separator: "\n").last ?? "")")
        }
        #expect(killed == .signal(SIGKILL) || killed == .exit(0), "reader 2: \(killed)")
        #expect(!output("reader2.out").contains("bad"), "reader 2: \(output("reader2.out").suffix(400))")

        // The readers held no lock: the writer's collection opens for writing at once, whole.
        // (Opened without a client: a synchronous test must not wait on the cooperative
        // pool, which a test beside it may be waiting on too.)
        let store = try OnDisk(PosixFileSystem(), directory + "/readers")
        defer { store.close() }
        // Batch i holds 1 + i % largestBatch ids.
        #expect(store.shards.reduce(0) { $0 + $1.count } == (0..<Self.batches).reduce(0) { $0 + 1 + $1 % Self.largestBatch })
    }

    @Test("a reader process stopped (SIGSTOP) past its lease loses it to the writer's garbage collection, gets .leaseExpired when it runs again, and recovers by refresh()")
    func suspendedReader() async throws {
        let server = try CrashTests.WorkerServer(try CrashTests.workerURL())
        defer { server.close() }
        let scratch = try CrashTests.Scratch(base: FileManager.default.temporaryDirectory.path)
        let directory = scratch.file("db")
        func output() -> String { (try? String(contentsOfFile: scratch.file("reader.out"), encoding: .utf8)) ?? "" }
        func waitFor(_ text: String) async throws {
            let deadline = ContinuousClock.now + .seconds(60)
            while !output().contains(text) {
                try #require(ContinuousClock.now < deadline && !server.hasEnded, "no \(text.debugDescription): \(output())")
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        let writer = try await Client(directory: directory)
        let written = try await writer.createCollection("docs", configuration: ReaderTests.configuration)
        try await written.upsert(ReaderTests.records(0..<20))
        let first = try await written.commit(message: "first")

        let reader = try server.start(["suspended-reader", directory, "2"], stdout: scratch.file("reader.out"), stderr: scratch.file("reader.err"))
        try await waitFor("open 20\n")
        let leases = directory + "/docs/leases"
        #expect(try FileManager.default.contentsOfDirectory(atPath: leases).count == 1, "the reader's lease")
        kill(reader, SIGSTOP)
        try await Task.sleep(for: .milliseconds(2_500))
        try await written.upsert(ReaderTests.records(20..<40))
        try await written.commit(message: "second")
        let report = try await written.collectGarbage(retention: RetentionPolicy(keepLast: 1), grace: 0)
        #expect(report.readerLeases == 0 && report.deletedObjects > 0, "\(report)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: leases).isEmpty, "the lapsed lease was removed")
        #expect(!FileManager.default.fileExists(atPath: directory + "/docs/objects/" + first.id.prefix(2) + "/" + first.id.dropFirst(2)))
        kill(reader, SIGCONT)

        try await waitFor("refreshed")
        #expect(try server.waitForEnd() == .exit(0), "\(output()) \((try? String(contentsOfFile: scratch.file("reader.err"), encoding: .utf8)) ?? "")")
        #expect(output().contains("error leaseExpired\n"), "\(output())")
        #expect(output().hasSuffix("refreshed 40 1\n"), "\(output())")
        await writer.close()
    }
}
