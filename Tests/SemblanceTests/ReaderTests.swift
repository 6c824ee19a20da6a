import Foundation
import Testing
@testable import Semblance

/// Read-only clients beside a writer in the same process (the same files a reader process
/// opens; ReaderProcessTests runs them in other processes).
@Suite("Readers beside a writer")
struct ReaderTests {
    static let configuration = CollectionConfiguration(dimension: 4, metric: .squaredEuclidean, shardCount: 3, m: 8, efConstruction: 32,
                                                       checkpointPolicy: .manual)

    static func records(_ range: Range<Int>, prefix: String = "r") -> [VectorRecord] {
        range.map { VectorRecord(id: "\(prefix)\($0)", vector: [Float($0), 1, 0, 0]) }
    }

    @Test("a reader sees the head and the acknowledged writes after it, moves only on refresh(), and follows checkpoints, deletes and branches")
    func refreshFollowsTheWriter() async throws {
        let folder = TemporaryDirectory()
        let writer = try await Client(directory: folder.path)
        let written = try await writer.createCollection("docs", configuration: Self.configuration)
        try await written.upsert(Self.records(0..<30))
        try await written.checkpoint()
        try await written.upsert(Self.records(30..<50))

        let reader = try await Client(directory: folder.path, access: .readOnly)
        let read = try await reader.collection("docs")
        #expect(read.isReadOnly && !written.isReadOnly)
        #expect(read.count == 50, "the head's 30 and the 20 logged after it")
        #expect(read.get("r42")?.vector == [42, 1, 0, 0])
        #expect(try await read.search([42, 1, 0, 0], k: 1).first?.id == "r42")
        #expect(read.statistics().headCommit == written.statistics().headCommit)

        try await written.upsert(Self.records(50..<60))
        #expect(read.count == 50, "a reader moves only when refreshed")
        #expect(try await read.refresh())
        #expect(read.count == 60)
        #expect(try await read.refresh() == false, "nothing changed")

        try await written.checkpoint()
        #expect(try await read.refresh(), "a new head commit")
        #expect(read.count == 60)
        #expect(read.statistics().headCommit == written.statistics().headCommit)
        #expect(read.statistics().logBytes == 0)

        try await written.delete(["r0", "r1"])
        try await written.setMetadata(["topic": "x"], for: "r2")
        try await read.refresh()
        #expect(read.count == 58 && !read.contains("r0"))
        #expect(read.metadata(of: "r2") == ["topic": "x"])
        #expect(try await read.history().map(\.id) == (try await written.history()).map(\.id))

        _ = try await written.createBranch("side")
        let side = try await writer.collection("docs", branch: "side")
        try await side.upsert(Self.records(0..<5, prefix: "s"))
        let readSide = try await reader.collection("docs", branch: "side")
        #expect(readSide.count == 63 && readSide.contains("s4"))
        #expect(read.count == 58, "main does not see side's writes")
        #expect(Set(try read.branches().map(\.name)) == ["main", "side"])

        await writer.close()
        await reader.close()
    }

    @Test("a reader refuses every change with .readOnly, takes no lock, and changes no file but its lease")
    func readerChangesNothing() async throws {
        let folder = TemporaryDirectory()
        let writer = try await Client(directory: folder.path)
        let written = try await writer.createCollection("docs", configuration: Self.configuration)
        try await written.upsert(Self.records(0..<20))
        try await written.commit(message: "first")
        try await written.upsert(Self.records(20..<25))
        await writer.close()
        let before = try CrashTests.tree(folder.path)

        let reader = try await Client(directory: folder.path, access: .readOnly)
        #expect(reader.access == .readOnly)
        let read = try await reader.collection("docs")
        #expect(read.count == 25)
        let refused: [(String, () async throws -> Void)] = [
            ("upsert", { try await read.upsert(id: "x", vector: [1, 2, 3, 4]) }),
            ("insert", { try await read.insert(id: "x", vector: [1, 2, 3, 4]) }),
            ("update", { try await read.update(id: "r1", vector: [1, 2, 3, 4]) }),
            ("delete", { try await read.delete("r1") }),
            ("setMetadata", { try await read.setMetadata(["a": 1], for: "r1") }),
            ("checkpoint", { try await read.checkpoint() }),
            ("commit", { try await read.commit(message: "no") }),
            ("compact", { try await read.compact() }),
            ("createBranch", { try await read.createBranch("b") }),
            ("createTag", { try await read.createTag("t") }),
            ("deleteBranch", { try read.deleteBranch("main") }),
            ("reset", { try await read.reset(to: "main") }),
            ("merge", { try await read.merge("main") }),
            ("collectGarbage", { _ = try await read.collectGarbage() }),
            ("createCollection", { _ = try await reader.createCollection("other", dimension: 4) }),
            ("dropCollection", { try await reader.dropCollection("docs") }),
            ("reencodeCollection", { try await reader.reencodeCollection("docs", to: .int8) }),
        ]
        for (what, change) in refused {
            do {
                try await change()
                Issue.record("\(what) went through a read-only handle")
            } catch let error as SemblanceError {
                #expect(error.code == .readOnly, "\(what): \(error)")
            }
        }
        #expect(read.count == 25)
        #expect(try await read.snapshot(at: "main").count == 20, "reads of commits work")
        #expect(try await read.diff(from: "main", to: "main").added.isEmpty)
        #expect(try CrashTests.tree(folder.path).filter { !$0.key.hasPrefix("docs/leases/") } == before, "the reader changed files")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.file("docs/leases")).count == 1, "its lease")

        // No lock is held: a writer opens the collection while the reader has it open.
        let second = try await Client(directory: folder.path)
        #expect(try await second.collection("docs").count == 25)
        await second.close()
        await reader.close()
        #expect(try CrashTests.tree(folder.path) == before, "the lease is removed on close")
    }

