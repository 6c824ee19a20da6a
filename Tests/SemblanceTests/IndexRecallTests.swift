import Testing
import SemblanceFixtures
@testable import Semblance

@Suite("Recall of approximate search against exact results")
struct IndexRecallTests {
    @Test("real sentence embeddings: recall@10 ≥ 0.95 at the default ef")
    func realEmbeddings() throws {
        let fixture = try EmbeddingFixture.minilmDebian()
        var index = try VectorIndex(IndexConfiguration(dimension: fixture.dimension, metric: .cosine))
        let records = fixture.base.enumerated().map { (id: "doc-\($0.offset)", vector: $0.element) }
        try index.insert(contentsOf: records)
        #expect(index.invariantViolations().isEmpty)
        let recall = try Recall.recall(of: index, queries: fixture.queries, records: records, k: 10)
        print("minilm fixture: recall@10 = \(recall) at ef \(index.configuration.defaultEf)")
        #expect(recall >= 0.95, "recall@10 \(recall)")
    }

    @Test("synthetic clustered data: recall@10 ≥ 0.95 at the default ef")
    func clusteredData() throws {
        let data = ClusteredData(count: 4000, queries: 100, dimension: 64, clusters: 40, seed: 20261121)
        var index = try VectorIndex(IndexConfiguration(dimension: data.dimension, metric: .squaredEuclidean))
        let records = data.vectors.enumerated().map { (id: "v\($0.offset)", vector: $0.element) }
        try index.insert(contentsOf: records)
        #expect(index.invariantViolations().isEmpty)
        let recall = try Recall.recall(of: index, queries: data.queries, records: records, k: 10)
        print("clustered (seed \(data.seed)): recall@10 = \(recall)")
        #expect(recall >= 0.95, "recall@10 \(recall), seed \(data.seed)")
    }

    @Test("after deleting one whole cluster and random others (half in all), recall over the live stays ≥ 0.95")
    func recallAfterDeletingHalf() throws {
        let data = ClusteredData(count: 4000, queries: 100, dimension: 64, clusters: 40, seed: 7)
        var index = try VectorIndex(IndexConfiguration(dimension: data.dimension, metric: .squaredEuclidean))
        let records = data.vectors.enumerated().map { (id: "v\($0.offset)", vector: $0.element) }
        try index.insert(contentsOf: records)

        // The biggest cluster goes whole, then random others until half are gone.
        let sizes = Dictionary(grouping: data.clusters.indices, by: { data.clusters[$0] })
        let (_, biggest) = sizes.max { $0.value.count < $1.value.count }!
        var deleted = Set(biggest)
        var rng = SeededGenerator(seed: data.seed)
        while deleted.count < records.count / 2 { deleted.insert(Int.random(in: 0..<records.count, using: &rng)) }
        for i in deleted { #expect(try index.delete(records[i].id)) }
        #expect(index.count == records.count - deleted.count)
        #expect(index.invariantViolations().isEmpty)

        let live = records.enumerated().filter { !deleted.contains($0.offset) }.map(\.element)
        // Queries aimed at the deleted cluster too: they must still find live neighbours.
        let queries = data.queries + biggest.prefix(20).map { data.vectors[$0] }
        let recall = try Recall.recall(of: index, queries: queries, records: live, k: 10)
        print("after deleting \(deleted.count) of \(records.count): recall@10 = \(recall), seed \(data.seed)")
        #expect(recall >= 0.95, "recall@10 \(recall) seed \(data.seed)")
        for query in queries {
            let hits = try index.search(query, k: 10)
            #expect(hits.count == 10)
            #expect(hits.allSatisfy { !deleted.contains(Int($0.id.dropFirst())!) })
        }
    }
}

@Suite("Parallel batch insert")
struct ParallelBuildTests {
    @Test("a parallel build keeps the graph sound and recall ≥ 0.95, into an empty and a non-empty index")
    func parallelBuild() throws {
        let fixture = try EmbeddingFixture.minilmDebian()
        let records = fixture.base.enumerated().map { (id: "doc-\($0.offset)", vector: $0.element) }
        var index = try VectorIndex(IndexConfiguration(dimension: fixture.dimension, metric: .cosine))
        try index.insert(contentsOf: records.prefix(1000), parallelism: 4)
        let snapshot = index
        try index.insert(contentsOf: records.dropFirst(1000), parallelism: 4)
        #expect(index.invariantViolations().isEmpty)
        #expect(index.count == records.count && snapshot.count == 1000)
        #expect(snapshot.invariantViolations().isEmpty)
        let recall = try Recall.recall(of: index, queries: fixture.queries, records: records, k: 10)
        print("parallel build, minilm fixture: recall@10 = \(recall)")
        #expect(recall >= 0.95, "recall@10 \(recall)")
        let snapshotRecall = try Recall.recall(of: snapshot, queries: fixture.queries, records: Array(records.prefix(1000)), k: 10)
        #expect(snapshotRecall >= 0.95, "recall@10 of the copy taken between batches \(snapshotRecall)")
    }
}
