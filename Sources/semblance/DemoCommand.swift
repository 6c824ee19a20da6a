import ArgumentParser
import Foundation
import Semblance
import SemblanceFixtures

/// `semblance demo`: semantic search over the bundled Debian-descriptions fixture, stored in
/// a collection on disk and searched after a reopen; then recall against an exact scan and
/// the search speed, at several beam widths.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Search 3,000 real Debian package descriptions; measure recall and speed.",
        discussion: """
            Loads the fixture bundled with the package (all-MiniLM-L6-v2 embeddings of Debian \
            package descriptions) and imports its 3,000 base vectors, with the package names as \
            ids, into a collection named "demo" (cosine, default parameters; an existing "demo" \
            is replaced) in the data directory. Then it checkpoints, closes, reopens the \
            directory with a new client, and shows the nearest packages to a few of the 100 \
            held-out queries. Last, it measures recall@k of all 100 queries against an exact \
            scan, and the mean search latency on one thread, at several ef values.
            """
    )

    @OptionGroup var options: DirectoryOptions

    // Number options take the next argument even when it starts with `-`, so that `--k -5`
    // is a range error, not "missing value".
    @Option(parsing: .unconditional, help: "Neighbours per query (1-1000); recall is recall@k. The example queries show at most 5.")
    var k = 10

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Search beam width of the example queries, also measured for recall (default: the collection's, 64).",
        valueName: "ef"))
    var ef: Int?

    @Option(name: .customLong("queries"), parsing: .unconditional, help: ArgumentHelp(
        "How many held-out queries to show with their hits (0-100).", valueName: "n"))
    var exampleCount = 5

    /// The collection the demo writes.
    static let collectionName = "demo"
    static let branchName = "trial"
    /// Records per upsert, as `semblance import` batches them.
    static let batchSize = 1000
    /// Hits shown per example query.
    static let shownHits = 5
    /// Beam widths always measured, besides the default and `--ef`.
    static let sweep = [16, 32, 128]
    /// How long each row of the latency table runs the queries, at least.
    static let timingBudget = Duration.milliseconds(250)

    func validate() throws {
        guard (1...1000).contains(k) else { throw ValidationError("--k must be between 1 and 1000, got \(k)") }
        if let ef, !(1...10_000).contains(ef) {
            throw ValidationError("--ef must be between 1 and 10000, got \(ef)")
        }
        guard (0...100).contains(exampleCount) else {
            throw ValidationError("--queries must be between 0 and 100, got \(exampleCount)")
        }
    }

    func run() async throws {
        let fixture = try Self.loadFixture()
        guard k <= fixture.base.count else {
            throw CommandFailure("--k \(k) is more than the \(fixture.base.count) vectors of the fixture")
        }
        let clock = ContinuousClock()
        let kernels = DistanceKernels.best
        let configuration = CollectionConfiguration(dimension: fixture.dimension, metric: fixture.metric)

        // Ids are the package names, made unique with "#2", "#3", ...
        let ids = Self.uniqueIDs(fixture.baseLabels.map(\.name))
        let labelByID = Dictionary(uniqueKeysWithValues: zip(ids, fixture.baseLabels))
        let records = zip(ids, fixture.base).map { VectorRecord(id: $0, vector: $1) }

        // 1. Store: import in batches, checkpoint, close.
        var directory = ""
        var importTime = Duration.zero
        var checkpointTime = Duration.zero
        try await Session.withClient(options, creating: true) { client in
            directory = client.directory ?? ""
            if try await client.listCollections().contains(Self.collectionName) {
                try await client.dropCollection(Self.collectionName)
            }
            let collection = try await client.createCollection(Self.collectionName, configuration: configuration)
            let importStart = clock.now
            for start in stride(from: 0, to: records.count, by: Self.batchSize) {
                try await collection.upsert(Array(records[start..<min(start + Self.batchSize, records.count)]))
            }
            importTime = clock.now - importStart
            checkpointTime = try await clock.measure { try await collection.checkpoint() }
        }

        // 2. Reopen with a new client, and search what was read back.
        let reopenStart = clock.now
        let report = try await Session.withClient(options) { client in
            let collection = try await client.collection(Self.collectionName)
            let reopenTime = clock.now - reopenStart
            guard collection.count == records.count else {
                throw CommandFailure("the reopened collection holds \(collection.count) vectors, \(records.count) were stored")
            }
            let exampleEf = ef ?? configuration.defaultEf

            // A few held-out queries, spread over the set, with their nearest packages.
            let exampleRows = (0..<exampleCount).map { $0 * fixture.queries.count / max(exampleCount, 1) }
            var examples: [DemoReport.Example] = []
            for row in exampleRows {
                let hits = try await collection.search(fixture.queries[row], k: min(k, Self.shownHits), ef: exampleEf)
                examples.append(DemoReport.Example(
                    query: fixture.queryLabels[row].name, summary: fixture.queryLabels[row].summary,
                    hits: hits.map { hit in
                        let label = labelByID[hit.id]
                        return DemoReport.Hit(
                            id: hit.id, name: label?.name ?? hit.id, summary: label?.summary ?? "",
                            distance: DemoReport.rounded(Double(hit.distance), 4))
                    }))
            }

            // The exact k nearest of every query, by a full scan with the same kernels; then the
            // speed of that scan, as the baseline of the table.
            let truth = fixture.queries.map {
                Set(Self.exactNearest($0, in: fixture.base, k: k, kernels: kernels, metric: fixture.metric).map { ids[$0] })
            }
            let exactLatency = try await Self.meanLatency(queries: fixture.queries.count, clock: clock) { row in
                Self.exactNearest(fixture.queries[row], in: fixture.base, k: k, kernels: kernels, metric: fixture.metric).count
            }

            // Recall@k and latency of every beam width, through the reopened collection.
            let efs = Set((Self.sweep + [configuration.defaultEf, exampleEf]).map { max($0, k) }).sorted()
            var rows: [DemoReport.RecallRow] = []
            for searchEf in efs {
                var found = 0
                for (query, exact) in zip(fixture.queries, truth) {
                    found += try await collection.search(query, k: k, ef: searchEf).filter { exact.contains($0.id) }.count
                }
                let latency = try await Self.meanLatency(queries: fixture.queries.count, clock: clock) { row in
                    try await collection.search(fixture.queries[row], k: k, ef: searchEf).count
                }
                rows.append(DemoReport.RecallRow(
                    ef: searchEf, recall: Double(found) / Double(k * fixture.queries.count), latency: latency,
                    isDefault: searchEf == max(configuration.defaultEf, k), isRequested: ef.map { max($0, k) } == searchEf))
            }

            // 3. Versioning: commit, branch, drop 1 % there, diff the two, read the commit back.
            let imported = try await collection.commit(message: "demo import")
            try await collection.createBranch(Self.branchName)
            let trial = try await client.collection(Self.collectionName, branch: Self.branchName)
            let dropped = Array(ids.prefix(max(1, ids.count / 100)))
            try await trial.delete(dropped)
            try await trial.commit(message: "drop \(dropped.count) packages")
            let diffStart = clock.now
            let diff = try await collection.diff(from: "main", to: Self.branchName)
            let diffTime = clock.now - diffStart
            guard diff.removed == dropped.sorted(), diff.added.isEmpty else {
                throw CommandFailure("the diff of main and \(Self.branchName) is not the \(dropped.count) deleted packages")
            }
            let versioning = DemoReport.Versioning(
                commit: imported.id, branch: Self.branchName, deletedOnBranch: dropped.count, diffRemoved: diff.removed.count,
                diffMilliseconds: DemoReport.rounded(diffTime.seconds * 1000, 2), mainCount: collection.count,
                branchCount: trial.count, commitCount: try await collection.snapshot(at: imported.id).count)

            return DemoReport(
                kernels: kernels.variant.description,
                dataset: .init(
                    name: "minilm-debian", model: "all-MiniLM-L6-v2", vectors: fixture.base.count,
                    queries: fixture.queries.count, dimension: fixture.dimension, metric: fixture.metric.rawValue),
                index: .init(
                    m: configuration.m, efConstruction: configuration.efConstruction,
                    defaultEf: configuration.defaultEf, buildSeconds: DemoReport.rounded(importTime.seconds, 3),
                    vectorsPerSecond: DemoReport.rounded(Double(records.count) / importTime.seconds, 0)),
                storage: .init(
                    directory: directory, collection: Self.collectionName, batchSize: Self.batchSize,
                    checkpointSeconds: DemoReport.rounded(checkpointTime.seconds, 3),
                    reopenSeconds: DemoReport.rounded(reopenTime.seconds, 3)),
                k: k, exampleEf: exampleEf, examples: examples, recall: rows,
                exactScan: .init(latency: exactLatency), versioning: versioning)
        }
        Output.line(options.json ? try report.json() : report.text())
    }

    /// The mean seconds of `search(row)` over rows `0..<queries`, repeated for at least
    /// ``timingBudget``. `search` returns its result count, which is checked so that the
    /// work cannot be optimised away.
    static func meanLatency(queries: Int, clock: ContinuousClock, _ search: (Int) async throws -> Int) async throws -> Double {
        var searches = 0
        var results = 0
        let start = clock.now
        repeat {
            for row in 0..<queries { results &+= try await search(row) }
            searches += queries
        } while clock.now - start < timingBudget
        let elapsed = clock.now - start
        precondition(results > 0, "the searches returned nothing")
        return elapsed.seconds / Double(searches)
    }

    /// The fixture, or a one-line error if it cannot be read.
    static func loadFixture() throws -> EmbeddingFixture {
        let fixture: EmbeddingFixture
        do {
            fixture = try EmbeddingFixture.minilmDebian()
        } catch let error as SemblanceError {
            throw error
        } catch {
            throw CommandFailure("cannot read the bundled fixture: \(describe(error))")
        }
        guard fixture.baseLabels.count == fixture.base.count, fixture.queryLabels.count == fixture.queries.count,
              !fixture.base.isEmpty, !fixture.queries.isEmpty
        else {
            throw CommandFailure("the bundled fixture is inconsistent: \(fixture.base.count) vectors with "
                + "\(fixture.baseLabels.count) labels, \(fixture.queries.count) queries with \(fixture.queryLabels.count)")
        }
        return fixture
    }

    /// A Foundation error in one line, with the file it names.
    private static func describe(_ error: any Error) -> String {
        if let error = error as? DecodingError {
            switch error {
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
                 .dataCorrupted(let context):
                return "a label is not valid JSON of the expected shape: \(context.debugDescription)"
            @unknown default:
                return "a label is not valid JSON of the expected shape"
            }
        }
        let error = error as NSError
        let path = error.userInfo[NSFilePathErrorKey] as? String ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
        return error.localizedDescription + (path.map { " (\($0))" } ?? "")
    }

    /// `names` made unique: the second "foo" becomes "foo#2", the third "foo#3".
    static func uniqueIDs(_ names: [String]) -> [String] {
        var seen: [String: Int] = [:]
        return names.map { name in
            let n = seen[name, default: 0] + 1
            seen[name] = n
            return n == 1 ? name : "\(name)#\(n)"
        }
    }

    /// The positions in `base` of the exact `k` nearest vectors to `query`, nearest first.
    static func exactNearest(
        _ query: [Float], in base: [[Float]], k: Int, kernels: DistanceKernels, metric: DistanceMetric
    ) -> [Int] {
        var best: [(distance: Float, row: Int)] = []  // ascending, at most k
        best.reserveCapacity(k + 1)
        for (row, vector) in base.enumerated() {
            let d = kernels.distance(metric, query, vector)
            if best.count == k, let last = best.last, d >= last.distance { continue }
            let at = best.firstIndex { $0.distance > d } ?? best.count
            best.insert((d, row), at: at)
            if best.count > k { best.removeLast() }
        }
        return best.map(\.row)
    }
}
