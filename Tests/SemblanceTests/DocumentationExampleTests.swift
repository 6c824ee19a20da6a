import Foundation
import Testing
// Not @testable: the documentation may only use the public API.
import Semblance

/// The Swift examples of the DocC catalog (Sources/Semblance/Semblance.docc), compiled and
/// run, and a check that every example there appears here line for line.
@Suite("Documentation examples")
struct DocumentationExampleTests {
    @Test("landing page: create, upsert, search")
    func landingPage() async throws {
        let folder = TemporaryDirectory()
        let directory = folder.path
        // ---- Semblance.md ----
        let client = try await Client(directory: directory)
        let docs = try await client.createCollection("docs", dimension: 3, metric: .cosine)
        try await docs.upsert(id: "apple", vector: [0.9, 0.1, 0.0])
        let hits = try await docs.search([1.0, 0.2, 0.0], k: 1)
        // ----
        #expect(hits.ids == ["apple"])
        await client.close()
    }

    @Test("Getting Started: store, search, reopen, options, settings, errors")
    func gettingStarted() async throws {
        let folder = TemporaryDirectory()
        let directory = folder.path
        // ---- GettingStarted.md: store and search ----
        let client = try await Client(directory: directory)
        let docs = try await client.createCollection("docs", dimension: 3, metric: .cosine)
        try await docs.upsert(id: "apple", vector: [0.9, 0.1, 0.0])
        try await docs.upsert([
            VectorRecord(id: "banana", vector: [0.8, 0.3, 0.1]),
            VectorRecord(id: "car", vector: [0.0, 0.2, 0.9]),
        ])
        let hits = try await docs.search([1.0, 0.2, 0.0], k: 2)
        print(hits.ids)  // ["apple", "banana"]
        try await docs.delete("apple")
        await client.close()
        // ----
        #expect(hits.ids == ["apple", "banana"])

        // ---- GettingStarted.md: reopen ----
        let reopened = try await Client(directory: directory)
        let sameDocs = try await reopened.collection("docs")
        print(sameDocs.count)  // 2
        await reopened.close()
        // ----
        #expect(sameDocs.count == 2)
        #expect(sameDocs.get("apple") == nil && sameDocs.get("banana") != nil)
    }

    @Test("Getting Started: search options, batch search, settings, errors")
    func searchOptions() async throws {
        let client = Client.inMemory()
        let docs = try await client.createCollection("docs", dimension: 3, metric: .cosine)
        try await docs.upsert([
            VectorRecord(id: "banana", vector: [0.8, 0.3, 0.1]),
            VectorRecord(id: "car", vector: [0.0, 0.2, 0.9]),
            VectorRecord(id: "apple", vector: [0.9, 0.1, 0.0]),
        ])
        let query: [Float] = [1.0, 0.2, 0.0]
        let otherQuery: [Float] = [0.0, 0.1, 1.0]
        // ---- GettingStarted.md: search options ----
        let results = try await docs.search(
            query, k: 10,
            ef: 128,                                   // a wider beam: slower, more accurate
            ids: ["banana", "car"],                    // only among these ids
            maxDistance: 0.5,                          // nothing farther than this
            deadline: .now + .milliseconds(20),        // best found so far after 20 ms
            includeVectors: true)
        if results.isPartial { print("cut short by the deadline") }

        // Many queries at once, on every core:
        let answers = try await docs.search([query, otherQuery], k: 10)
        print(answers.count)  // 2
        // ----
        #expect(results.ids == ["banana"], "apple is not among the ids; car is too far")
        #expect(results.first?.vector?.count == 3)
        #expect(answers.count == 2 && answers[1].first?.id == "car")

        // ---- GettingStarted.md: settings ----
        var settings = CollectionConfiguration(dimension: 384, metric: .cosine)
        settings.shardCount = 4                          // writes and compaction in parallel
        settings.durability = .periodic(seconds: 0.05)   // fsync at most every 50 ms
        settings.compactionThreshold = 0.3               // compact past 30 % deleted
        let embeddings = try await client.getOrCreateCollection("embeddings", configuration: settings)
        // ----
        #expect(embeddings.configuration.shardCount == 4)

        // ---- GettingStarted.md: errors ----
        do {
            _ = try await client.createCollection("../escape", dimension: 3)
        } catch let error as SemblanceError where error.code == .invalidName {
            print(error.message)  // collection name "../escape" starts with a dot
        }
        // ----
        await #expect(throws: SemblanceError.self) { try await client.createCollection("../escape", dimension: 3) }
        do {
            _ = try await client.createCollection("../escape", dimension: 3)
        } catch {
            #expect(error.message == #"collection name "../escape" starts with a dot"#)
        }
    }

