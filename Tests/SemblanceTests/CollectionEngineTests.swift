import Foundation
import Testing
@testable import Semblance

@Suite("Collection engine: group commit, published snapshots, checkpoints")
struct CollectionEngineTests {
    let fs = PosixFileSystem()
    static let configuration = CollectionConfiguration(dimension: 4, metric: .squaredEuclidean, m: 8, efConstruction: 32,
                                                       checkpointPolicy: .manual)

    static func with(shards: Int, _ change: (inout CollectionConfiguration) -> Void = { _ in }) -> CollectionConfiguration {
        var c = configuration
        c.shardCount = shards
        change(&c)
        return c
    }

    static func vector(_ i: Int) -> [Float] { (0..<4).map { Float((i * 7 + $0 * 3) % 23) } }

    @Test("concurrent single-record writers share frames and fsyncs, and every write is durable")
    func groupCommit() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("c")
        let collection = try CollectionEngine.create(fs, directory: path, configuration: Self.with(shards: 1))
        let writers = 8, perWriter = 40
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<writers {
                group.addTask {
                    for i in 0..<perWriter { try await collection.upsert([VectorRecord(id: "w\(w)-\(i)", vector: Self.vector(w * 100 + i))]) }
                }
            }
            try await group.waitForAll()
        }
        #expect(collection.snapshot[0].count == writers * perWriter)
        await collection.close()
        let contents = try LogReader.read(fs, path: path + "/wal/main/shard-0.log", maximumDimension: 4)
        let frames = contents.frames.count
        print("\(writers * perWriter) single-record upserts from \(writers) tasks went into \(frames) frames")
        #expect(frames < writers * perWriter)
        let reopened = try OnDisk(fs, path)
        #expect(reopened.shards[0].count == writers * perWriter)
        #expect(reopened.shards[0].get("w3-7") == Self.vector(307))
    }

    @Test("an awaited write is visible to the next read of the snapshot; deletes report what existed")
    func visibility() async throws {
        let directory = TemporaryDirectory()
        let collection = try CollectionEngine.create(fs, directory: directory.file("c"), configuration: Self.with(shards: 2))
        try await collection.upsert([VectorRecord(id: "a", vector: Self.vector(1)), VectorRecord(id: "b", vector: Self.vector(2))])
        let before = collection.snapshot
        #expect(before.reduce(0) { $0 + $1.count } == 2)
        #expect(try await collection.delete(["a", "zzz"]) == 1)
        #expect(collection.snapshot.reduce(0) { $0 + $1.count } == 1)
        #expect(before.reduce(0) { $0 + $1.count } == 2)  // a snapshot taken earlier is unchanged
        do {
            try await collection.upsert([VectorRecord(id: "bad", vector: [1, 2])])
            Issue.record("no error")
        } catch {
            #expect(error.code == .dimensionMismatch)
        }
        await collection.close()
    }

    @Test("a checkpoint runs by itself once the operation threshold is passed; reopening sees everything")
    func automaticCheckpoint() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("c")
        let collection = try CollectionEngine.create(fs, directory: path, configuration: Self.with(shards: 2) {
            $0.checkpointPolicy = CheckpointPolicy(maxOperations: 50)
        })
        for i in 0..<120 { try await collection.upsert([VectorRecord(id: "v\(i)", vector: Self.vector(i))]) }
        await collection.close()
        let reopened = try OnDisk(fs, path)
        #expect(reopened.head != nil)
        #expect(reopened.shards.reduce(0) { $0 + $1.count } == 120)
        #expect(reopened.opened.shards.reduce(0) { $0 + $1.logBytes } < 60 * 120)  // the logs hold only what came after the last checkpoint
    }

    /// Creates a collection with one record and lets go of it without `close()`.
    static func writeAndDrop(_ path: String) async throws {
        let collection = try CollectionEngine.create(PosixFileSystem(), directory: path, configuration: with(shards: 2) {
            $0.durability = .periodic(seconds: 60)
        })
        try await collection.upsert([VectorRecord(id: "a", vector: vector(1)), VectorRecord(id: "b", vector: vector(2))])
    }

    @Test("a collection dropped without close() closes its logs and then releases the directory")
    func droppedWithoutClose() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("c")
        try await Self.writeAndDrop(path)
        // The actors let go of the shards a moment later, on their own threads.
        var reopened: OnDisk?
        for _ in 0..<100 where reopened == nil {
            reopened = try? OnDisk(fs, path)
            if reopened == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(reopened?.shards.reduce(0) { $0 + $1.count } == 2)
    }

    @Test("a write larger than one log frame is refused before it is queued, and the collection goes on")
    func oversizedWrite() async throws {
        let records: [LogRecord] = [
            .upsert(id: "a", vector: [1, 2, 3]), .delete(id: "bé"),
            .upsertWithMetadata(id: "c", vector: [1], metadata: ["k": "v", "n": [1, 2.5, nil]]),
            .setMetadata(id: "d", metadata: nil), .setMetadata(id: "e", metadata: ["x": true]),
        ]
        for record in records {
            var writer = ByteWriter()
            record.encode(into: &writer)
            #expect(record.encodedSize == writer.bytes.count, "\(record)")
        }
        let directory = TemporaryDirectory()
        let dimension = 4096
        let collection = try CollectionEngine.create(fs, directory: directory.file("c"), configuration: CollectionConfiguration(
            dimension: dimension, metric: .squaredEuclidean, shardCount: 2, checkpointPolicy: .manual))
        let row = [Float](repeating: 0.5, count: dimension)
        let big = (0..<4100).map { VectorRecord(id: "r\($0)", vector: row) }  // 4100 × 16 KiB > 64 MiB
        do {
            try await collection.upsert(big)
            Issue.record("a write of over 64 MiB was taken")
        } catch {
            #expect(error.code == .invalidArgument && error.message.contains("smaller batches"), "\(error)")
        }
        try await collection.upsert(Array(big.prefix(2000)))
        try await collection.upsert(Array(big[2000..<4000]))
        #expect(collection.count == 4000)
        await collection.close()
        #expect(try OnDisk(fs, directory.file("c")).shards.reduce(0) { $0 + $1.count } == 4000)
    }
}