    @Test("a reader works on a disk where every write fails, as on read-only media, and tries only its lease, once")
    func readOnlyMedia() async throws {
        let folder = TemporaryDirectory()
        let writer = try await Client(directory: folder.path)
        let written = try await writer.createCollection("docs", configuration: Self.configuration)
        try await written.upsert(Self.records(0..<20))
        try await written.checkpoint()
        try await written.upsert(Self.records(20..<30))
        // Every mutating call fails (create, write, sync, truncate, rename, remove, mkdir).
        let media = FaultInjectingFileSystem(PosixFileSystem(), plan: .init(failAt: 1, fault: .ioError, persistent: true))
        let reader = try await Client(directory: folder.path, access: .readOnly, fileSystem: media)
        #expect(try await reader.listCollections() == ["docs"])
        let read = try await reader.collection("docs")
        #expect(read.count == 30)
        try await written.upsert(Self.records(30..<35))
        try await written.checkpoint()
        #expect(try await read.refresh())
        #expect(read.count == 35)
        #expect(try await read.history().count == 2)
        await reader.close()
        #expect(media.calls == 1, "the reader made \(media.calls) mutating calls, not one try at its lease")
        await writer.close()
    }

    @Test("a reader of a folder that does not exist fails with .io and creates nothing; a writer's refresh() is a no-op")
    func missingDirectory() async throws {
        let folder = TemporaryDirectory()
        let missing = folder.file("nothing/here")
        let error = await #expect(throws: SemblanceError.self) { try await Client(directory: missing, access: .readOnly) }
        #expect(error?.code == .io)
        #expect(!FileManager.default.fileExists(atPath: folder.file("nothing")))
        let badInterval = await #expect(throws: SemblanceError.self) { try await Client(directory: folder.path, access: .following(every: 0)) }
        #expect(badInterval?.code == .invalidArgument)

        let writer = try await Client(directory: folder.path)
        let written = try await writer.createCollection("docs", configuration: Self.configuration)
        #expect(try await written.refresh() == false)
        #expect(written.staleness == nil)
        await writer.close()
    }

    @Test("a reader keeps only groups of writes that reached every shard they span, and skips a torn tail")
    func partialGroupsAndTornTails() async throws {
        let folder = TemporaryDirectory()
        let writer = try await Client(directory: folder.path)
        let written = try await writer.createCollection("docs", configuration: Self.configuration)
        try await written.upsert(Self.records(0..<30))
        try await written.upsert(Self.records(30..<60))
        await writer.close()

        // Shard 1 without its part of the second batch: what a reader finds when it reads
        // shard 1 before that group reached it. A torn frame at the end of shard 0's log.
        let fs = PosixFileSystem()
        let wal = folder.file("docs/wal/main")
        let log1 = try LogReader.read(fs, path: wal + "/shard-1.log", maximumDimension: 4)
        #expect(log1.frames.count == 2)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: wal + "/shard-1.log"))
        try handle.truncate(atOffset: UInt64(log1.frames[1].start))
        try handle.close()
        let log0 = try Data(contentsOf: URL(fileURLWithPath: wal + "/shard-0.log"))
        let frame = try LogReader.read(fs, path: wal + "/shard-0.log", maximumDimension: 4).frames[0]
        let torn = log0[Int(frame.start)..<Int(frame.start + (frame.end - frame.start) / 2)]
        let appender = try FileHandle(forWritingTo: URL(fileURLWithPath: wal + "/shard-0.log"))
        try appender.seekToEnd()
        try appender.write(contentsOf: torn)
        try appender.close()

        let reader = try await Client(directory: folder.path, access: .readOnly)
        let read = try await reader.collection("docs")
        #expect(read.count == 30, "the first batch whole, nothing of the second")
        #expect(Set((0..<30).map { "r\($0)" }).allSatisfy { read.contains($0) })
        #expect(!(30..<60).contains { read.contains("r\($0)") })
        await reader.close()
    }

