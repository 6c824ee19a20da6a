import Testing
@testable import Semblance

@Suite("Index operations")
struct IndexOperationsTests {
    @Test("insert, get, contains, upsert, delete, count and records agree", arguments: DistanceMetric.allCases)
    func basicOperations(metric: DistanceMetric) throws {
        var index = try VectorIndex(IndexConfiguration(dimension: 3, metric: metric))
        try index.insert(id: "x", vector: [3, 0, 0])
        try index.insert(id: "y", vector: [0, 2, 0])
        #expect(index.count == 2 && index.contains("x") && !index.contains("z"))
        let expectedX: [Float] = metric == .cosine ? [1, 0, 0] : [3, 0, 0]
        #expect(index.get("x") == expectedX)

        #expect(try index.upsert(id: "x", vector: [0, 0, 5]))
        #expect(try index.upsert(id: "z", vector: [1, 1, 1]) == false)
        #expect(index.count == 3 && index.deletedCount == 1)
        #expect(index.get("x") == (metric == .cosine ? [0, 0, 1] : [0, 0, 5]))
        #expect(try index.search([0, 0, 5], k: 1).first?.id == "x")

        #expect(try index.delete("y"))
        #expect(try index.delete("y") == false)
        #expect(index.count == 2 && !index.contains("y"))
        #expect(Set(index.records.map(\.id)) == ["x", "z"])
        #expect(index.invariantViolations().isEmpty)
    }

    @Test("distances follow the metric, lower is nearer")
    func distances() throws {
        var l2 = try VectorIndex(IndexConfiguration(dimension: 2, metric: .squaredEuclidean))
        try l2.insert(id: "p", vector: [3, 4])
        #expect(try l2.search([0, 0], k: 1)[0].distance == 25)

        var ip = try VectorIndex(IndexConfiguration(dimension: 2, metric: .innerProduct))
        try ip.insert(id: "small", vector: [1, 0])
        try ip.insert(id: "large", vector: [5, 0])
        let ipHits = try ip.search([1, 0], k: 2)
        #expect(ipHits.map(\.id) == ["large", "small"])
        #expect(ipHits[0].distance == -5)

        var cosine = try VectorIndex(IndexConfiguration(dimension: 2, metric: .cosine))
        try cosine.insert(id: "same", vector: [2, 0])
        try cosine.insert(id: "opposite", vector: [-1, 0])
        let hits = try cosine.search([5, 0], k: 2)
        #expect(hits.map(\.id) == ["same", "opposite"])
        #expect(abs(hits[0].distance) < 1e-6 && abs(hits[1].distance - 2) < 1e-6)
    }

    @Test("maxDistance drops farther results; allowedIDs restricts the search")
    func cutOffAndAllowedSet() throws {
        let data = ClusteredData(count: 6000, queries: 10, dimension: 16, clusters: 8, seed: 5)
        var index = try VectorIndex(IndexConfiguration(dimension: 16, metric: .squaredEuclidean))
        let records = data.vectors.enumerated().map { (id: "v\($0.offset)", vector: $0.element) }
        try index.insert(contentsOf: records)
        let query = data.queries[0]
        let all = try index.search(query, k: 10)
        let cut = try index.search(query, k: 10, maxDistance: all[4].distance)
        #expect(cut.count >= 5 && cut.count < 10 || all[4].distance == all[9].distance)
        #expect(cut.allSatisfy { $0.distance <= all[4].distance })

        // A small allowed set (exact scan) and a large one (filtered graph search).
        for size in [50, 5000] {
            let allowed = Set((0..<size).map { "v\($0 * (6000 / size))" })
            let hits = try index.search(query, k: 10, allowedIDs: allowed)
            #expect(hits.count == 10)
            #expect(hits.allSatisfy { allowed.contains($0.id) })
            let truth = Recall.exactNearest(query, among: records.filter { allowed.contains($0.id) }, k: 10, metric: .squaredEuclidean)
            #expect(Set(hits.map(\.id)).intersection(truth).count >= 9, "allowed set of \(size)")
        }
        #expect(try index.search(query, k: 3, allowedIDs: ["nope"]).isEmpty)
    }

