import Testing
import SemblanceFixtures
@testable import Semblance

@Suite("Metadata indexes and filtered search")
struct FilteredSearchTests {
    /// Random metadata over a few fields, so that filters hit every branch of the indexes.
    static func randomMetadata(_ i: Int, using rng: inout SeededGenerator) -> Metadata? {
        if i % 13 == 0 { return nil }
        var fields: [String: Metadata] = [
            "lang": .string(["en", "de", "fr", "ja"][Int.random(in: 0..<4, using: &rng)]),
            "year": .int(Int64.random(in: 1990...2025, using: &rng)),
        ]
        if i % 3 == 0 { fields["score"] = .double(Double.random(in: 0...5, using: &rng)) }
        if i % 4 == 0 { fields["tags"] = .array([.string("t\(i % 5)"), .string("t\(i % 7)")]) }
        if i % 5 == 0 { fields["author"] = ["name": .string("a\(i % 3)")] }
        return .object(fields)
    }

    static let filters: [Filter] = [
        .equals("lang", "en"), .notEquals("lang", "en"), .in("lang", ["de", "ja"]), .notIn("lang", ["de"]),
        .less("year", 2000), .greaterOrEqual("year", 2020.5), .lessOrEqual("score", 1), .greater("score", 4.9),
        .exists("score"), !.exists("tags"), .equals("tags", "t3"), .equals("author.name", "a1"),
        .equals("lang", "en") && .greaterOrEqual("year", 2010), .equals("lang", "fr") || .less("year", 1995),
        !(.equals("lang", "en") || .exists("author")), .ids(["r1", "r2", "r26"]) && .exists("lang"),
        .and([.exists("year"), .notEquals("lang", "ja"), .in("tags", ["t1", "t2"])]),
    ]

    @Test("count(where:) and ids(where:) equal a scan of every record, after upserts, replacements and deletes")
    func indexesMatchAScan() throws {
        var rng = SeededGenerator(seed: 11)
        var index = try VectorIndex(IndexConfiguration(dimension: 8, metric: .squaredEuclidean))
        // The live ids, and the metadata of those that have some.
        var live = Set<String>()
        var metadata: [String: Metadata] = [:]
        for i in 0..<1500 {
            let m = Self.randomMetadata(i, using: &rng)
            try index.upsert(id: "r\(i)", vector: (0..<8).map { _ in Float.random(in: -1...1, using: &rng) }, metadata: m)
            live.insert("r\(i)")
            metadata["r\(i)"] = m
        }
        for i in stride(from: 0, to: 1500, by: 7) {
            try index.delete("r\(i)")
            live.remove("r\(i)")
            metadata["r\(i)"] = nil
        }
        for i in stride(from: 1, to: 1500, by: 11) where live.contains("r\(i)") {
            let m = Self.randomMetadata(i + 1, using: &rng)
            try index.setMetadata(m, for: "r\(i)")
            metadata["r\(i)"] = m
        }
        let snapshot = index
        for i in stride(from: 2, to: 1500, by: 17) where live.contains("r\(i)") {
            let m = Self.randomMetadata(i + 2, using: &rng)
            try index.upsert(id: "r\(i)", vector: (0..<8).map { _ in Float.random(in: -1...1, using: &rng) }, metadata: m)
            metadata["r\(i)"] = m
        }
        for filter in Self.filters {
            let expected = live.filter { filter.matches(id: $0, metadata: metadata[$0]) }
            #expect(Set(index.ids(where: filter)) == expected, "\(filter)")
            #expect(index.count(where: filter) == expected.count, "\(filter)")
        }
        #expect(snapshot.count(where: .exists("lang")) <= snapshot.count)
        #expect(index.metadata(of: "r3") == metadata["r3"])
        #expect(throws: SemblanceError.self) { try index.setMetadata(["a": 1], for: "r0") }  // deleted
    }

    /// The fixture with metadata: `bucket` (0..<1000, uncorrelated with the vectors) and
    /// `projection` (the vector's dot product with a fixed direction: correlated).
    static func fixtureIndex() throws -> (VectorIndex, [(id: String, vector: [Float], metadata: Metadata)], EmbeddingFixture) {
        let fixture = try EmbeddingFixture.minilmDebian()
        var rng = SeededGenerator(seed: 5)
        let direction = (0..<fixture.dimension).map { _ in Float.random(in: -1...1, using: &rng) }
        var index = try VectorIndex(IndexConfiguration(dimension: fixture.dimension, metric: .cosine))
        var records: [(id: String, vector: [Float], metadata: Metadata)] = []
        for (i, vector) in fixture.base.enumerated() {
            let projection = zip(vector, direction).reduce(0) { $0 + Double($1.0 * $1.1) }
            let metadata: Metadata = ["bucket": .int(Int64((i * 7919) % 1000)), "projection": .double(projection)]
            records.append(("doc-\(i)", vector, metadata))
            try index.upsert(id: "doc-\(i)", vector: vector, metadata: metadata)
        }
        return (index, records, fixture)
    }

