import Foundation
import Testing
@testable import Semblance

/// Metadata through the collection API: writes, reads, filters, durability across reopen.
@Suite("Collections: metadata, filtered search, count and ids where")
struct CollectionMetadataTests {
    /// Distinct vectors, so that no two distances tie and the nearest order is one.
    static func vector(_ i: Int) -> [Float] {
        var random = SeededGenerator(seed: UInt64(i) &+ 0x5EED)
        return (0..<4).map { _ in random.nextGaussian() }
    }

    /// Record i has `lang` en (i % 4 == 0) or de, `year` 2000 + i % 30; every tenth has none.
    static func metadata(_ i: Int) -> Metadata? {
        i % 10 == 9 ? nil : ["lang": i % 4 == 0 ? "en" : "de", "year": .int(2000 + Int64(i % 30))]
    }

    static func records(_ count: Int) -> [VectorRecord] {
        (0..<count).map { VectorRecord(id: "r\($0)", vector: vector($0), metadata: metadata($0)) }
    }

    static func collection(shards: Int, count: Int = 300) async throws -> VectorCollection {
        let client = Client.inMemory()
        let collection = try await client.createCollection(
            "docs", configuration: CollectionConfiguration(dimension: 4, metric: .squaredEuclidean, shardCount: shards))
        try await collection.upsert(records(count))
        return collection
    }

    @Test("get returns the metadata; an upsert without metadata clears it; setMetadata keeps the vector")
    func writesAndReads() async throws {
        let docs = try await Self.collection(shards: 2)
        #expect(docs.get("r4") == VectorRecord(id: "r4", vector: Self.vector(4), metadata: ["lang": "en", "year": 2004]))
        #expect(docs.get("r9")?.metadata == nil)
        try await docs.upsert(id: "r4", vector: Self.vector(5))
        #expect(docs.metadata(of: "r4") == nil, "an upsert replaces the whole record")
        #expect(try await docs.setMetadata(["lang": "fr"], for: "r5"))
        #expect(docs.get("r5") == VectorRecord(id: "r5", vector: Self.vector(5), metadata: ["lang": "fr"]))
        #expect(try await docs.setMetadata(["lang": "fr"], for: "missing") == false)
        #expect(try await docs.setMetadata(nil, for: "r5"))
        #expect(docs.metadata(of: "r5") == nil)
    }

    @Test("invalid metadata is .invalidMetadata and changes nothing")
    func invalidMetadata() async throws {
        let docs = try await Self.collection(shards: 1, count: 10)
        let bad: Metadata = ["score": .double(.nan)]
        let upsert = await #expect(throws: SemblanceError.self) {
            try await docs.upsert([VectorRecord(id: "new", vector: Self.vector(1)), VectorRecord(id: "r1", vector: Self.vector(2), metadata: bad)])
        }
        #expect(upsert?.code == .invalidMetadata)
        #expect(!docs.contains("new"), "one bad record fails the whole batch")
        let set = await #expect(throws: SemblanceError.self) { try await docs.setMetadata(["a.b": 1], for: "r1") }
        #expect(set?.code == .invalidMetadata)
        #expect(docs.get("r1") == VectorRecord(id: "r1", vector: Self.vector(1), metadata: Self.metadata(1)))
    }

    @Test("count(where:) and ids(where:) over several shards equal a scan", arguments: [1, 3])
    func countAndIDs(shards: Int) async throws {
        let docs = try await Self.collection(shards: shards)
        try await docs.delete(["r0", "r8", "r16"])
        let filter: Filter = .equals("lang", "en") && .greaterOrEqual("year", 2010)
        let expected = Set((0..<300).filter { i in
            ![0, 8, 16].contains(i) && filter.matches(id: "r\(i)", metadata: Self.metadata(i))
        }.map { "r\($0)" })
        #expect(docs.count(where: filter) == expected.count)
        #expect(Set(docs.ids(where: filter)) == expected)
        #expect(docs.count(where: !.exists("lang")) == 30)
    }

    @Test("filtered search returns k matching hits nearest first, with metadata on request", arguments: [1, 3])
    func filteredSearch(shards: Int) async throws {
        let docs = try await Self.collection(shards: shards)
        let filter: Filter = .equals("lang", "en") && .less("year", 2010)
        let matching = Self.records(300).filter { filter.matches(id: $0.id, metadata: $0.metadata) }
        let query: [Float] = [3, 9, 1, 14]
        let exact = Recall.exactNearest(query, among: matching.map { ($0.id, $0.vector) }, k: 5, metric: .squaredEuclidean)
        let hits = try await docs.search(query, k: 5, filter: filter, includeMetadata: true)
        #expect(hits.ids == exact)
        for hit in hits { #expect(hit.metadata == Self.metadata(Int(hit.id.dropFirst())!)) }
        let batch = try await docs.search([query, query], k: 5, filter: filter)
        #expect(batch.map(\.ids) == [exact, exact])
        let none = try await docs.search(query, k: 5, filter: .equals("lang", "xx"))
        #expect(none.isEmpty)
    }

    @Test("compaction keeps the metadata of the live records, and their field indexes")
    func compactionKeepsMetadata() async throws {
        let docs = try await Self.collection(shards: 2, count: 100)
        try await docs.delete((0..<50).map { "r\($0)" })
        #expect(try await docs.compact() == 50)
        #expect(docs.get("r60")?.metadata == Self.metadata(60))
        #expect(docs.count(where: .exists("lang")) == 45, "r50 ..< r100 less r59, r69, r79, r89, r99")
    }

    @Test("metadata survives a reopen, from the log and from a checkpoint")
    func durable() async throws {
        let folder = TemporaryDirectory()
        do {
            let client = try await Client(directory: folder.path)
            let docs = try await client.createCollection("docs", configuration: CollectionConfiguration(dimension: 4, shardCount: 2))
            try await docs.upsert(Self.records(40))
            try await docs.checkpoint()
            try await docs.setMetadata(["lang": "fr"], for: "r3")
            try await docs.upsert(id: "r41", vector: Self.vector(41), metadata: ["late": true])
            await client.close()
        }
        let client = try await Client(directory: folder.path)
        let docs = try await client.collection("docs")
        #expect(docs.get("r3")?.metadata == ["lang": "fr"])
        #expect(docs.get("r41")?.metadata == ["late": true])
        #expect(docs.get("r4")?.metadata == Self.metadata(4))
        #expect(docs.count(where: .equals("lang", "en")) == 10, "r0, r4, ..., r36; r3 (de) became fr")
        await client.close()
    }
}