    @Test("a following reader catches up with the writer by itself, and reports how stale it may be")
    func following() async throws {
        let folder = TemporaryDirectory()
        let writer = try await Client(directory: folder.path)
        let written = try await writer.createCollection("docs", configuration: Self.configuration)
        let reader = try await Client(directory: folder.path, access: .following(every: 0.02))
        let read = try await reader.collection("docs")
        #expect(read.count == 0)
        try await written.upsert(Self.records(0..<10))
        let deadline = ContinuousClock.now + .seconds(10)
        while read.count < 10 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(read.count == 10)
        let staleness = try #require(read.staleness)
        #expect(staleness < .seconds(5))
        try await written.checkpoint()
        try await written.upsert(Self.records(10..<12))
        while read.count < 12 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(read.count == 12)
        await reader.close()
        await writer.close()
    }

    @Test("a reset to the head replaces the logs under a reader: its refresh drops what the old logs held and reads the new")
    func resetToTheHead() async throws {
        let folder = TemporaryDirectory()
        let writer = try await Client(directory: folder.path)
        let written = try await writer.createCollection("docs", configuration: Self.configuration)
        try await written.upsert(Self.records(0..<10))
        try await written.checkpoint()
        try await written.upsert(Self.records(0..<5, prefix: "x"))
        let reader = try await Client(directory: folder.path, access: .readOnly)
        let read = try await reader.collection("docs")
        #expect(read.count == 15 && read.contains("x0"))
        try await written.reset(to: "main")
        // The new logs have the old ones' header; the same number of records, other ids.
        try await written.upsert(Self.records(0..<5, prefix: "y"))
        #expect(try await read.refresh())
        #expect(read.count == 15)
        #expect(read.contains("y0") && !read.contains("x0"))
        await reader.close()
        await writer.close()
    }

    @Test("a collection dropped under a reader, or dropped and created again, makes its refresh throw .unknownCollection")
    func droppedCollection() async throws {
        let folder = TemporaryDirectory()
        let writer = try await Client(directory: folder.path)
        let written = try await writer.createCollection("docs", configuration: Self.configuration)
        try await written.upsert(Self.records(0..<5))
        let reader = try await Client(directory: folder.path, access: .readOnly)
        let read = try await reader.collection("docs")
        try await writer.dropCollection("docs")
        let dropped = await #expect(throws: SemblanceError.self) { try await read.refresh() }
        #expect(dropped?.code == .unknownCollection)
        let again = try await writer.createCollection("docs", configuration: Self.configuration)
        try await again.upsert(Self.records(0..<2))
        let replaced = await #expect(throws: SemblanceError.self) { try await read.refresh() }
        #expect(replaced?.code == .unknownCollection)
        #expect(read.count == 5, "the handle keeps its last state")
        await reader.close()
        await writer.close()
    }

    @Test("a reader of a branch that is deleted gets .unknownRef on refresh and keeps its last state")
    func deletedBranch() async throws {
        let folder = TemporaryDirectory()
        let writer = try await Client(directory: folder.path)
        let written = try await writer.createCollection("docs", configuration: Self.configuration)
        try await written.upsert(Self.records(0..<5))
        _ = try await written.createBranch("side")
        let reader = try await Client(directory: folder.path, access: .readOnly)
        let side = try await reader.collection("docs", branch: "side")
        #expect(side.count == 5)
        try written.deleteBranch("side")
        let error = await #expect(throws: SemblanceError.self) { try await side.refresh() }
        #expect(error?.code == .unknownRef)
        #expect(side.count == 5)
        await reader.close()
        await writer.close()
    }
}
