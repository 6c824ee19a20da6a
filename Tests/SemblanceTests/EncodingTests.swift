import Testing
import SemblanceFixtures
@testable import Semblance

/// Compact encodings: the graph search and the build read code rows, the best candidates
/// are re-scored with the float32 originals, so recall holds and distances are exact.
@Suite("Vector encodings: recall, exact distances, originals kept")
struct EncodingTests {
    static let compact: [VectorEncoding] = [.float16, .bfloat16, .int8]

    /// The exact distance of a stored (normalised under cosine) vector to `query`, as the
    /// index defines it.
    static func exactDistance(_ query: [Float], _ stored: [Float], metric: DistanceMetric) -> Float {
        let kernels = DistanceKernels.best
        switch metric {
        case .squaredEuclidean: return kernels.squaredEuclidean(query, stored)
        case .innerProduct: return -kernels.dotProduct(query, stored)
        case .cosine:
            let length = query.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return 1 - kernels.dotProduct(query.map { $0 / length }, stored)
        }
    }

    @Test("real sentence embeddings: recall@10 ≥ 0.95 at the default ef, exact distances, get returns the original", arguments: VectorEncoding.allCases)
    func realEmbeddings(encoding: VectorEncoding) throws {
        let fixture = try EmbeddingFixture.minilmDebian()
        var index = try VectorIndex(IndexConfiguration(dimension: fixture.dimension, metric: .cosine, encoding: encoding))
        let records = fixture.base.enumerated().map { (id: "doc-\($0.offset)", vector: $0.element) }
        try index.insert(contentsOf: records)
        #expect(index.invariantViolations().isEmpty)
        let recall = try Recall.recall(of: index, queries: fixture.queries, records: records, k: 10)
        print("minilm fixture, \(encoding): recall@10 = \(recall) at ef \(index.configuration.defaultEf)")
        #expect(recall >= 0.95, "recall@10 \(recall) under \(encoding)")

        var reference = try VectorIndex(IndexConfiguration(dimension: fixture.dimension, metric: .cosine))
        try reference.insert(contentsOf: records.prefix(50))
        for query in fixture.queries.prefix(20) {
            let hits = try index.search(query, k: 10)
            #expect(hits.count == 10)
            #expect(zip(hits, hits.dropFirst()).allSatisfy { $0.distance <= $1.distance })
            for hit in hits {
                let stored = try #require(index.get(hit.id))
                let expected = Self.exactDistance(query, stored, metric: .cosine)
                #expect(abs(hit.distance - expected) <= 1e-5, "\(hit.id): \(hit.distance) vs exact \(expected)")
            }
        }
        // The originals are kept bit for bit: the same as a float32 index stores.
        for record in records.prefix(50) { #expect(index.get(record.id) == reference.get(record.id)) }
    }

    @Test("clustered squared-L2 and inner-product data: recall@10 ≥ 0.95", arguments: compact)
    func clusteredData(encoding: VectorEncoding) throws {
        let data = ClusteredData(count: 4000, queries: 100, dimension: 64, clusters: 40, seed: 20261203)
        let records = data.vectors.enumerated().map { (id: "v\($0.offset)", vector: $0.element) }
        for metric in [DistanceMetric.squaredEuclidean, .innerProduct] {
            var index = try VectorIndex(IndexConfiguration(dimension: data.dimension, metric: metric, encoding: encoding))
            try index.insert(contentsOf: records)
            #expect(index.invariantViolations().isEmpty)
            let recall = try Recall.recall(of: index, queries: data.queries, records: records, k: 10)
            print("clustered \(metric), \(encoding): recall@10 = \(recall)")
            #expect(recall >= 0.95, "recall@10 \(recall) under \(encoding), \(metric)")
            let query = data.queries[0]
            for hit in try index.search(query, k: 5) {
                let expected = Self.exactDistance(query, try #require(index.get(hit.id)), metric: metric)
                #expect(abs(hit.distance - expected) <= 1e-6 * max(1, abs(expected)))
            }
        }
    }

    @Test("after deleting half and compacting, and under filters, recall@10 stays ≥ 0.95", arguments: VectorEncoding.allCases)
    func deletesCompactionAndFilters(encoding: VectorEncoding) throws {
        let fixture = try EmbeddingFixture.minilmDebian()
        var index = try VectorIndex(IndexConfiguration(dimension: fixture.dimension, metric: .cosine, encoding: encoding))
        let records = fixture.base.enumerated().map { (id: "doc-\($0.offset)", vector: $0.element) }
        try index.insert(contentsOf: records)
        for (i, record) in records.enumerated() where i % 2 == 1 { #expect(try index.delete(record.id)) }
        let live = records.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        let afterDeletes = try Recall.recall(of: index, queries: fixture.queries, records: live, k: 10)
        let compacted = try index.rebuiltWithoutDeletions(parallelism: 2)
        #expect(compacted.invariantViolations().isEmpty && compacted.deletedCount == 0)
        #expect(compacted.configuration.encoding == encoding)
        let afterCompaction = try Recall.recall(of: compacted, queries: fixture.queries, records: live, k: 10)
        print("\(encoding): recall@10 after deleting half \(afterDeletes), after compaction \(afterCompaction)")
        #expect(afterDeletes >= 0.95 && afterCompaction >= 0.95, "\(encoding): \(afterDeletes), \(afterCompaction)")

        // A filter matching more than the exact-scan limit searches the graph, testing nodes.
        // The real fixture (3,000 vectors) is below that limit, where every filtered search
        // is an exact scan, so this part runs on a larger clustered set.
        let data = ClusteredData(count: 12_000, queries: 50, dimension: 32, clusters: 30, seed: 99)
        var clustered = try VectorIndex(IndexConfiguration(dimension: 32, metric: .squaredEuclidean, encoding: encoding))
        let clusteredRecords = data.vectors.enumerated().map { (id: "c\($0.offset)", vector: $0.element) }
        try clustered.insert(contentsOf: clusteredRecords, parallelism: 2)
        for (i, record) in clusteredRecords.enumerated() { try clustered.setMetadata(["even": .bool(i % 2 == 0)], for: record.id) }
        let matching = clusteredRecords.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        #expect(matching.count > VectorIndex.exactScanLimit(live: clustered.count))
        let filtered = try Recall.recall(queries: data.queries, records: matching, k: 10, metric: .squaredEuclidean) {
            try clustered.search($0, k: 10, filter: .equals("even", true))
        }
        print("\(encoding): filtered recall@10 \(filtered)")
        #expect(filtered >= 0.95, "\(encoding): filtered recall@10 \(filtered)")
    }

    @Test("float16 and bfloat16 refuse components beyond their range (unless cosine normalises them), and change nothing")
    func float16Range() throws {
        var index = try VectorIndex(IndexConfiguration(dimension: 3, metric: .squaredEuclidean, encoding: .float16))
        try index.insert(id: "a", vector: [65_504, -65_504, 1])
        let refused = #expect(throws: SemblanceError.self) { try index.insert(id: "b", vector: [1, 70_000, 0]) }
        #expect(refused?.code == .nonFiniteComponent)
        #expect(refused?.message.contains("float16") == true)
        let query = #expect(throws: SemblanceError.self) { try index.search([0, 0, -1e6], k: 1) }
        #expect(query?.code == .nonFiniteComponent)
        #expect(index.count == 1 && index.invariantViolations().isEmpty)
        var cosine = try VectorIndex(IndexConfiguration(dimension: 3, metric: .cosine, encoding: .float16))
        try cosine.insert(id: "big", vector: [1e30, 2e30, 0])
        try cosine.insert(id: "other", vector: [0, 1e30, 3e30])
        #expect(try cosine.search([1, 2, 0], k: 1).first?.id == "big")
        #expect(try cosine.search([0, 1, 3], k: 1).first?.id == "other")
        var bfloat = try VectorIndex(IndexConfiguration(dimension: 2, metric: .innerProduct, encoding: .bfloat16))
        try bfloat.insert(id: "large", vector: [3e38, 1])
        let overflow = #expect(throws: SemblanceError.self) { try bfloat.insert(id: "b", vector: [Float.greatestFiniteMagnitude, 0]) }
        #expect(overflow?.code == .nonFiniteComponent)
        #expect(bfloat.count == 1 && bfloat.invariantViolations().isEmpty)
    }

    @Test("int8 rows: codes within ±127 of the residual's own scale; zero and tiny vectors, retraining and copies stay sound")
    func int8Rows() throws {
        let codec = VectorCodec(encoding: .int8, dimension: 5)
        #expect(codec.rowBytes == 32)
        let vector: [Float] = [0.5, -2, 1.25, 0, 2]
        let row = UnsafeMutableRawPointer.allocate(byteCount: codec.rowBytes, alignment: 64)
        defer { row.deallocate() }
        vector.withUnsafeBufferPointer { codec.encode($0.baseAddress!, into: row, centre: []) }
        let scale = row.load(as: Float.self)
        #expect(scale == Float(2) / 127)
        #expect(row.load(fromByteOffset: 4, as: Float.self) == 0.25 + 4 + 1.5625 + 4)
        #expect(row.load(fromByteOffset: 8, as: Float.self) == 0)
        let codes = (0..<5).map { row.load(fromByteOffset: 16 + $0, as: Int8.self) }
        #expect(codes == [32, -127, 79, 0, 127])
        for (code, x) in zip(codes, vector) { #expect(abs(Float(code) * scale - x) <= scale / 2) }

        // Retraining at 2 nodes re-encodes node 0 under a new centre: the copy taken at one
        // node keeps its own code row (pages are copied before they are written).
        var index = try VectorIndex(IndexConfiguration(dimension: 2, metric: .squaredEuclidean, encoding: .int8))
        try index.insert(id: "zero", vector: [0, 0])
        let copy = index
        let before = Array(UnsafeRawBufferPointer(start: copy.codes.row(0), count: codec.rowBytes))
        try index.insert(id: "one", vector: [1, 1])
        #expect(index.centre == [0.5, 0.5] && copy.centre == [0, 0])
        #expect(Array(UnsafeRawBufferPointer(start: copy.codes.row(0), count: codec.rowBytes)) == before)
        #expect(Array(UnsafeRawBufferPointer(start: index.codes.row(0), count: codec.rowBytes)) != before)
        #expect(try index.search([0.9, 0.9], k: 2).map(\.id) == ["one", "zero"])
        #expect(index.invariantViolations().isEmpty && copy.invariantViolations().isEmpty)

        // A residual too small to invert is coded as zeros, never as NaN-derived codes.
        let tiny: [Float] = [1e-38, -Float.leastNormalMagnitude / 4, 0, 0, 0]
        tiny.withUnsafeBufferPointer { codec.encode($0.baseAddress!, into: row, centre: []) }
        #expect((0..<5).allSatisfy { row.load(fromByteOffset: 16 + $0, as: Int8.self) == 0 } && row.load(as: Float.self) == 0)
    }

    @Test("encodings are named by their Swift names and short forms")
    func names() {
        for (name, encoding) in [("f32", VectorEncoding.float32), ("float16", .float16), ("bf16", .bfloat16), ("int8", .int8)] {
            #expect(VectorEncoding(name: name) == encoding)
        }
        #expect(VectorEncoding(name: "fp8") == nil)
        let error = #expect(throws: SemblanceError.self) {
            try VectorIndex(IndexConfiguration(dimension: 4, encoding: .int8, rerankMultiple: 0))
        }
        #expect(error?.code == .invalidConfiguration)
    }
}

@Suite("Vector encodings in collections: stored, reopened, compacted")
struct CollectionEncodingTests {
    @Test("a collection keeps its encoding; after a checkpoint, logged writes and a reopen, searches answer the same", arguments: EncodingTests.compact)
    func reopen(encoding: VectorEncoding) async throws {
        let fixture = try EmbeddingFixture.minilmDebian()
        let folder = TemporaryDirectory()
        let configuration = CollectionConfiguration(dimension: fixture.dimension, metric: .cosine, shardCount: 2,
                                                    checkpointPolicy: .manual, encoding: encoding, rerankMultiple: 2)
        let records = fixture.base.enumerated().map { VectorRecord(id: "doc-\($0.offset)", vector: $0.element) }
        var client = try await Client(directory: folder.path)
        var docs = try await client.createCollection("docs", configuration: configuration)
        try await docs.upsert(Array(records.prefix(2000)))
        _ = try await docs.checkpoint()
        try await docs.upsert(Array(records.dropFirst(2000)))  // logged, replayed at open
        _ = try await docs.delete(records.prefix(100).map(\.id))
        let before = try await docs.search(fixture.queries, k: 10)
        await client.close()

        client = try await Client(directory: folder.path)
        docs = try await client.collection("docs")
        #expect(docs.configuration.encoding == encoding && docs.configuration.rerankMultiple == 2)
        let after = try await docs.search(fixture.queries, k: 10)
        #expect(after == before, "\(encoding): answers changed across a reopen")
        let live = records.dropFirst(100).map { (id: $0.id, vector: $0.vector) }
        let recall = Recall.recall(queries: fixture.queries, records: live, k: 10, metric: .cosine) { query in
            after[fixture.queries.firstIndex(of: query)!].hits
        }
        #expect(recall >= 0.95, "\(encoding): recall@10 \(recall)")
        #expect(docs.get("doc-2500")?.vector == records[2500].vector)  // the fixture is unit length: stored as given
        _ = try await docs.compact()
        let compacted = try await docs.search(fixture.queries, k: 10)
        let compactedRecall = Recall.recall(queries: fixture.queries, records: live, k: 10, metric: .cosine) { query in
            compacted[fixture.queries.firstIndex(of: query)!].hits
        }
        #expect(compactedRecall >= 0.95, "\(encoding): recall@10 after compaction \(compactedRecall)")
        await client.close()
    }

    @Test("a float32 collection is re-encoded by a rebuild; its commits stay readable and the encoding lasts", arguments: EncodingTests.compact)
    func reencode(encoding: VectorEncoding) async throws {
        let fixture = try EmbeddingFixture.minilmDebian()
        let folder = TemporaryDirectory()
        let configuration = CollectionConfiguration(dimension: fixture.dimension, metric: .cosine, shardCount: 2, checkpointPolicy: .manual)
        let records = fixture.base.enumerated().map { VectorRecord(id: "doc-\($0.offset)", vector: $0.element) }
        var client = try await Client(directory: folder.path)
        let original = try await client.createCollection("docs", configuration: configuration)
        try await original.upsert(Array(records.prefix(2000)))
        let first = try await original.commit(message: "first 2000")
        try await original.createBranch("before")  // its head stays a float32 commit
        try await original.upsert(Array(records.dropFirst(2000)))  // logged only
        _ = try await original.delete(records.prefix(100).map(\.id))

        var docs = try await client.reencodeCollection("docs", to: encoding, rerankMultiple: 2)
        await #expect(throws: SemblanceError.self) { try await original.upsert(id: "late", vector: records[0].vector) }
        #expect(docs.configuration.encoding == encoding && docs.configuration.rerankMultiple == 2)
        let statistics = docs.statistics()
        #expect(statistics.live == records.count - 100 && statistics.deleted == 0, "rebuilt without the deleted vectors")
        #expect(docs.get("doc-2500")?.vector == records[2500].vector)
        let answers = try await docs.search(fixture.queries, k: 10)
        let live = records.dropFirst(100).map { (id: $0.id, vector: $0.vector) }
        let recall = Recall.recall(queries: fixture.queries, records: live, k: 10, metric: .cosine) { query in
            answers[fixture.queries.firstIndex(of: query)!].hits
        }
        #expect(recall >= 0.95, "\(encoding): recall@10 after re-encoding \(recall)")
        let rebuilt = try await docs.history(limit: 2).map(\.message)
        #expect(Set(rebuilt) == ["compaction of shard 0", "compaction of shard 1"], "each shard rebuilt and committed: \(rebuilt)")
        let old = try await docs.snapshot(at: first.id)
        #expect(old.count == 2000 && old.get("doc-5") == records[5].vector, "a commit made under float32 still reads")
        let report = try await client.verify("docs")  // "before"'s head is a float32 commit
        #expect(report.problems.isEmpty && report.branches == 2, "\(report)")
        let before = try await client.collection("docs", branch: "before")
        #expect(before.configuration.encoding == encoding && before.count == 2000)
        let beforeAnswers = try await before.search(fixture.queries, k: 10)
        let firstRecords = records.prefix(2000).map { (id: $0.id, vector: $0.vector) }
        let beforeRecall = Recall.recall(queries: fixture.queries, records: firstRecords, k: 10, metric: .cosine) { query in
            beforeAnswers[fixture.queries.firstIndex(of: query)!].hits
        }
        #expect(beforeRecall >= 0.95, "\(encoding): a branch made before, searched under the new encoding: \(beforeRecall)")
        await client.close()

        client = try await Client(directory: folder.path)
        docs = try await client.collection("docs")
        #expect(docs.configuration.encoding == encoding && docs.configuration.rerankMultiple == 2)
        #expect(try await docs.search(fixture.queries, k: 10) == answers, "\(encoding): answers changed across a reopen")
        await client.close()
    }

    @Test("a re-encoding with a bad setting, of a missing or an in-memory collection changes nothing; the same encoding again rebuilds")
    func reencodeRefused() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let docs = try await client.createCollection("docs", dimension: 4)
        try await docs.upsert(id: "a", vector: [1, 0, 0, 0])
        let error = await #expect(throws: SemblanceError.self) {
            try await client.reencodeCollection("docs", to: .int8, rerankMultiple: 0)
        }
        #expect(error?.code == .invalidConfiguration)
        try await docs.upsert(id: "b", vector: [0, 1, 0, 0])  // the handle stayed open
        #expect(try await client.collection("docs") === docs && docs.configuration.encoding == .float32)
        let missing = await #expect(throws: SemblanceError.self) { try await client.reencodeCollection("missing", to: .int8) }
        #expect(missing?.code == .unknownCollection)
        // The same encoding again: the settings change and main is rebuilt all the same (how
        // an interrupted re-encoding is finished).
        let again = try await client.reencodeCollection("docs", to: .float32, rerankMultiple: 5)
        #expect(again.configuration.rerankMultiple == 5 && again.count == 2)
        #expect(try await again.history(limit: 1).first?.message == "compaction of shard 0")
        await client.close()

        let memory = Client.inMemory()
        _ = try await memory.createCollection("docs", dimension: 4)
        let refused = await #expect(throws: SemblanceError.self) { try await memory.reencodeCollection("docs", to: .int8) }
        #expect(refused?.code == .invalidArgument)
        await memory.close()
    }
}
