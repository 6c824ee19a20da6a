import Foundation
import Testing
@testable import Semblance

/// JSON Lines: the line form of records, and export/import of whole collections.
@Suite("Exchange: JSON Lines export and import")
struct ExchangeTests {
    static let awkward: [VectorRecord] = [
        VectorRecord(id: "plain", vector: [1, 0.1, -2.5e-8, 3]),
        VectorRecord(id: "quote\"back\\slash", vector: [0, 1, 0, 0], metadata: ["text": "line\nbreak\ttab \u{1} é 🚀"]),
        VectorRecord(id: "numbers", vector: [1, 2, 3, 4], metadata: ["int": 2, "double": 2.0, "small": 0.1, "big": .int(.max),
                                                                      "nested": ["a": [1, "x", nil, true]]]),
    ]

    @Test("encode then parse gives the same record: escapes, integers against doubles, nesting")
    func lineRoundTrip() throws {
        for record in Self.awkward {
            let line = JSONLines.encode(record)
            #expect(line.last == UInt8(ascii: "\n"))
            let parsed = try JSONLines.parse(Array(line.dropLast()))
            #expect(parsed == JSONLines.Line(id: record.id, vector: record.vector, metadata: record.metadata), "\(String(decoding: line, as: UTF8.self))")
        }
    }

    @Test("a malformed line is .invalidFile naming the field")
    func malformed() {
        let missing = #expect(throws: SemblanceError.self) { try JSONLines.parse(Array(#"{"id": "a"}"#.utf8)) }
        #expect(missing?.code == .invalidFile)
        #expect(missing?.message.contains("\"vector\"") == true, "\(String(describing: missing))")
        let badMetadata = #expect(throws: SemblanceError.self) { try JSONLines.parse(Array(#"{"id": "a", "vector": [1], "metadata": {"x": }}"#.utf8)) }
        #expect(badMetadata?.code == .invalidFile)
    }

    static func numbered(_ i: Int) -> VectorRecord {
        let vector: [Float] = [Float(i % 17), 1, Float(i % 5), 2]
        let metadata: Metadata? = i % 2 == 0 ? ["n": .int(Int64(i))] : nil
        return VectorRecord(id: "r\(i)", vector: vector, metadata: metadata)
    }

    static func collection(_ client: Client, _ name: String, shards: Int) async throws -> VectorCollection {
        try await client.createCollection(name, configuration: CollectionConfiguration(dimension: 4, metric: .squaredEuclidean, shardCount: shards))
    }

    @Test("export then import into a new collection: the same records, metadata included; no temporary file left")
    func collectionRoundTrip() async throws {
        let folder = TemporaryDirectory()
        let client = Client.inMemory()
        let source = try await Self.collection(client, "source", shards: 3)
        var records = Self.awkward
        records += (0..<2500).map(Self.numbered)
        try await source.upsert(records)
        try await source.delete(["r7", "r8"])
        let path = folder.file("out.jsonl")
        let exported = try await source.exportJSONLines(to: path)
        #expect(exported == records.count - 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.jsonl"])

        let copy = try await Self.collection(client, "copy", shards: 1)
        let progress = ProgressLog()
        let imported = try await copy.importJSONLines(from: path, batchSize: 1000) { progress.add($0) }
        #expect(imported == exported)
        #expect(progress.records == [1000, 2000, exported])
        for record in records where record.id != "r7" && record.id != "r8" {
            #expect(copy.get(record.id) == record)
        }
        #expect(!copy.contains("r7"))
    }

    @Test("import stops at a bad line, naming it; the records before it are stored; a repeated id keeps the later line")
    func importStopsAtBadLine() async throws {
        let folder = TemporaryDirectory()
        let lines = [
            JSONLines.encode(VectorRecord(id: "a", vector: [1, 2, 3, 4], metadata: ["v": 1])),
            JSONLines.encode(VectorRecord(id: "a", vector: [1, 2, 3, 5], metadata: ["v": 2])),
            Array("\n".utf8),
            Array(#"{"id": "b", "vector": [1, 2, 3]}"#.utf8 + [10]),
            JSONLines.encode(VectorRecord(id: "c", vector: [1, 2, 3, 4])),
        ]
        try Data(lines.joined()).write(to: URL(fileURLWithPath: folder.file("in.jsonl")))
        let docs = try await Self.collection(Client.inMemory(), "docs", shards: 1)
        let error = await #expect(throws: SemblanceError.self) { try await docs.importJSONLines(from: folder.file("in.jsonl"), batchSize: 10) }
        #expect(error?.code == .dimensionMismatch)
        #expect(error?.message.contains("in.jsonl line 4") == true, "\(String(describing: error))")
        #expect(docs.count == 1)
        #expect(docs.get("a")?.metadata == ["v": 2])
        #expect(!docs.contains("c"))
    }
}

/// Progress reports collected from another thread.
final class ProgressLog: @unchecked Sendable {
    // Invariant (why @unchecked): `lock` guards `reports`.
    private let lock = NSLock()
    private var reports: [ExchangeProgress] = []
    func add(_ report: ExchangeProgress) { lock.withLock { reports.append(report) } }
    var records: [Int] { lock.withLock { reports.map(\.records) } }
}
