import Foundation
import Testing
@testable import Semblance

/// Inserts that refuse stored ids, generated ids, vector updates that keep metadata,
/// iterating a collection, URL paths for import and export, and verify beside an open
/// collection.
@Suite("Records: insert, update, iteration, URLs")
struct RecordAPITests {
    static func vector(_ i: Int) -> [Float] { (0..<4).map { Float((i * 7 + $0 * 3) % 23) + 1 } }

    static func persistent(_ folder: TemporaryDirectory, shards: Int = 1) async throws -> (Client, VectorCollection) {
        let client = try await Client(directory: folder.path)
        let collection = try await client.createCollection(
            "c", configuration: CollectionConfiguration(dimension: 4, metric: .squaredEuclidean, shardCount: shards))
        return (client, collection)
    }

    @Test("insert adds a new id; a stored id is .idExists naming it, and the stored record is unchanged")
    func insertRefusesStoredIDs() async throws {
        let folder = TemporaryDirectory()
        let (client, c) = try await Self.persistent(folder)
        try await c.insert(id: "a", vector: Self.vector(1), metadata: ["n": 1])
        try await c.insert(VectorRecord(id: "b", vector: Self.vector(2)))
        let error = await #expect(throws: SemblanceError.self) { try await c.insert(id: "a", vector: Self.vector(9), metadata: ["n": 2]) }
        #expect(error?.code == .idExists)
        #expect(error?.ids == ["a"])
        #expect(error?.message.contains("\"a\"") == true, "\(String(describing: error))")
        #expect(c.get("a") == VectorRecord(id: "a", vector: Self.vector(1), metadata: ["n": 1]))
        #expect(c.count == 2)
        await client.close()
    }

