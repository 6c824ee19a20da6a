import Foundation
import Testing
// Not @testable: the documentation may only use the public API.
import Semblance

/// The Swift examples of the DocC catalog (Sources/Semblance/Semblance.docc), compiled and
/// run, and a check that every example there appears here line for line. Each example is a
/// small function of its own (one large async test function made the optimizer crawl).
@Suite("Documentation examples")
struct DocumentationExampleTests {
    // MARK: Semblance.md

    static func landingPage(directory: String) async throws -> [String] {
        let client = try await Client(directory: directory)
        let docs = try await client.createCollection("docs", dimension: 3, metric: .cosine)
        try await docs.upsert(id: "apple", vector: [0.9, 0.1, 0.0])
        let hits = try await docs.search([1.0, 0.2, 0.0], k: 1)
        await client.close()
        return hits.ids
    }

    @Test("landing page: create, upsert, search")
    func landing() async throws {
        let folder = TemporaryDirectory()
        let ids = try await Self.landingPage(directory: folder.path)
        #expect(ids == ["apple"])
    }

    // MARK: GettingStarted.md

    static func storeAndSearch(directory: String) async throws -> [String] {
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
        return hits.ids
    }

    static func reopen(directory: String) async throws -> (count: Int, hasApple: Bool) {
        let reopened = try await Client(directory: directory)
        let sameDocs = try await reopened.collection("docs")
        print(sameDocs.count)  // 2
        await reopened.close()
        return (sameDocs.count, sameDocs.contains("apple"))
    }

    @Test("Getting Started: store and search, then reopen")
    func gettingStarted() async throws {
        let folder = TemporaryDirectory()
        let ids = try await Self.storeAndSearch(directory: folder.path)
        #expect(ids == ["apple", "banana"])
        let (count, hasApple) = try await Self.reopen(directory: folder.path)
        #expect(count == 2)
        #expect(!hasApple)
    }

    static func fruit() async throws -> VectorCollection {
        let docs = try await Client.inMemory().createCollection("docs", dimension: 3, metric: .cosine)
        try await docs.upsert([
            VectorRecord(id: "banana", vector: [0.8, 0.3, 0.1]),
            VectorRecord(id: "car", vector: [0.0, 0.2, 0.9]),
            VectorRecord(id: "apple", vector: [0.9, 0.1, 0.0]),
        ])
        return docs
    }

    static func searchOptions(_ docs: VectorCollection, query: [Float], otherQuery: [Float]) async throws -> (SearchResults, [SearchResults]) {
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
        return (results, answers)
    }

    static func searchOptionsValue(_ docs: VectorCollection, query: [Float]) async throws -> SearchResults {
        var options = SearchOptions(k: 2, maxDistance: 0.5)
        options.ef = 128
        let same = try await docs.search(query, options: options)
        return same
    }

    @Test("Getting Started: SearchOptions gives what the labelled search gives")
    func optionsValue() async throws {
        let docs = try await Self.fruit()
        let same = try await Self.searchOptionsValue(docs, query: [1.0, 0.2, 0.0])
        let labelled = try await docs.search([1.0, 0.2, 0.0], k: 2, ef: 128, maxDistance: 0.5)
        #expect(same.ids == labelled.ids && !same.ids.isEmpty)
        #expect(try docs.snapshot().search([1.0, 0.2, 0.0], options: SearchOptions(k: 2, ef: 128, maxDistance: 0.5)).ids == labelled.ids)
    }

    @Test("Getting Started: search options and batch search")
    func options() async throws {
        let docs = try await Self.fruit()
        let (results, answers) = try await Self.searchOptions(docs, query: [1.0, 0.2, 0.0], otherQuery: [0.0, 0.1, 1.0])
        #expect(results.ids == ["banana"], "apple is not among the ids; car is too far")
        #expect(results.first?.vector?.count == 3)
        #expect(answers.count == 2)
        #expect(answers[1].first?.id == "car")
    }

    static func settings(_ client: Client) async throws -> VectorCollection {
        var settings = CollectionConfiguration(dimension: 384, metric: .cosine)
        settings.shardCount = 4                          // writes and compaction in parallel
        settings.durability = .periodic(seconds: 0.05)   // fsync at most every 50 ms
        settings.compactionThreshold = 0.3               // compact past 30 % deleted
        let embeddings = try await client.getOrCreateCollection("embeddings", configuration: settings)
        return embeddings
    }