    @Test("Concurrency: a search during a batch upsert; snapshots are values")
    func concurrency() async throws {
        let client = Client.inMemory()
        let docs = try await client.createCollection("docs", dimension: 3, metric: .cosine)
        try await docs.upsert([
            VectorRecord(id: "banana", vector: [0.8, 0.3, 0.1]),
            VectorRecord(id: "apple", vector: [0.9, 0.1, 0.0]),
        ])
        let query: [Float] = [1.0, 0.2, 0.0]
        let records = (0..<2000).map { VectorRecord(id: "r\($0)", vector: [Float($0 % 7) + 1, Float($0 % 5), 1]) }
        // ---- Concurrency.md: search during a write ----
        // Runs while a long batch upsert is in progress, on the snapshot published before it.
        async let bulk: Void = docs.upsert(records)
        let hits = try await docs.search(query, k: 10)
        try await bulk
        // ----
        #expect(!hits.isEmpty)
        #expect(docs.count == 2002)

        // ---- Concurrency.md: snapshots ----
        let before = docs.snapshot()        // O(1); later writes do not change it
        try await docs.delete("banana")
        print(before.contains("banana"))    // true
        var fork = before                   // O(1) fork: changes stay in `fork`
        try fork.upsert(id: "kiwi", vector: [0.5, 0.5, 0.1])
        print(before.contains("kiwi"))      // false
        // ----
        #expect(before.contains("banana") && !docs.contains("banana"))
        #expect(fork.contains("kiwi") && !before.contains("kiwi") && !docs.contains("kiwi"))
    }

    @Test("Durability: settings and an on-demand checkpoint")
    func durability() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        // ---- Durability.md: settings ----
        var settings = CollectionConfiguration(dimension: 384)
        settings.durability = .periodic(seconds: 0.1)
        settings.checkpointPolicy = CheckpointPolicy(maxLogBytes: 16 << 20, maxOperations: 50_000, maxAgeSeconds: 60)
        // ----
        let docs = try await client.createCollection("docs", configuration: settings)
        try await docs.upsert(id: "one", vector: (0..<384).map { Float($0 % 11) + 1 })
        // ---- Durability.md: checkpoint ----
        try await docs.checkpoint()
        print(docs.statistics().headCommit ?? "no commit yet")
        // ----
        #expect(docs.statistics().headCommit?.count == 64)
        await client.close()
        let reopened = try await Client(directory: folder.path)
        let again = try await reopened.collection("docs")
        #expect(again.configuration.durability == .periodic(seconds: 0.1))
        #expect(again.configuration.checkpointPolicy.maxOperations == 50_000)
        #expect(again.count == 1)
        await reopened.close()
    }

    @Test("every swift code block of the DocC catalog appears, line for line, in this file")
    func catalogMatchesThisFile() throws {
        let thisFile = URL(fileURLWithPath: #filePath)
        let root = thisFile.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let catalog = root.appendingPathComponent("Sources/Semblance/Semblance.docc")
        let tests = ReadmeExampleTests.normalisedLines(try String(contentsOf: thisFile, encoding: .utf8))
        let articles = try FileManager.default.contentsOfDirectory(atPath: catalog.path).filter { $0.hasSuffix(".md") }
        #expect(articles.count >= 5, "landing page, Getting Started, Concurrency, Durability, Command Line")
        var blocks = 0
        for article in articles {
            let text = try String(contentsOf: catalog.appendingPathComponent(article), encoding: .utf8)
            for block in ReadmeExampleTests.swiftBlocks(in: text) {
                blocks += 1
                let contained = ReadmeExampleTests.contains(tests, ReadmeExampleTests.normalisedLines(block))
                #expect(contained, "\(article)'s swift block is not in DocumentationExampleTests.swift:\n\(block)")
            }
        }
        #expect(blocks >= 8)
    }
}
