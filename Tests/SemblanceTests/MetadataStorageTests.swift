import Testing
@testable import Semblance

@Suite("Metadata on disk: log records, pages, reopen")
struct MetadataStorageTests {
    @Test("metadata written to the log and to pages comes back after reopen, with its indexes")
    func reopen() async throws {
        let directory = TemporaryDirectory()
        let path = directory.file("docs")
        let fs = PosixFileSystem()
        let configuration = CollectionConfiguration(dimension: 4, metric: .squaredEuclidean, shardCount: 2)
        var expected: [String: Metadata] = [:]
        do {
            let store = try CollectionEngine.create(fs, directory: path, configuration: configuration)
            var records: [VectorRecord] = []
            for i in 0..<3000 {
                let metadata: Metadata = ["i": .int(Int64(i)), "even": .bool(i % 2 == 0), "tag": .string("t\(i % 10)")]
                records.append(VectorRecord(id: "r\(i)", vector: [Float(i), 1, 2, 3], metadata: metadata))
                expected["r\(i)"] = metadata
            }
            try await store.upsert(records)
            _ = try await store.checkpoint()
            // After the checkpoint: replaced metadata, a removed one, a delete, a plain upsert.
            let changed = try await store.setMetadata([
                ("r1", ["i": 1, "even": true, "tag": "changed"]), ("r2", nil), ("missing", ["x": 1]),
            ])
            #expect(changed == 2)
            #expect(try await store.delete(["r3"]) == 1)
            try await store.upsert([VectorRecord(id: "r4", vector: [9, 9, 9, 9])])
            expected["r1"] = ["i": 1, "even": true, "tag": "changed"]
            expected["r2"] = nil
            expected["r3"] = nil
            expected["r4"] = nil
            await store.close()
        }
        let store = try OnDisk(fs, path)
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
