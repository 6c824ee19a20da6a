import Testing
@testable import Semblance

@Suite("VectorIndex is a value: copies are independent")
struct ValueSemanticsTests {
    static func makeIndex(count: Int, seed: UInt64) throws -> (VectorIndex, ClusteredData) {
        let data = ClusteredData(count: count, queries: 20, dimension: 32, clusters: 10, seed: seed)
        var index = try VectorIndex(IndexConfiguration(dimension: 32, metric: .squaredEuclidean))
        try index.insert(contentsOf: data.vectors.enumerated().map { (id: "v\($0.offset)", vector: $0.element) })
        return (index, data)
    }

    @Test("mutating a copy leaves the original's contents and search results exactly as before")
    func copyIsIndependent() throws {
        let (original, data) = try Self.makeIndex(count: 3000, seed: 11)
        let recordsBefore = Array(original.records).map { "\($0.id):\($0.vector)" }
        let resultsBefore = try data.queries.map { try original.search($0, k: 10) }

        var copy = original
        var rng = SeededGenerator(seed: 12)
        for i in 0..<500 { try copy.delete("v\(Int.random(in: 0..<3000, using: &rng))"); _ = i }
        for i in 0..<300 { try copy.upsert(id: "v\(i)", vector: data.queries[i % data.queries.count]) }
        for i in 0..<300 { try copy.insert(id: "new\(i)", vector: data.vectors[i].map { $0 + 1 }) }
        #expect(copy.invariantViolations().isEmpty)

        #expect(Array(original.records).map { "\($0.id):\($0.vector)" } == recordsBefore)
        #expect(try data.queries.map { try original.search($0, k: 10) } == resultsBefore)
        #expect(original.count == 3000)
        #expect(original.invariantViolations().isEmpty)
        #expect(copy.count != original.count || copy.get("v0") != original.get("v0"))
    }

    @Test("the original can change while a copy is kept, and the copy does not see it")
    func originalChangesCopyDoesNot() throws {
        var (index, data) = try Self.makeIndex(count: 1000, seed: 21)
        let snapshot = index
        let before = try data.queries.map { try snapshot.search($0, k: 5) }
        for i in 0..<1000 where i % 2 == 0 { try index.delete("v\(i)") }
        try index.insert(id: "extra", vector: data.queries[0])
        #expect(try data.queries.map { try snapshot.search($0, k: 5) } == before)
        #expect(snapshot.count == 1000 && index.count == 501)
        #expect(snapshot.contains("v0") && !index.contains("v0"))
        #expect(try index.search(data.queries[0], k: 1).first?.id == "extra")
        #expect(!snapshot.contains("extra"))
    }

    @Test("the first insert after a copy copies only the pages it touches")
    func firstWriteCopiesFewPages() throws {
        let (original, data) = try Self.makeIndex(count: 40_000, seed: 31)
        let total = original.statistics.allocatedBytes
        var copy = original
        #expect(copy.statistics.copiedBytes == 0)
        try copy.insert(id: "one-more", vector: data.queries[0])
        let copied = copy.statistics.copiedBytes
        print("index of \(total) bytes: first insert after a copy copied \(copied) bytes")
        // At most: the last vector page, the new node's record page, and one link page per
        // list written (its own and up to 2·M neighbours' on layer 0, M per upper layer).
        func pageBytes<T>(_ rows: PagedRows<T>) -> Int { rows.rowsPerPage * rows.stride * MemoryLayout<T>.stride }
        let m = copy.configuration.m
        let bound = pageBytes(copy.vectors) + pageBytes(copy.nodes)
            + (2 * m + 1) * pageBytes(copy.level0Links) + (m + 1) * (copy.maxLevel + 1) * pageBytes(copy.upperLinks)
        #expect(copied > 0)
        #expect(copied <= bound, "copied \(copied), bound \(bound)")
        #expect(copied * 4 < total, "copied \(copied) of \(total) bytes")
        #expect(original.statistics.copiedBytes == 0)
    }

    @Test("writes to a uniquely held index copy nothing")
    func uniqueWritesInPlace() throws {
        var (index, data) = try Self.makeIndex(count: 2000, seed: 41)
        for i in 0..<100 { try index.upsert(id: "v\(i)", vector: data.queries[i % 20]) }
        #expect(index.statistics.copiedBytes == 0)
    }
}