    @Test("Getting Started: settings")
    func settingsExample() async throws {
        let embeddings = try await Self.settings(Client.inMemory())
        #expect(embeddings.configuration.shardCount == 4)
        #expect(embeddings.configuration.compactionThreshold == 0.3)
    }

    static func records(_ docs: VectorCollection) async throws -> String {
        try await docs.insert(id: "kiwi", vector: [0.5, 0.5, 0.1], metadata: ["colour": "green"])
        let newID = try await docs.insert(vector: [0.4, 0.6, 0.1])  // a generated UUID string
        try await docs.update(id: "kiwi", vector: [0.5, 0.4, 0.1])  // kiwi keeps its metadata
        for await record in docs.records() {
            print(record.id, record.metadata ?? "no metadata")
        }
        return newID
    }

    @Test("Getting Started: insert, generated ids, update, records()")
    func recordsExample() async throws {
        let docs = try await Self.fruit()
        let newID = try await Self.records(docs)
        #expect(UUID(uuidString: newID) != nil && docs.contains(newID))
        #expect(docs.get("kiwi")?.metadata == ["colour": "green"])
        let kiwi = try #require(docs.get("kiwi")?.vector)
        #expect(abs(kiwi[1] / kiwi[0] - 0.8) < 1e-5, "kiwi has its updated vector")
        await #expect(throws: SemblanceError.self) { try await docs.insert(id: "kiwi", vector: [1, 0, 0]) }
        var streamed = 0
        for await _ in docs.records() { streamed += 1 }
        #expect(streamed == docs.count && streamed == docs.snapshot().records.underestimatedCount)
    }

    static func closing(_ client: Client, _ docs: VectorCollection) async throws -> VectorCollection {
        await client.close(docs)
        print(docs.isClosed, docs.count)  // true, and the count when it closed
        do {
            try await docs.upsert(id: "late", vector: [0.1, 0.2, 0.3])
        } catch {
            print(error.code == .closed)  // true
        }
        let live = try await client.collection("docs")
        return live
    }