    @Test("on real embeddings: k results whenever k match, recall@10 ≥ 0.95 at 100%, 10%, 1%, 0.1%, uncorrelated and correlated")
    func filteredRecall() throws {
        let (index, records, fixture) = try Self.fixtureIndex()
        let projections = records.map { $0.metadata["projection"]!.numericValue! }.sorted()
        for selectivity in [1.0, 0.1, 0.01, 0.001] {
            let matching = Int(Double(records.count) * selectivity)
            let threshold = projections[records.count - matching]
            let cases: [(String, Filter)] = [
                ("uncorrelated", .less("bucket", .int(Int64(1000 * selectivity)))),
                ("correlated", .greaterOrEqual("projection", .double(threshold))),
            ]
            for (kind, filter) in cases {
                let allowed = records.filter { filter.matches(id: $0.id, metadata: $0.metadata) }
                let allowedIDs = Set(allowed.map(\.id))
                #expect(index.count(where: filter) == allowed.count)
                let recall = try Recall.recall(queries: fixture.queries, records: allowed.map { ($0.id, $0.vector) },
                                               k: 10, metric: .cosine) { query in
                    let found = try index.search(query, k: 10, filter: filter)
                    #expect(found.count == min(10, allowed.count), "\(kind) \(selectivity)")
                    #expect(found.allSatisfy { allowedIDs.contains($0.id) })
                    return found
                }
                print("filtered search, \(kind), selectivity \(selectivity) (\(allowed.count) match): recall@10 = \(recall)")
                #expect(recall >= 0.95, "\(kind) \(selectivity): \(recall)")
            }
        }
    }

    @Test("the filtered graph traversal (a large matching set) keeps recall on clustered data")
    func graphTraversal() throws {
        let data = ClusteredData(count: 12_000, queries: 50, dimension: 32, clusters: 30, seed: 3)
        var index = try VectorIndex(IndexConfiguration(dimension: data.dimension, metric: .squaredEuclidean))
        let metadata = data.vectors.indices.map { i -> Metadata in ["half": .bool(i % 2 == 0), "cluster": .int(Int64(data.clusters[i]))] }
        for (i, vector) in data.vectors.enumerated() {
            try index.upsert(id: "v\(i)", vector: vector, metadata: metadata[i])
        }
        for (kind, filter) in [("uncorrelated", Filter.equals("half", true)), ("correlated", Filter.less("cluster", 12))] {
            let allowed = data.vectors.indices.filter { filter.matches(id: "v\($0)", metadata: metadata[$0]) }
            #expect(allowed.count > 4096, "large enough for the graph path")
            let recall = try Recall.recall(queries: data.queries, records: allowed.map { ("v\($0)", data.vectors[$0]) },
                                           k: 10, metric: .squaredEuclidean) { query in
                let found = try index.search(query, k: 10, filter: filter)
                #expect(found.count == 10)
                return found
            }
            print("filtered graph traversal, \(kind) (\(allowed.count) of \(data.vectors.count)): recall@10 = \(recall)")
            #expect(recall >= 0.95, "\(kind): \(recall)")
        }
    }
}

extension FilteredSearchTests {
    @Test("the indexes compare strings by Unicode scalars, as filters do: K is not the Kelvin sign")
    func scalarStrings() throws {
        var index = try VectorIndex(IndexConfiguration(dimension: 2, metric: .squaredEuclidean))
        try index.upsert(id: "kelvin", vector: [1, 0], metadata: ["unit": "\u{212A}"])
        try index.upsert(id: "k", vector: [0, 1], metadata: ["unit": "K"])
        #expect(index.ids(where: .equals("unit", "K")) == ["k"])
        #expect(index.count(where: .in("unit", ["\u{212A}"])) == 1)
        #expect(try index.search([1, 0], k: 2, filter: .equals("unit", "K")).map(\.id) == ["k"])
    }

    @Test("a filter matching most records is searched in the graph and still gives k results of the filter")
    func broadFilter() throws {
        var index = try VectorIndex(IndexConfiguration(dimension: 8, metric: .squaredEuclidean))
        var rng = SeededGenerator(seed: 21)
        let records = (0..<12_000).map { i in (id: "r\(i)", vector: (0..<8).map { _ in rng.nextGaussian() }) }
        for (i, record) in records.enumerated() {
            try index.upsert(id: record.id, vector: record.vector, metadata: ["odd": .bool(i % 2 == 1), "n": .int(Int64(i))])
        }
        let filter: Filter = .equals("odd", false) || .less("n", 10)
        #expect(index.count(where: filter) == 6005, "more than the exact-scan limit (4,096), so the graph is searched")
        let matching = records.enumerated().filter { $0.offset % 2 == 0 || $0.offset < 10 }.map(\.element)
        let recall = try Recall.recall(queries: (0..<20).map { _ in (0..<8).map { _ in rng.nextGaussian() } },
                                       records: matching, k: 10, metric: .squaredEuclidean) { query in
            let hits = try index.search(query, k: 10, filter: filter)
            #expect(hits.count == 10)
            return hits
        }
        #expect(recall >= 0.95)
    }

    @Test("integers beyond 2^53 compare exactly in filters answered by the indexes")
    func bigIntegers() throws {
        var index = try VectorIndex(IndexConfiguration(dimension: 2, metric: .squaredEuclidean))
        let big: Int64 = 1 << 53
        try index.upsert(id: "a", vector: [1, 0], metadata: ["n": .int(big)])
        try index.upsert(id: "b", vector: [0, 1], metadata: ["n": .int(big + 1)])
        #expect(index.ids(where: .equals("n", .int(big + 1))) == ["b"])
        #expect(index.ids(where: .less("n", .int(big + 1))) == ["a"])
        #expect(index.ids(where: .greater("n", .int(big))) == ["b"])
        #expect(index.count(where: .in("n", [.int(big), .int(big + 2)])) == 1)
    }
}