    @Test("the same inputs in the same order build the same graph")
    func deterministicBuild() throws {
        let data = ClusteredData(count: 1500, queries: 1, dimension: 24, clusters: 6, seed: 77)
        func build() throws -> VectorIndex {
            var index = try VectorIndex(IndexConfiguration(dimension: 24, metric: .squaredEuclidean))
            for (i, v) in data.vectors.enumerated() { try index.insert(id: "v\(i)", vector: v) }
            return index
        }
        let a = try build(), b = try build()
        #expect(a.graphDump() == b.graphDump())
        var other = try VectorIndex(IndexConfiguration(dimension: 24, metric: .squaredEuclidean, seed: 99))
        for (i, v) in data.vectors.enumerated() { try other.insert(id: "v\(i)", vector: v) }
        #expect(a.graphDump() != other.graphDump())
    }

    @Test("a deleted entry point: searches still start there, pass through, and return live nodes")
    func deletedEntryPoint() throws {
        let data = ClusteredData(count: 2000, queries: 10, dimension: 16, clusters: 4, seed: 3)
        var index = try VectorIndex(IndexConfiguration(dimension: 16, metric: .squaredEuclidean))
        try index.insert(contentsOf: data.vectors.enumerated().map { (id: "v\($0.offset)", vector: $0.element) })
        let entryID = index.nodeIDs[Int(index.entryPoint!)]
        try index.delete(entryID)
        #expect(index.invariantViolations().isEmpty)
        for query in data.queries {
            let hits = try index.search(query, k: 10)
            #expect(hits.count == 10 && !hits.contains { $0.id == entryID })
        }
        try index.insert(id: "after", vector: data.queries[0])
        #expect(try index.search(data.queries[0], k: 1).first?.id == "after")
        #expect(index.invariantViolations().isEmpty)
    }

    @Test("deleting everything, then inserting again")
    func deleteAllThenInsert() throws {
        var index = try VectorIndex(IndexConfiguration(dimension: 2, metric: .squaredEuclidean))
        for i in 0..<50 { try index.insert(id: "p\(i)", vector: [Float(i), 1]) }
        for i in 0..<50 { try index.delete("p\(i)") }
        #expect(index.isEmpty && index.nodeCount == 50)
        #expect(try index.search([1, 1], k: 5).isEmpty)
        try index.insert(id: "p7", vector: [7, 1])
        #expect(try index.search([1, 1], k: 5).map(\.id) == ["p7"])
        #expect(index.invariantViolations().isEmpty)
    }

    @Test("graph invariants hold after every kind of mutation, over many random steps")
    func invariantsUnderRandomMutations() throws {
        var rng = SeededGenerator(seed: 2024)
        var index = try VectorIndex(IndexConfiguration(dimension: 8, metric: .cosine, m: 4, efConstruction: 32))
        var model: [String: [Float]] = [:]
        for step in 0..<1500 {
            let id = "k\(Int.random(in: 0..<400, using: &rng))"
            let vector = (0..<8).map { _ in Float.random(in: -1...1, using: &rng) }
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<5: try index.upsert(id: id, vector: vector); model[id] = vector
            case 5..<7: try index.delete(id); model[id] = nil
            default:
                let hits = try index.search(vector, k: 5)
                #expect(hits.count == min(5, model.count), "step \(step), seed \(rng.seed)")
            }
            if step % 100 == 0 {
                #expect(index.invariantViolations().isEmpty, "step \(step), seed \(rng.seed)")
            }
        }
        #expect(index.invariantViolations().isEmpty)
        #expect(index.count == model.count)
        #expect(Set(index.records.map(\.id)) == Set(model.keys))
    }
}