    @Test("Getting Started: a closed handle reads its last state, refuses writes; the client gives a live one")
    func closingExample() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let docs = try await client.createCollection("docs", dimension: 3)
        try await docs.upsert(id: "apple", vector: [0.9, 0.1, 0.0])
        let live = try await Self.closing(client, docs)
        #expect(docs.isClosed && docs.count == 1 && docs.contains("apple"))
        #expect(try await docs.search([1, 0.2, 0], k: 1).ids == ["apple"])
        await #expect(throws: SemblanceError.self) { try await docs.upsert(id: "late", vector: [0.1, 0.2, 0.3]) }
        #expect(!live.isClosed && live.count == 1 && !live.contains("late"))
        try await live.upsert(id: "late", vector: [0.1, 0.2, 0.3])
        #expect(live.count == 2)
        await client.close()
    }

    static func vector(from data: Data) -> [Float] { data.map { Float($0) } }

    static func mixedErrors(_ docs: VectorCollection, file: URL) async {
        do {
            let data = try Data(contentsOf: file)
            try await docs.upsert(id: "from-file", vector: vector(from: data))
        } catch SemblanceError.Code.dimensionMismatch {
            print("the file holds a vector of another length")
        } catch let error as SemblanceError {
            print(error.message)
        } catch {
            print("could not read the file: \(error)")
        }
    }

    @Test("Getting Started: a do mixing Foundation's calls with ours")
    func mixedErrorsExample() async throws {
        let folder = TemporaryDirectory()
        let docs = try await Client.inMemory().createCollection("docs", dimension: 3)
        let file = URL(fileURLWithPath: folder.file("vector"))
        await Self.mixedErrors(docs, file: file)  // no file: the last catch
        try Data([1, 2]).write(to: file)
        await Self.mixedErrors(docs, file: file)  // two components: dimensionMismatch
        #expect(!docs.contains("from-file"))
        try Data([1, 2, 3]).write(to: file)
        await Self.mixedErrors(docs, file: file)
        #expect(docs.get("from-file") != nil)
    }

    static func errors(_ client: Client) async throws {
        do {
            _ = try await client.createCollection("../escape", dimension: 3)
        } catch where error.code == .invalidName {
            print(error.message)  // collection name "../escape" starts with a dot
        }
    }

    @Test("Getting Started: errors")
    func errorExample() async throws {
        let client = Client.inMemory()
        try await Self.errors(client)
        let message = await Self.createMessage(client, "../escape")
        #expect(message == #"collection name "../escape" starts with a dot"#)
    }

    static func createMessage(_ client: Client, _ name: String) async -> String? {
        do {
            _ = try await client.createCollection(name, dimension: 3)
            return nil
        } catch {
            return error.message
        }
    }

    // MARK: Concurrency.md

    static func searchDuringWrite(_ docs: VectorCollection, query: [Float], records: [VectorRecord]) async throws -> SearchResults {
        // Runs while a long batch upsert is in progress, on the snapshot published before it.
        let bulk = Task { try await docs.upsert(records) }
        let hits = try await docs.search(query, k: 10)
        try await bulk.value
        return hits
    }

    @Test("Concurrency: a search during a batch upsert")
    func searchDuringWrite() async throws {
        let docs = try await Self.fruit()
        let records = (0..<2000).map { VectorRecord(id: "r\($0)", vector: [Float($0 % 7) + 1, Float($0 % 5), 1]) }
        let hits = try await Self.searchDuringWrite(docs, query: [1.0, 0.2, 0.0], records: records)
        #expect(!hits.isEmpty)
        #expect(docs.count == 2003)
    }

    static func snapshots(_ docs: VectorCollection) async throws -> (before: CollectionSnapshot, fork: CollectionSnapshot) {
        let before = docs.snapshot()        // O(1); later writes do not change it
        try await docs.delete("banana")
        print(before.contains("banana"))    // true
        var fork = before                   // O(1) fork: changes stay in `fork`
        try fork.upsert(id: "kiwi", vector: [0.5, 0.5, 0.1])
        print(before.contains("kiwi"))      // false
        return (before, fork)
    }

    @Test("Concurrency: snapshots are values")
    func snapshotValues() async throws {
        let docs = try await Self.fruit()
        let (before, fork) = try await Self.snapshots(docs)
        #expect(before.contains("banana"))
        #expect(!docs.contains("banana"))
        #expect(fork.contains("kiwi"))
        #expect(!before.contains("kiwi"))
        #expect(!docs.contains("kiwi"))
    }

    // MARK: DurabilityAndRecovery.md

    static func durabilitySettings() -> CollectionConfiguration {
        var settings = CollectionConfiguration(dimension: 384)
        settings.durability = .periodic(seconds: 0.1)
        settings.checkpointPolicy = CheckpointPolicy(maxLogBytes: 16 << 20, maxOperations: 50_000, maxAgeSeconds: 60)
        return settings
    }

    static func checkpoint(_ docs: VectorCollection) async throws {
        try await docs.checkpoint()
        print(docs.statistics().headCommit ?? "no commit yet")
    }

    static func catchByCode(_ docs: VectorCollection, embedding: [Float]) async {
        do {
            try await docs.upsert(id: "doc-1", vector: embedding)
        } catch SemblanceError.Code.storageUnavailable {
            // reopen the collection (a new Client) to continue
        } catch {
            print(error.message, error.path ?? "", error.errno ?? 0)
        }
    }

    @Test("Durability: errors caught by their code")
    func errorsByCode() async throws {
        let docs = try await Client.inMemory().createCollection("docs", dimension: 3, metric: .cosine)
        await Self.catchByCode(docs, embedding: [1, 2])  // the wrong dimension: the general catch
        #expect(docs.count == 0)
        await Self.catchByCode(docs, embedding: [1, 2, 3])
        #expect(docs.count == 1)
    }

    @Test("Durability: settings survive a reopen; an on-demand checkpoint makes a commit")
    func durability() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let docs = try await client.createCollection("docs", configuration: Self.durabilitySettings())
        try await docs.upsert(id: "one", vector: (0..<384).map { Float($0 % 11) + 1 })
        try await Self.checkpoint(docs)
        let head = docs.statistics().headCommit
        #expect(head?.count == 64)
        await client.close()
        let reopened = try await Client(directory: folder.path)
        let again = try await reopened.collection("docs")
        let configuration = again.configuration
        #expect(configuration.durability == .periodic(seconds: 0.1))
        #expect(configuration.checkpointPolicy.maxOperations == 50_000)
        #expect(again.count == 1)
        await reopened.close()
    }

    // MARK: MetadataAndFilters.md

    static func writeMetadata(_ docs: VectorCollection) async throws {
        try await docs.upsert(id: "nio", vector: [0.9, 0.1, 0.0], metadata: ["lang": "swift", "year": 2018, "tags": ["network"]])
        try await docs.upsert(id: "tokio", vector: [0.8, 0.3, 0.1], metadata: ["lang": "rust", "year": 2016])
        try await docs.upsert(id: "vapor", vector: [0.7, 0.2, 0.3], metadata: ["lang": "swift", "year": 2016])
        try await docs.setMetadata(["lang": "swift", "year": 2019, "tags": ["network"]], for: "nio")
        print(docs.get("nio")?.metadata?["year"] ?? "none")  // 2019
    }

    /// Returns what the example read back.
    static func swiftValues(_ docs: VectorCollection) async throws -> (since: Int, firstTag: String, packageTags: [String]?) {
        struct Package: Codable { var lang: String; var year: Int; var tags: [String] }
        let year = 2020, tags = ["web", "server"], maintained = true
        try await docs.upsert(id: "hummingbird", vector: [0.6, 0.3, 0.2],
                              metadata: ["lang": "swift", "year": Metadata(year), "tags": Metadata(tags),
                                         "maintained": Metadata(maintained), "summary": "since \(year)"])
        let stored = docs.get("hummingbird")?.metadata
        let since = stored?["year"]?.intValue ?? 0                // 2020
        let firstTag = stored?["tags"]?[0]?.stringValue ?? ""     // "web"
        let package = try stored?.decode(Package.self)            // Package(lang: "swift", year: 2020, ...)
        try await docs.setMetadata(Metadata(encoding: Package(lang: "swift", year: 2021, tags: [])), for: "hummingbird")
        print(docs.get("hummingbird")?.metadata ?? "none")  // {"lang":"swift","tags":[],"year":2021}
        return (since, firstTag, package?.tags)
    }

    static func filteredSearch(_ docs: VectorCollection) async throws -> (ids: [String], count: Int, metadata: Metadata?) {
        let swiftOnly: Filter = .equals("lang", "swift") && .greaterOrEqual("year", 2017)
        let hits = try await docs.search([1.0, 0.2, 0.0], k: 10, filter: swiftOnly, includeMetadata: true)
        print(hits.ids)  // ["nio"]
        print(docs.count(where: .equals("lang", "swift")))  // 2
        return (hits.ids, docs.count(where: .equals("lang", "swift")), hits.first?.metadata)
    }

    static func jsonFilter(_ docs: VectorCollection) throws -> [String] {
        let fromJSON = try Filter(json: #"{"lang": {"$in": ["swift", "rust"]}, "year": {"$lt": 2017}}"#)
        print(docs.ids(where: fromJSON).sorted())  // ["tokio", "vapor"]
        return docs.ids(where: fromJSON).sorted()
    }

    static func exchange(_ docs: VectorCollection, client: Client, backups: String) async throws -> VectorCollection {
        try await docs.exportJSONLines(to: backups + "/docs.jsonl")
        let copy = try await client.createCollection("copy", dimension: 3, metric: .cosine)
        try await copy.importJSONLines(from: backups + "/docs.jsonl")
        print(copy.count)  // 3
        return copy
    }

    @Test("Metadata and Filters: metadata, filtered search, JSON filters, export and import")
    func metadataAndFilters() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let docs = try await client.createCollection("docs", dimension: 3, metric: .cosine)
        try await Self.writeMetadata(docs)
        #expect(docs.get("nio")?.metadata?["year"] == 2019)
        let values = try await Self.swiftValues(docs)
        #expect(values.since == 2020 && values.firstTag == "web" && values.packageTags == ["web", "server"])
        #expect(docs.get("hummingbird")?.metadata?.description == #"{"lang":"swift","tags":[],"year":2021}"#)
        try await docs.delete("hummingbird")
        let searched = try await Self.filteredSearch(docs)
        #expect(searched.ids == ["nio"])
        #expect(searched.count == 2)
        #expect(searched.metadata == ["lang": "swift", "year": 2019, "tags": ["network"]])
        #expect(try Self.jsonFilter(docs) == ["tokio", "vapor"])
        let backups = TemporaryDirectory()  // outside the client's directory, where an export is refused
        let copy = try await Self.exchange(docs, client: client, backups: backups.path)
        #expect(copy.get("tokio") == docs.get("tokio"))
        await client.close()
    }

    // MARK: Versioning.md

    /// `docs` in `client` with apple, banana and car (not committed yet).
    static func fruit(in client: Client) async throws -> VectorCollection {
        let docs = try await client.createCollection("docs", dimension: 3, metric: .cosine)
        try await docs.upsert([
            VectorRecord(id: "apple", vector: [0.9, 0.1, 0.0]),
            VectorRecord(id: "banana", vector: [0.8, 0.3, 0.1]),
            VectorRecord(id: "car", vector: [0.0, 0.2, 0.9]),
        ])
        return docs
    }

    /// The same records as a "new model" embeds them.
    static let reembedded = [
        VectorRecord(id: "apple", vector: [0.2, 0.9, 0.1]),
        VectorRecord(id: "banana", vector: [0.9, 0.2, 0.1]),
        VectorRecord(id: "car", vector: [0.1, 0.1, 0.9]),
    ]

    static func tryNewModel(
        _ client: Client, _ docs: VectorCollection, reembedded: [VectorRecord], query: [Float], newQuery: [Float]
    ) async throws -> (current: SearchResults, candidate: SearchResults) {
        try await docs.createBranch("new-model")
        let trial = try await client.collection("docs", branch: "new-model")
        try await trial.upsert(reembedded)
        let current = try await docs.search(query, k: 2)
        let candidate = try await trial.search(newQuery, k: 2)
        print(current.ids, candidate.ids)  // ["apple", "banana"] ["banana", "apple"]
        return (current, candidate)
    }

    static func adoptNewModel(_ docs: VectorCollection) async throws {
        try await docs.merge("new-model")  // main had no writes since the branch: a fast-forward
    }

    static func discardNewModel(_ client: Client, _ docs: VectorCollection, trial: VectorCollection) async throws {
        await client.close(trial)  // the branch is open here: close it first
        try docs.deleteBranch("new-model")
    }

    @Test("Versioning: an A/B test of embeddings on a branch, merged")
    func newModelMerged() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let docs = try await Self.fruit(in: client)
        let (current, candidate) = try await Self.tryNewModel(client, docs, reembedded: Self.reembedded,
                                                              query: [1.0, 0.2, 0.0], newQuery: [1.0, 0.3, 0.0])
        #expect(current.ids == ["apple", "banana"])
        #expect(candidate.ids == ["banana", "apple"])
        let trial = try await client.collection("docs", branch: "new-model")
        #expect(docs.get("banana")?.vector != trial.get("banana")?.vector, "main keeps the old vectors")
        try await Self.adoptNewModel(docs)
        #expect(try docs.commit(id: "new-model").id == docs.statistics().headCommit, "a fast-forward")
        #expect(docs.get("banana")?.vector == trial.get("banana")?.vector)
        #expect(try await docs.search([1.0, 0.3, 0.0], k: 2).ids == ["banana", "apple"])
        await client.close()
    }

    @Test("Versioning: an A/B test of embeddings on a branch, discarded")
    func newModelDiscarded() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let docs = try await Self.fruit(in: client)
        _ = try await Self.tryNewModel(client, docs, reembedded: Self.reembedded, query: [1.0, 0.2, 0.0], newQuery: [1.0, 0.3, 0.0])
        let old = docs.get("banana")
        #expect(throws: SemblanceError.self, "a branch open in this process cannot be deleted") {
            try docs.deleteBranch("new-model")
        }
        try await Self.discardNewModel(client, docs, trial: try await client.collection("docs", branch: "new-model"))
        await client.close()
        let reopened = try await Client(directory: folder.path)
        let again = try await reopened.collection("docs")
        #expect(try again.branches().map(\.name) == ["main"])
        #expect(again.get("banana") == old)
        await #expect(throws: SemblanceError.self) { _ = try await reopened.collection("docs", branch: "new-model") }
        await reopened.close()
    }

    static func tagAndCommit(_ docs: VectorCollection) async throws {
        try await docs.commit(message: "first import")
        try await docs.createTag("v1")
        try await docs.delete("apple")
        try await docs.upsert(id: "kiwi", vector: [0.5, 0.5, 0.1])
        try await docs.commit(message: "apple out, kiwi in")
    }

    static func readThePast(_ docs: VectorCollection) async throws -> (v1: CollectionSnapshot, history: [Commit]) {
        let v1 = try await docs.snapshot(at: "v1")
        print(v1.contains("apple"), docs.contains("apple"))  // true false
        print(try v1.search([1.0, 0.2, 0.0], k: 1).ids)  // ["apple"]
        let history = try await docs.history(limit: 10)
        for commit in history {
            print(commit.id.prefix(12), commit.date, commit.message)
        }
        return (v1, history)
    }

    static func dayAgo(_ docs: VectorCollection) async throws -> CollectionSnapshot? {
        // The collection as it was a day ago; nil when main has no commit that old.
        func yesterday(_ docs: VectorCollection) async throws -> CollectionSnapshot? {
            do {
                return try await docs.snapshot(asOf: Date().addingTimeInterval(-86_400))
            } catch where error.code == .unknownRef {
                return nil  // main's history starts later, or retention pruned it
            }
        }
        return try await yesterday(docs)
    }

    static func backToV1(_ docs: VectorCollection) async throws {
        try await docs.reset(to: "v1")
        print(docs.contains("apple"), docs.count)  // true 3
    }

    @Test("Versioning: a tag, the snapshot at it, history, a day ago, and a reset")
    func timeTravel() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let docs = try await Self.fruit(in: client)
        try await Self.tagAndCommit(docs)
        let (v1, history) = try await Self.readThePast(docs)
        #expect(v1.contains("apple") && !v1.contains("kiwi") && v1.count == 3, "the tag holds the old records")
        #expect(!docs.contains("apple") && docs.contains("kiwi"))
        #expect(try v1.search([1.0, 0.2, 0.0], k: 1).ids == ["apple"])
        #expect(history.map(\.message) == ["apple out, kiwi in", "first import"])
        #expect(history.allSatisfy { !$0.isAutomatic && $0.branch == "main" })
        #expect(history[0].parents == [history[1].id] && history[1].parents.isEmpty)
        #expect(try docs.commit(id: "v1").id == history[1].id)
        #expect(try docs.commit(id: String(history[1].id.prefix(8))).id == history[1].id, "an 8-digit prefix")
        #expect(try await Self.dayAgo(docs)?.count == nil, "the collection is younger than a day")
        #expect(try await docs.snapshot(asOf: history[0].date).contains("kiwi"))
        try await Self.backToV1(docs)
        #expect(docs.contains("apple") && !docs.contains("kiwi") && docs.count == 3)
        #expect(docs.statistics().headCommit == history[1].id)
        await client.close()
    }

    static func startReview(_ client: Client, _ docs: VectorCollection) async throws {
        try await docs.createBranch("review")
        let review = try await client.collection("docs", branch: "review")
        try await review.upsert(id: "kiwi", vector: [0.5, 0.5, 0.1])
        try await review.setMetadata(["checked": true], for: "banana")
        try await review.upsert(id: "car", vector: [0.1, 0.2, 0.9])
        try await review.commit(message: "kiwi added, banana checked, car re-embedded")
        try await docs.upsert(id: "car", vector: [0.0, 0.3, 0.8])
        try await docs.commit(message: "car re-embedded")
    }

    static func reviewChanges(_ docs: VectorCollection) async throws -> CollectionDiff {
        let changes = try await docs.diff(from: "main", to: "review")
        print(changes.added, changes.vectorChanged, changes.metadataChanged)  // ["kiwi"] ["car"] ["banana"]
        return changes
    }

    static func mergeReviewed(_ docs: VectorCollection) async throws -> [String] {
        // Merges the branch review into main; returns the ids both sides changed.
        func mergeReview(into docs: VectorCollection) async throws -> [String] {
            do {
                try await docs.merge("review", strategy: .failOnConflict)
                return []
            } catch where error.code == .mergeConflict {
                // Nothing was written. Look at error.ids, then choose.
                try await docs.merge("review", strategy: .theirs)
                return error.ids  // ["car"]
            }
        }
        return try await mergeReview(into: docs)
    }

    @Test("Versioning: diff a reviewed branch, a merge conflict with its ids, then theirs")
    func reviewAndMerge() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let docs = try await Self.fruit(in: client)
        try await Self.startReview(client, docs)
        let changes = try await Self.reviewChanges(docs)
        #expect(changes.added == ["kiwi"] && changes.removed.isEmpty)
        #expect(changes.vectorChanged == ["car"] && changes.metadataChanged == ["banana"])
        let ours = try docs.commit(id: "main").id
        let theirs = try docs.commit(id: "review").id
        await #expect(throws: SemblanceError.self) { try await docs.merge("review") }
        #expect(try docs.commit(id: "main").id == ours, "a conflict writes nothing")
        let conflicts = try await Self.mergeReviewed(docs)
        #expect(conflicts == ["car"])
        let review = try await client.collection("docs", branch: "review")
        #expect(docs.count == 4 && docs.contains("kiwi"))
        #expect(docs.metadata(of: "banana") == ["checked": true])
        #expect(docs.get("car")?.vector == review.get("car")?.vector, "theirs won the conflict")
        let merge = try docs.commit(id: "main")
        #expect(merge.parents == [ours, theirs] && !merge.isAutomatic)
        #expect(try await docs.diff(from: "main", to: "review").isEmpty)
        await client.close()
    }

    static func retentionSettings(_ client: Client) async throws -> VectorCollection {
        var settings = CollectionConfiguration(dimension: 3, metric: .cosine)
        settings.retention = RetentionPolicy(keepLast: 2)  // each branch's last 2 user commits
        let docs = try await client.createCollection("docs", configuration: settings)
        return docs
    }

    static func fourCommits(_ docs: VectorCollection) async throws {
        try await docs.upsert(id: "apple", vector: [0.9, 0.1, 0.0])
        try await docs.commit(message: "one")
        try await docs.createTag("v1")
        try await docs.upsert(id: "banana", vector: [0.8, 0.3, 0.1])
        try await docs.commit(message: "two")
        try await docs.upsert(id: "car", vector: [0.0, 0.2, 0.9])
        try await docs.commit(message: "three")
        try await docs.delete("apple")
        try await docs.commit(message: "four")
    }

    static func collect(_ docs: VectorCollection) async throws -> GarbageReport {
        let report = try await docs.collectGarbage(grace: 0)
        print(report.keptCommits, report.prunedCommits)  // 3 1
        print(try await docs.history().map(\.message))  // ["four", "three", "one"]
        return report
    }

    static func maintenance(_ client: Client) -> MaintenanceService {
        let maintenance = MaintenanceService(client: client, garbageInterval: .seconds(3600), garbageGrace: 600)
        return maintenance
    }

    @Test("Versioning: retention keeps the last user commits and the tags; garbage collection prunes the rest")
    func retentionAndGarbage() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let docs = try await Self.retentionSettings(client)
        #expect(docs.configuration.retention == RetentionPolicy(keepLast: 2))
        try await Self.fourCommits(docs)
        let before = try await docs.history()
        #expect(before.map(\.message) == ["four", "three", "two", "one"])
        let report = try await Self.collect(docs)
        #expect(report.keptCommits == 3 && report.prunedCommits == 1)
        #expect(report.deletedObjects >= 1 && report.freedBytes > 0 && report.pendingObjects == 0)
        let after = try await docs.history()
        #expect(after.map(\.message) == ["four", "three", "one"])
        #expect(after[1].parents == [after[2].id], "three's parent is now one")
        #expect(throws: SemblanceError.self, "two is deleted") { try docs.commit(id: before[2].id) }
        #expect(try await docs.snapshot(at: "v1").contains("apple"))
        // A second run finds nothing more.
        let again = try await docs.collectGarbage(grace: 0)
        #expect(again.deletedObjects == 0 && again.prunedCommits == 0)
        #expect(Self.maintenance(client).garbageInterval == .seconds(3600))
        await client.close()
        let reopened = try await Client(directory: folder.path)
        #expect(try await reopened.collection("docs").configuration.retention == RetentionPolicy(keepLast: 2))
        await reopened.close()
    }

    @Test("Versioning: an in-memory collection has no commits")
    func inMemoryHasNoCommits() async throws {
        let client = Client.inMemory()
        let docs = try await Self.fruit(in: client)
        #expect(try await docs.checkpoint() == nil)
        await #expect(throws: SemblanceError.self) { try await docs.commit(message: "x") }
        await #expect(throws: SemblanceError.self) { try await docs.createBranch("b") }
        await #expect(throws: SemblanceError.self) { try await docs.snapshot(at: "main") }
        await #expect(throws: SemblanceError.self) { try await client.collection("docs", branch: "b") }
        #expect(try await docs.history().isEmpty)
        #expect(try docs.tags().isEmpty)
        #expect(try docs.branches().map(\.name) == ["main"])
        #expect(try await docs.collectGarbage() == GarbageReport())
    }

    // MARK: ScalingOut.md

    static func readBesideWriter(directory: String, query: [Float]) async throws -> (ids: [String], moved: Bool, count: Int) {
        let reader = try await Client(directory: directory, access: .readOnly)
        let docs = try await reader.collection("docs")
        let hits = try await docs.search(query, k: 10)
        let moved = try await docs.refresh()
        let count = docs.count
        await reader.close()
        return (hits.ids, moved, count)
    }

    static func follow(directory: String) async throws -> Duration? {
        let follower = try await Client(directory: directory, access: .following(every: 0.5))
        let live = try await follower.collection("docs")
        if let lag = live.staleness {
            print("at most \(lag) behind the writer")
        }
        await follower.close()
        return live.staleness
    }

    @Test("Scaling Out: a reader beside a writer, refreshed and following")
    func scalingOut() async throws {
        let folder = TemporaryDirectory()
        let writer = try await Client(directory: folder.path)
        let docs = try await writer.createCollection("docs", dimension: 3, metric: .cosine)
        try await docs.upsert(id: "apple", vector: [0.9, 0.1, 0.0])
        let (ids, moved, count) = try await Self.readBesideWriter(directory: folder.path, query: [1.0, 0.2, 0.0])
        #expect(ids == ["apple"])
        #expect(!moved && count == 1)
        let lag = try await Self.follow(directory: folder.path)
        #expect(lag != nil)
        let reader = try await Client(directory: folder.path, access: .readOnly)
        let refused = await #expect(throws: SemblanceError.self) {
            try await reader.collection("docs").upsert(id: "pear", vector: [0.1, 0.9, 0.0])
        }
        #expect(refused?.code == .readOnly)
        await reader.close()

        // Readers that may pause for minutes: a longer lease keeps their commits that long.
        let access = ClientAccess.following(every: 1).leaseDuration(300)
        let leased = try await Client(directory: folder.path, access: access)
        #expect(leased.access.leaseDuration == 300 && leased.access.refreshInterval == 1)
        #expect(try await leased.collection("docs").count == 1)
        #expect(try await docs.collectGarbage(grace: 0).readerLeases == 1)
        await leased.close()
        await writer.close()
    }

    // MARK: The catalog and this file

    @Test("every swift code block of the DocC catalog appears, line for line, in this file")
    func catalogMatchesThisFile() throws {
        let thisFile = URL(fileURLWithPath: #filePath)
        let root = thisFile.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let catalog = root.appendingPathComponent("Sources/Semblance/Semblance.docc")
        // The examples that need object storage run with the S3 tests, against their server.
        let s3Examples = root.appendingPathComponent("Tests/SemblanceS3Tests/DocumentationS3ExampleTests.swift")
        let tests = ReadmeExampleTests.normalisedLines(try String(contentsOf: thisFile, encoding: .utf8))
            + ReadmeExampleTests.normalisedLines(try String(contentsOf: s3Examples, encoding: .utf8))
        let articles = try FileManager.default.contentsOfDirectory(atPath: catalog.path).filter { $0.hasSuffix(".md") }
        #expect(articles.count >= 8, "landing page, Getting Started, Concurrency, Durability, Metadata and Filters, Versioning, Command Line, Scaling Out")
        var blocks = 0
        for article in articles {
            let text = try String(contentsOf: catalog.appendingPathComponent(article), encoding: .utf8)
            for block in ReadmeExampleTests.swiftBlocks(in: text) {
                blocks += 1
                let contained = ReadmeExampleTests.contains(tests, ReadmeExampleTests.normalisedLines(block))
                #expect(contained, "\(article)'s swift block is not in DocumentationExampleTests.swift:\n\(block)")
            }
        }
        #expect(blocks >= 26)
    }
}
