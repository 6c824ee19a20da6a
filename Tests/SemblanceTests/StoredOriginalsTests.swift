import Foundation
import Testing
import SemblanceFixtures
@testable import Semblance

/// Under a compact encoding the float32 originals are read on demand from
/// their page objects, once these are durable, instead of kept in memory.
@Suite("Originals of compact encodings read from their page files")
struct StoredOriginalsTests {
    /// The fixture's 3,000 vectors in one shard: 384-d rows, 1,024 to a page, so pages 0
    /// and 1 are full and the last holds 952 rows.
    static func collection(_ encoding: VectorEncoding, in folder: TemporaryDirectory) async throws
        -> (client: Client, docs: VectorCollection, records: [VectorRecord], fixture: EmbeddingFixture) {
        let fixture = try EmbeddingFixture.minilmDebian()
        let records = fixture.base.enumerated().map { VectorRecord(id: "doc-\($0.offset)", vector: $0.element) }
        let client = try await Client(directory: folder.path)
        let docs = try await client.createCollection("docs", configuration: CollectionConfiguration(
            dimension: fixture.dimension, metric: .cosine, checkpointPolicy: .manual, encoding: encoding))
        try await docs.upsert(records)
        return (client, docs, records, fixture)
    }

    @Test("after a checkpoint and after a reopen, pages are read from their files; gets, searches, scans, appends, deletes and compaction answer as from memory",
          arguments: EncodingTests.compact)
    func checkpointAndReopen(encoding: VectorEncoding) async throws {
        let folder = TemporaryDirectory()
        var (client, docs, records, fixture) = try await Self.collection(encoding, in: folder)
        let inMemory = docs.snapshot().shards[0]
        #expect(inMemory.vectors.storedPageCount == 0)
        let before = try await docs.search(fixture.queries, k: 10)
        // Scanned exactly: 300 ids read whole stored pages, 30 ids row by row.
        let scanned = [Set(records.filter { $0.id.hasSuffix("7") }.map(\.id)), Set(records.filter { $0.id.hasSuffix("17") }.map(\.id))]
        let scanBefore = try scanned.map { try docs.snapshot().search(fixture.queries[0], k: 10, ids: $0) }

        _ = try await docs.checkpoint()
        let stored = docs.snapshot().shards[0]
        #expect(stored.vectors.storedPageCount == 3, "all three pages (the last partial) are read from their objects once durable")
        let pageBytes = stored.vectors.rowsPerPage * stored.vectors.stride * 4
        #expect(inMemory.statistics.allocatedBytes - stored.statistics.allocatedBytes == 3 * pageBytes)
        try await expectSameAnswers(docs, records: records, fixture: fixture, before: before, scanned: scanned, scanBefore: scanBefore)

        // An append reads the stored last page back into memory; the rows already on it
        // come back intact. A checkpoint after it stores the page again.
        try await docs.upsert(id: "extra", vector: records[5].vector)
        let appended = docs.snapshot().shards[0]
        #expect(appended.vectors.storedPageCount == 2)
        #expect(!appended.vectors.isStored(page: 2))
        for i in 2048..<3000 { #expect(docs.get("doc-\(i)")?.vector == inMemory.get("doc-\(i)")) }
        #expect(stored.vectors.isStored(page: 2), "the snapshot before the append still reads the page from its file")
        _ = try await docs.checkpoint()
        #expect(docs.snapshot().shards[0].vectors.storedPageCount == 3)
        #expect(try await client.verify("docs").problems.isEmpty)
        await client.close()

        client = try await Client(directory: folder.path)
        docs = try await client.collection("docs")
        let reopened = docs.snapshot().shards[0]
        #expect(reopened.vectors.storedPageCount == 3)
        #expect(reopened.invariantViolations().isEmpty)
        #expect(docs.get("extra")?.vector == records[5].vector)
        _ = try await docs.delete("extra")
        try await expectSameAnswers(docs, records: records, fixture: fixture, before: before, scanned: scanned, scanBefore: scanBefore)

        // The files stay open while pages read them: a collector deleting the objects takes
        // nothing from the index that holds them.
        for p in 0..<3 {
            let file = try #require(docs.snapshot().shards[0].vectors.stored(page: p)?.file as? ObjectFile)
            try FileManager.default.removeItem(atPath: file.handle.path)
        }
        try await expectSameAnswers(docs, records: records, fixture: fixture, before: before, scanned: scanned, scanBefore: scanBefore)
        // An append reads the last page back from its file, open though its name is gone.
        try await docs.upsert(id: "after-unlink", vector: records[7].vector)
        #expect(docs.get("after-unlink")?.vector == records[7].vector)
        #expect(docs.get("doc-2999")?.vector == records[2999].vector)
        _ = try await docs.delete("after-unlink")
        try await expectSameAnswers(docs, records: records, fixture: fixture, before: before, scanned: scanned, scanBefore: scanBefore)

        // After deleting a third, and after the compaction that reads every original,
        // recall holds and distances are exact.
        let deleted = Set(records.indices.filter { $0 % 3 == 0 }.map { records[$0].id })
        _ = try await docs.delete(Array(deleted))
        let live = records.filter { !deleted.contains($0.id) }.map { (id: $0.id, vector: $0.vector) }
        for stage in ["after deletes", "after compaction"] {
            if stage == "after compaction" {
                _ = try await docs.compact()
                // The rebuilt shard's 2,000 nodes on two pages, stored once its commit is the head.
                #expect(docs.snapshot().shards[0].vectors.storedPageCount == 2)
            }
            let answers = try await docs.search(fixture.queries, k: 10)
            let recall = Recall.recall(queries: fixture.queries, records: live, k: 10, metric: .cosine) { query in
                answers[fixture.queries.firstIndex(of: query)!].hits
            }
            #expect(recall >= 0.95, "\(encoding) \(stage): recall@10 \(recall)")
            for (query, answer) in zip(fixture.queries, answers) {
                for hit in answer.hits {
                    #expect(!deleted.contains(hit.id))
                    let vector = try #require(records.first { $0.id == hit.id }?.vector)
                    #expect(abs(hit.distance - EncodingTests.exactDistance(query, vector, metric: .cosine)) <= 1e-5)
                }
            }
        }
        await client.close()
    }

    /// Every get returns the stored vector bit for bit, searches answer as `before` (exact
    /// distances, the same ids), and exact scans over `scanned` as `scanBefore`.
    private func expectSameAnswers(_ docs: VectorCollection, records: [VectorRecord], fixture: EmbeddingFixture,
                                   before: [SearchResults], scanned: [Set<String>], scanBefore: [SearchResults]) async throws {
        for record in records { #expect(docs.get(record.id)?.vector == record.vector, "\(record.id)") }
        let answers = try await docs.search(fixture.queries, k: 10)
        #expect(answers == before)
        let scans = try scanned.map { try docs.snapshot().search(fixture.queries[0], k: 10, ids: $0) }
        #expect(scans == scanBefore)
        let withVectors = try docs.snapshot().search(fixture.queries[1], k: 5, includeVectors: true)
        for hit in withVectors.hits { #expect(hit.vector == records.first { $0.id == hit.id }?.vector) }
    }

    @Test("a page of originals written compressed (4-d vectors padded to 16 components) stays in memory and answers")
    func compressedPagesStayInMemory() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let docs = try await client.createCollection("small", configuration: CollectionConfiguration(
            dimension: 4, metric: .squaredEuclidean, checkpointPolicy: .manual, encoding: .int8))
        var random = SeededGenerator(seed: 7)
        let records = (0..<5000).map { i in
            VectorRecord(id: "v\(i)", vector: (0..<4).map { _ in Float.random(in: -1...1, using: &random) })
        }
        try await docs.upsert(records)
        _ = try await docs.checkpoint()
        let shard = docs.snapshot().shards[0]
        #expect(shard.vectors.count >= shard.vectors.rowsPerPage, "at least one full page")
        #expect(shard.vectors.storedPageCount == 0, "a compressed page cannot be read in place")
        #expect(docs.get("v4321")?.vector == records[4321].vector)
        #expect(try await docs.search(records[17].vector, k: 1).ids == ["v17"])
        await client.close()
    }

    /// A file whose every read fails, as a disk that failed under an open file would.
    struct FailingRowFile: RowFile {
        func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SemblanceError) {
            throw SemblanceError(.io, "pread: Input/output error (injected)", path: "/failed/disk/object")
        }
    }

    @Test("a stored page that cannot be read fails the searches that re-score its rows with .io naming the file")
    func unreadablePage() throws {
        let fixture = try EmbeddingFixture.minilmDebian()
        var index = try VectorIndex(IndexConfiguration(dimension: fixture.dimension, metric: .cosine, encoding: .bfloat16))
        try index.insert(contentsOf: fixture.base.enumerated().map { (id: "doc-\($0.offset)", vector: $0.element) })
        index.vectors.store(page: 0, in: StoredRows(file: FailingRowFile(), offset: 28, name: "none"))
        var failures: [SemblanceError] = []
        for query in fixture.queries {
            do { _ = try index.search(query, k: 10) } catch { failures.append(error) }
        }
        #expect(!failures.isEmpty, "page 0 holds a third of the nodes: some searches re-score its rows")
        #expect(failures.allSatisfy { $0.code == .io && $0.path == "/failed/disk/object" }, "\(failures.first.map { "\($0)" } ?? "")")

        // Appending reads the stored last page back first: when that fails, the insert and
        // the upsert throw .io and leave the index as it was.
        let last = index.vectors.pages.count - 1
        index.vectors.store(page: last, in: StoredRows(file: FailingRowFile(), offset: 28, name: "none"))
        let before = index.nodeCount
        do {
            try index.insert(id: "new", vector: fixture.queries[0])
            Issue.record("an insert appended to a page it could not read")
        } catch {
            #expect(error.code == .io && error.path == "/failed/disk/object")
        }
        do {
            _ = try index.upsert(id: "doc-5", vector: fixture.queries[0])
            Issue.record("an upsert appended to a page it could not read")
        } catch {
            #expect(error.code == .io && error.path == "/failed/disk/object")
        }
        #expect(index.nodeCount == before && index.count == before)
        #expect(index.contains("doc-5") && !index.contains("new"))
    }

    @Test("float32 keeps its originals in memory: its searches read them")
    func float32StaysInMemory() async throws {
        let folder = TemporaryDirectory()
        let (client, docs, _, _) = try await Self.collection(.float32, in: folder)
        _ = try await docs.checkpoint()
        #expect(docs.snapshot().shards[0].vectors.storedPageCount == 0)
        await client.close()
    }
}
