import Foundation
import Testing
@testable import Semblance

/// Finite vectors whose squares leave Float's range: under cosine they are stored as finite
/// unit vectors, searched with finite distances, and exported in JSON that imports back.
/// `verify` reports a non-finite component that got stored anyway.
@Suite("Vectors of tiny and huge components under the cosine metric")
struct ExtremeVectorTests {
    /// Each of a different direction, so that each is its own unique nearest.
    static let extremes: [(id: String, vector: [Float])] = [
        ("subnormal", [Float.leastNormalMagnitude / 100, Float.leastNormalMagnitude / 50, 0, 0]),
        ("squares-underflow", [1e-30, -2e-30, 3e-30, 0]),
        ("least-nonzero", [0, 0, 0, .leastNonzeroMagnitude]),
        ("squares-overflow", [1e30, 0, -1e30, 2e30]),
        ("near-greatest", [3e38, 3e38, 3e38, -3e38]),
        ("plain", [0, 1, 0, 0]),
    ]

    /// `v / ‖v‖`, in double precision.
    static func unit(_ v: [Float]) -> [Double] {
        let norm = v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        return v.map { Double($0) / norm }
    }

    /// 1 − cos(a, b), from the vectors as given, in double precision.
    static func cosineDistance(_ a: [Float], _ b: [Float]) -> Double {
        1 - zip(unit(a), unit(b)).reduce(0.0) { $0 + $1.0 * $1.1 }
    }

    static func expectUnit(_ stored: [Float]?, of original: [Float], _ label: String) {
        guard let stored else {
            Issue.record("\(label): not stored")
            return
        }
        #expect(stored.allSatisfy { $0.isFinite }, "\(label): \(stored)")
        for (got, want) in zip(stored, unit(original)) {
            #expect(abs(Double(got) - want) < 1e-6, "\(label): \(stored), want \(unit(original))")
        }
    }

    @Test("upserted under cosine: finite unit vectors; each is its own nearest, every distance finite and right")
    func storedAndSearched() throws {
        var index = try VectorIndex(IndexConfiguration(dimension: 4, metric: .cosine))
        for (id, vector) in Self.extremes { try index.insert(id: id, vector: vector) }
        for (id, vector) in Self.extremes {
            Self.expectUnit(index.get(id), of: vector, id)
            let hits = try index.search(vector, k: Self.extremes.count)
            #expect(hits.first?.id == id, "\(id): \(hits)")
            #expect(hits.count == Self.extremes.count)
            for hit in hits {
                let other = try #require(Self.extremes.first { $0.id == hit.id }).vector
                #expect(hit.distance.isFinite, "\(id) to \(hit.id): \(hit.distance)")
                #expect(abs(Double(hit.distance) - Self.cosineDistance(vector, other)) < 1e-5, "\(id) to \(hit.id): \(hit.distance)")
            }
        }
    }

    @Test("normalizing a stored unit vector again changes no bit")
    func idempotent() throws {
        var first = try VectorIndex(IndexConfiguration(dimension: 4, metric: .cosine))
        var second = try VectorIndex(IndexConfiguration(dimension: 4, metric: .cosine))
        for (id, vector) in Self.extremes + [("ordinary", [3, 4, 0.5, -1])] {
            try first.insert(id: id, vector: vector)
            let stored = try #require(first.get(id))
            try second.insert(id: id, vector: stored)
            #expect(second.get(id)?.map(\.bitPattern) == stored.map(\.bitPattern), "\(id)")
        }
    }

    @Test("export then import of a cosine collection of such vectors: the same vectors, bit for bit")
    func exportImport() async throws {
        let folder = TemporaryDirectory()
        let client = Client.inMemory()
        let source = try await client.createCollection("source", dimension: 4, metric: .cosine)
        try await source.upsert(Self.extremes.map { VectorRecord(id: $0.id, vector: $0.vector) })
        let exported = try await source.exportJSONLines(to: folder.file("out.jsonl"))
        #expect(exported == Self.extremes.count)
        let copy = try await client.createCollection("copy", dimension: 4, metric: .cosine)
        let imported = try await copy.importJSONLines(from: folder.file("out.jsonl"))
        #expect(imported == Self.extremes.count)
        for (id, vector) in Self.extremes {
            Self.expectUnit(copy.get(id)?.vector, of: vector, id)
            #expect(copy.get(id)?.vector.map(\.bitPattern) == source.get(id)?.vector.map(\.bitPattern), "\(id)")
        }
    }

    // MARK: verify

    /// A collection `c` under `folder` holding one record, checkpointed or only logged.
    static func collection(in folder: TemporaryDirectory, checkpoint: Bool) async throws -> String {
        let client = try await Client(directory: folder.path)
        let collection = try await client.createCollection("c", configuration: CollectionConfiguration(dimension: 4, metric: .squaredEuclidean))
        try await collection.upsert(id: "a", vector: [1, 2, 3, 4])
        if checkpoint { try await collection.checkpoint() }
        await client.close()
        return folder.file("c")
    }

    @Test("verify reports a NaN in a vector page, naming the page")
    func verifyPage() async throws {
        let folder = TemporaryDirectory()
        let directory = try await Self.collection(in: folder, checkpoint: true)
        // Rewrite the head commit so that its vector page holds a NaN, every hash still sound.
        let fs = PosixFileSystem()
        let objects = ObjectStore(fs: fs, directory: directory + "/objects")
        let refs = Refs(fs: fs, directory: directory + "/refs")
        var commit = try CommitObject.decode(try objects.get(try #require(try refs.read(.branch, "main"))), file: "commit")
        let (count, payload) = try PageObject.decode(try objects.get(commit.shards[0].vectors[0]), kind: .vectors, file: "page")
        var damaged = payload
        withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { damaged.replaceSubrange(8..<12, with: $0) }
        var durable = Set<ObjectHash>()
        let page = try objects.put(damaged.withUnsafeBytes { PageObject.encode(kind: .vectors, count: count, payload: $0) }, durable: &durable).hash
        commit.shards[0].vectors[0] = page
        try refs.write(.branch, "main", try objects.put(try commit.encoded(), durable: &durable).hash)

        // (The logs continue from the old head, which verify reports too.)
        let report = try CollectionEngine.verify(fs, directory: directory)
        let problem = try #require(report.problems.first { $0.file == objects.path(of: page) }, "\(report.problems)")
        #expect(problem.message.contains("not finite") && problem.message.contains("byte offset 8"), "\(problem.message)")
        #expect(problem.code == "corruptFile")
    }

    @Test("verify reports an infinity in a logged upsert, naming the log")
    func verifyLog() async throws {
        let folder = TemporaryDirectory()
        let directory = try await Self.collection(in: folder, checkpoint: false)
        let fs = PosixFileSystem()
        let path = directory + "/wal/main/shard-0.log"
        let writer = try LogWriter.open(fs, path: path, after: try LogReader.read(fs, path: path, maximumDimension: 4))
        try writer.append([.upsert(id: "b", vector: [1, .infinity, 0, 0])], group: WriteGroup(number: 1_000, participants: ShardSet([0])), sync: true)
        writer.close()

        let report = try CollectionEngine.verify(fs, directory: directory)
        #expect(report.problems.map(\.file) == [path], "\(report.problems)")
        let message = try #require(report.problems.first?.message)
        #expect(message.contains("record 2") && message.contains("non-finite component inf at index 1"), "\(message)")
    }
}