    @Test("a batch insert with stored ids writes nothing and lists them; an id twice in the batch is .duplicateID")
    func batchInsertIsAllOrNothing() async throws {
        let folder = TemporaryDirectory()
        let (client, c) = try await Self.persistent(folder, shards: 3)
        try await c.insert((0..<10).map { VectorRecord(id: "v\($0)", vector: Self.vector($0)) })
        #expect(c.count == 10)
        let batch = (8..<20).map { VectorRecord(id: "v\($0)", vector: Self.vector($0 + 100)) }
        let exists = await #expect(throws: SemblanceError.self) { try await c.insert(batch) }
        #expect(exists?.code == .idExists)
        #expect(Set(exists?.ids ?? []) == ["v8", "v9"])
        #expect(c.count == 10)
        #expect(!c.contains("v10"))
        #expect(c.get("v8")?.vector == Self.vector(8))
        let twice = await #expect(throws: SemblanceError.self) {
            try await c.insert([VectorRecord(id: "x", vector: Self.vector(1)), VectorRecord(id: "x", vector: Self.vector(2))])
        }
        #expect(twice?.code == .duplicateID)
        #expect(!c.contains("x"))
        // Nothing of the refused batches reached the log: a reopen finds the ten records.
        await client.close()
        let reopened = try await Client(directory: folder.path)
        let again = try await reopened.collection("c")
        #expect(again.count == 10 && !again.contains("v10") && again.get("v9")?.vector == Self.vector(9))
        await reopened.close()
    }

    @Test("many tasks inserting the same ids at once: each id is taken by exactly one")
    func concurrentInsertsOfOneID() async throws {
        let folder = TemporaryDirectory()
        let (client, c) = try await Self.persistent(folder, shards: 2)
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { tasks in
            for task in 0..<40 {
                tasks.addTask {
                    do {
                        try await c.insert(id: "id\(task % 5)", vector: Self.vector(task), metadata: ["task": Metadata(task)])
                        return (task, true)
                    } catch SemblanceError.Code.idExists {
                        // Refused only once the write that took the id is visible.
                        #expect(c.contains("id\(task % 5)"))
                        return (task, false)
                    } catch {
                        Issue.record(error)
                        return (task, false)
                    }
                }
            }
            var all: [(Int, Bool)] = []
            for await outcome in tasks { all.append(outcome) }
            return all
        }
        let winners = outcomes.filter { $0.1 }.map { $0.0 }
        #expect(winners.count == 5, "\(winners)")
        for winner in winners {
            let record = c.get("id\(winner % 5)")
            #expect(record?.vector == Self.vector(winner) && record?.metadata == ["task": Metadata(winner)])
        }
        #expect(c.count == 5)
        await client.close()
    }

    @Test("insert(vector:metadata:) stores the record under a new UUID and returns it")
    func generatedIDs() async throws {
        let client = Client.inMemory()
        let c = try await client.createCollection("c", dimension: 4)
        let first = try await c.insert(vector: Self.vector(1), metadata: ["title": "one"])
        let second = try await c.insert(vector: Self.vector(2))
        #expect(UUID(uuidString: first) != nil && UUID(uuidString: second) != nil)
        #expect(first != second)
        #expect(c.metadata(of: first) == ["title": "one"])
        #expect(c.contains(second) && c.count == 2)
        await client.close()
    }

    @Test("update(id:vector:) replaces the vector, keeps the metadata (also after a reopen); an unknown id writes nothing")
    func updateKeepsMetadata() async throws {
        let folder = TemporaryDirectory()
        let (client, c) = try await Self.persistent(folder)
        try await c.upsert(id: "a", vector: Self.vector(1), metadata: ["lang": "en", "year": 2024])
        try await c.upsert(id: "b", vector: Self.vector(2))
        try await c.update(id: "a", vector: Self.vector(3))
        try await c.update(id: "b", vector: Self.vector(4))
        #expect(c.get("a") == VectorRecord(id: "a", vector: Self.vector(3), metadata: ["lang": "en", "year": 2024]))
        #expect(c.get("b") == VectorRecord(id: "b", vector: Self.vector(4)))
        #expect(c.count(where: .equals("lang", "en")) == 1)
        #expect(try await c.search(Self.vector(3), k: 1).first?.id == "a")
        let unknown = await #expect(throws: SemblanceError.self) { try await c.update(id: "z", vector: Self.vector(5)) }
        #expect(unknown?.code == .unknownID)
        #expect(!c.contains("z"))
        let wrong = await #expect(throws: SemblanceError.self) { try await c.update(id: "a", vector: [1, 2]) }
        #expect(wrong?.code == .dimensionMismatch)
        await client.close()
        let reopened = try await Client(directory: folder.path)
        let again = try await reopened.collection("c")
        #expect(again.get("a") == VectorRecord(id: "a", vector: Self.vector(3), metadata: ["lang": "en", "year": 2024]))
        #expect(again.count == 2)
        await reopened.close()
    }

    @Test("a conditional write is checked against the writes before it in its group")
    func groupViewSeesEarlierWrites() throws {
        var index = try VectorIndex(IndexConfiguration(dimension: 4, metric: .squaredEuclidean))
        _ = try index.upsert(id: "a", vector: Self.vector(1), metadata: ["v": 1])
        _ = try index.upsert(id: "d", vector: Self.vector(1))
        let view = GroupView(indexes: [index], applying: [.setMetadata(id: "a", metadata: ["v": 2]), .delete(id: "d")])
        // The update of "a" takes the metadata set earlier in the group; "d" is gone.
        let update = try view.resolve([.upsert(id: "a", vector: Self.vector(2))], .idsStoredKeepingMetadata).get()
        #expect(update == [.upsertWithMetadata(id: "a", vector: Self.vector(2), metadata: ["v": 2])])
        #expect(throws: SemblanceError.self) { try view.resolve([.upsert(id: "d", vector: Self.vector(2))], .idsStoredKeepingMetadata).get() }
        // "d" may be inserted again; "a" may not; an insert earlier in the group counts.
        #expect(try view.resolve([.upsert(id: "d", vector: Self.vector(3))], .idsAbsent).get().count == 1)
        view.apply([.upsert(id: "n", vector: Self.vector(4))])
        let exists = #expect(throws: SemblanceError.self) {
            try view.resolve([.upsert(id: "a", vector: Self.vector(3)), .upsert(id: "n", vector: Self.vector(3)), .upsert(id: "m", vector: Self.vector(3))], .idsAbsent).get()
        }
        #expect(exists?.code == .idExists && exists?.ids == ["a", "n"])
        // A metadata change of an absent id changes nothing; a removal of metadata is kept.
        view.apply([.setMetadata(id: "zz", metadata: ["x": 1]), .setMetadata(id: "n", metadata: nil)])
        #expect(try view.resolve([.upsert(id: "zz", vector: Self.vector(5))], .idsAbsent).get().count == 1)
        #expect(try view.resolve([.upsert(id: "n", vector: Self.vector(5))], .idsStoredKeepingMetadata).get() == [.upsert(id: "n", vector: Self.vector(5))])
    }

    @Test("minSimilarity: the distance bound keeps every hit whose Float similarity passes, the final cut drops the rest")
    func similarityRounding() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<20_000 {
            let s = Float.random(in: -1...1, using: &generator)
            let options = SearchOptions(minSimilarity: s)
            let limit = options.distanceLimit(metric: .cosine)!
            // Distances around the bound, a few units of rounding either way.
            var d = 1 - s
            for _ in 0..<4 { d = d.nextDown }
            for _ in 0..<8 {
                let passes = 1 - d >= s
                if passes { #expect(d <= limit, "s \(s), d \(d): a passing hit beyond the bound \(limit)") }
                #expect(options.isSimilarEnough(d, metric: .cosine) == passes)
                d = d.nextUp
            }
            #expect(options.distanceLimit(metric: .innerProduct) == -s)
            #expect(options.isSimilarEnough(-s, metric: .innerProduct) && !options.isSimilarEnough((-s).nextUp, metric: .innerProduct))
        }
        #expect(SearchOptions(maxDistance: 0.1, minSimilarity: 0.5).distanceLimit(metric: .cosine) == 0.1)
        #expect(SearchOptions().distanceLimit(metric: .cosine) == nil)
    }

    @Test("snapshot.records and records() give every live record with its metadata, once, from one snapshot")
    func iteration() async throws {
        let client = Client.inMemory()
        let c = try await client.createCollection("c", configuration: CollectionConfiguration(dimension: 4, shardCount: 4))
        let stored = (0..<250).map { VectorRecord(id: "r\($0)", vector: Self.vector($0), metadata: $0 % 3 == 0 ? ["i": Metadata($0)] : nil) }
        try await c.upsert(stored)
        _ = try await c.delete((0..<250).filter { $0 % 10 == 0 }.map { "r\($0)" })
        let expected = Dictionary(uniqueKeysWithValues: c.snapshot().records.map { ($0.id, $0) })
        #expect(expected.count == 225)
        for record in stored where record.id.dropFirst().allSatisfy(\.isNumber) {
            let i = Int(record.id.dropFirst())!
            #expect((expected[record.id] != nil) == (i % 10 != 0))
            if let found = expected[record.id] {
                #expect(found.metadata == record.metadata, "\(record.id)")
                #expect(found == c.get(record.id))
            }
        }
        #expect(c.snapshot().records.underestimatedCount == 225)
        let stream = c.records(batchSize: 7)
        try await c.upsert(id: "later", vector: Self.vector(1))
        var streamed: [String: VectorRecord] = [:]
        for await record in stream {
            #expect(streamed.updateValue(record, forKey: record.id) == nil, "\(record.id) twice")
        }
        #expect(streamed == expected, "records() is the snapshot taken when it was called")
        var all = 0
        for await _ in c.records() { all += 1 }
        #expect(all == 226)
        await client.close()
    }

    @Test("import and export take file URLs; another scheme is .invalidArgument")
    func urlPaths() async throws {
        let folder = TemporaryDirectory()
        let (client, c) = try await Self.persistent(folder)
        try await c.upsert((0..<20).map { VectorRecord(id: "v\($0)", vector: Self.vector($0), metadata: ["i": Metadata($0)]) })
        let outside = TemporaryDirectory()
        let url = URL(fileURLWithPath: outside.file("out.jsonl"))
        #expect(try await c.exportJSONLines(to: url) == 20)
        let copy = try await client.createCollection("copy", configuration: CollectionConfiguration(dimension: 4, metric: .squaredEuclidean))
        #expect(try await copy.importJSONLines(from: url) == 20)
        #expect(copy.get("v7") == c.get("v7"))
        let before = c.snapshot()
        try await c.delete("v7")
        #expect(try await c.exportJSONLines(before, to: URL(fileURLWithPath: outside.file("before.jsonl"))) == 20)
        let remote = await #expect(throws: SemblanceError.self) { try await c.exportJSONLines(to: URL(string: "https://example.com/x.jsonl")!) }
        #expect(remote?.code == .invalidArgument)
        await client.close()
    }

    @Test("verify checks a collection open in the same client, with writes in its log")
    func verifyBesideAnOpenCollection() async throws {
        let folder = TemporaryDirectory()
        let (client, c) = try await Self.persistent(folder)
        try await c.upsert((0..<50).map { VectorRecord(id: "v\($0)", vector: Self.vector($0)) })
        try await c.checkpoint()
        try await c.insert(id: "late", vector: Self.vector(99))
        let report = try await client.verify("c")
        #expect(report.isSound, "\(report.problems)")
        #expect(report.vectors == 50 && report.logRecords == 1)
        try await c.insert(id: "later", vector: Self.vector(98))
        #expect(c.count == 52)
        await client.close()
    }
}
