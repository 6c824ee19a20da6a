import Testing
@testable import Semblance

@Suite("Bad input: a typed error that says what was wrong, and the index unchanged")
struct BadInputTests {
    static func smallIndex(metric: DistanceMetric = .cosine) throws -> VectorIndex {
        var index = try VectorIndex(IndexConfiguration(dimension: 4, metric: metric))
        try index.insert(id: "a", vector: [1, 0, 0, 0])
        try index.insert(id: "b", vector: [0, 1, 0, 0])
        try index.insert(id: "c", vector: [0, 0, 1, 0])
        return index
    }

    static func fingerprint(_ index: VectorIndex) -> [String] {
        index.records.map { "\($0.id)=\($0.vector)" } + ["count \(index.count) nodes \(index.nodeCount)"]
    }

    static let badVectors: [(vector: [Float], code: SemblanceError.Code, mentions: String)] = [
        ([1, 2, 3], .dimensionMismatch, "3 components"),
        ([1, 2, 3, 4, 5], .dimensionMismatch, "expects 4"),
        ([1, .nan, 0, 0], .nonFiniteComponent, "component 1"),
        ([.infinity, 0, 0, 0], .nonFiniteComponent, "component 0"),
        ([0, 0, -.infinity, 0], .nonFiniteComponent, "component 2"),
        ([0, 0, 0, 0], .zeroVector, "zeros"),
    ]

    @Test("bad vectors on insert, upsert, batch insert and search", arguments: badVectors.indices)
    func badVector(_ i: Int) throws {
        let (vector, code, mentions) = Self.badVectors[i]
        var index = try Self.smallIndex()
        let before = Self.fingerprint(index)
        func check(_ body: () throws -> Void) {
            do {
                try body()
                Issue.record("no error for \(vector)")
            } catch let error as SemblanceError {
                #expect(error.code == code)
                #expect(error.message.contains(mentions), "message: \(error.message)")
            } catch {
                Issue.record("untyped error \(error)")
            }
        }
        check { try index.insert(id: "new", vector: vector) }
        check { try index.upsert(id: "a", vector: vector) }
        check { try index.insert(contentsOf: [(id: "x", vector: [0, 0, 0, 1]), (id: "y", vector: vector)]) }
        check { _ = try index.search(vector, k: 1) }
        #expect(Self.fingerprint(index) == before)
    }

    @Test("a zero vector is fine under L2 and inner product")
    func zeroVectorElsewhere() throws {
        for metric in [DistanceMetric.squaredEuclidean, .innerProduct] {
            var index = try Self.smallIndex(metric: metric)
            try index.insert(id: "zero", vector: [0, 0, 0, 0])
            #expect(try index.search([0, 0, 0, 0], k: 1).count == 1)
        }
    }

    @Test("bad ids", arguments: ["", String(repeating: "x", count: 1025), "a\u{0}b"])
    func badID(_ id: String) throws {
        var index = try Self.smallIndex()
        let before = Self.fingerprint(index)
        #expect(throws: SemblanceError.self) { try index.insert(id: id, vector: [1, 1, 0, 0]) }
        #expect(throws: SemblanceError.self) { try index.upsert(id: id, vector: [1, 1, 0, 0]) }
        #expect(throws: SemblanceError.self) { try index.delete(id) }
        do {
            try index.insert(id: id, vector: [1, 1, 0, 0])
        } catch {
            #expect(error.code == .invalidID)
        }
        #expect(Self.fingerprint(index) == before)
    }

    @Test("duplicate ids: insert of an existing id, and twice in one batch")
    func duplicates() throws {
        var index = try Self.smallIndex()
        let before = Self.fingerprint(index)
        do {
            try index.insert(id: "a", vector: [1, 1, 0, 0])
            Issue.record("no error")
        } catch {
            #expect(error.code == .duplicateID)
            #expect(error.message.contains("upsert"))
        }
        do {
            try index.insert(contentsOf: [(id: "n", vector: [1, 1, 0, 0]), (id: "n", vector: [1, 0, 1, 0])])
            Issue.record("no error")
        } catch {
            #expect(error.code == .duplicateID)
            #expect(error.message.contains("record 1"))
        }
        #expect(Self.fingerprint(index) == before)
    }

    @Test("k ≤ 0, ef ≤ 0 and a NaN maxDistance are invalid arguments", arguments: [
        (0, nil as Int?, nil as Float?), (-3, nil, nil), (5, 0, nil), (5, -1, nil), (5, nil, Float.nan),
    ])
    func badSearchArguments(k: Int, ef: Int?, maxDistance: Float?) throws {
        let index = try Self.smallIndex()
        do {
            _ = try index.search([1, 0, 0, 0], k: k, ef: ef, maxDistance: maxDistance)
            Issue.record("no error")
        } catch {
            #expect(error.code == .invalidArgument)
        }
    }

    @Test("k larger than the live count returns every live vector, nearest first")
    func kLargerThanCount() throws {
        var index = try Self.smallIndex()
        try index.delete("b")
        let hits = try index.search([1, 0.1, 0, 0], k: 100)
        #expect(hits.map(\.id) == ["a", "c"])
        #expect(hits[0].distance <= hits[1].distance)
    }

    @Test("an empty index returns no results; deleting an unknown id reports false")
    func emptyIndex() throws {
        var index = try VectorIndex(IndexConfiguration(dimension: 2, metric: .squaredEuclidean))
        #expect(try index.search([1, 2], k: 3).isEmpty)
        #expect(try index.delete("nothing") == false)
        #expect(index.get("nothing") == nil)
    }

    @Test("invalid configurations are rejected", arguments: [
        IndexConfiguration(dimension: 0), IndexConfiguration(dimension: 70_000),
        IndexConfiguration(dimension: 8, m: 1), IndexConfiguration(dimension: 8, efConstruction: 0),
        IndexConfiguration(dimension: 8, defaultEf: 0),
    ])
    func badConfiguration(_ configuration: IndexConfiguration) {
        #expect(throws: SemblanceError.self) { try VectorIndex(configuration) }
    }
}
