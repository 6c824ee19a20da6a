import Testing
@testable import Semblance

@Suite("Metadata on disk: log records, pages, reopen")
struct MetadataStorageTests {
    @Test("metadata written to the log and to pages comes back after reopen, with its indexes")
    func reopen() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("docs")
        let fs = PosixFileSystem()
        let configuration = IndexConfiguration(dimension: 4, metric: .squaredEuclidean)
        var expected: [String: Metadata] = [:]
        do {
            let store = try CollectionStore.create(fs, directory: path, index: configuration, shardCount: 2)
            var records: [LogRecord] = []
            for i in 0..<3000 {
                let metadata: Metadata = ["i": .int(Int64(i)), "even": .bool(i % 2 == 0), "tag": .string("t\(i % 10)")]
                records.append(.upsertWithMetadata(id: "r\(i)", vector: [Float(i), 1, 2, 3], metadata: metadata))
                expected["r\(i)"] = metadata
            }
            _ = try store.write(records)
            _ = try store.checkpoint()
            // After the checkpoint: replaced metadata, a removed one, a delete, a plain upsert.
            let effective = try store.write([
                .setMetadata(id: "r1", metadata: ["i": 1, "even": true, "tag": "changed"]),
                .setMetadata(id: "r2", metadata: nil),
                .delete(id: "r3"),
                .upsert(id: "r4", vector: [9, 9, 9, 9]),
                .setMetadata(id: "missing", metadata: ["x": 1]),
            ])
            #expect(effective == [true, true, true, true, false])
            expected["r1"] = ["i": 1, "even": true, "tag": "changed"]
            expected["r2"] = nil
            expected["r3"] = nil
            expected["r4"] = nil
            store.close()
        }
        let store = try CollectionStore.open(fs, directory: path)
        defer { store.close() }
        for i in 0..<3000 {
            let id = "r\(i)"
            let shard = store.shards[store.shard(of: id)]
            #expect(shard.metadata(of: id) == expected[id], "\(id)")
        }
        let filter: Filter = .equals("even", true) && .equals("tag", "t4")
        let total = store.shards.reduce(0) { $0 + $1.count(where: filter) }
        #expect(total == expected.values.filter { filter.matches(id: "", metadata: $0) }.count)
        #expect(store.shards.reduce(0) { $0 + $1.count(where: .equals("tag", "changed")) } == 1)
    }
}
