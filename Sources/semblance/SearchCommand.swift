import ArgumentParser
import Foundation
import Semblance

/// `semblance search NAME --vector '[...]'` or `--queries FILE`: the nearest records.
struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find the nearest records to a vector, or to every vector of a file.",
        discussion: """
            --queries reads JSON Lines (each line an array of numbers, or an object with a \
            "vector" field) or an .fvecs file, and searches all of them at once on every core. \
            --filter takes a filter in JSON, e.g. '{"lang": {"$eq": "en"}, "year": {"$gte": 2020}}' \
            ($eq $ne $in $nin $lt $lte $gt $gte $exists $and $or $not $ids); only matching records \
            are returned, k of them whenever k match. \
            With --json, one line per query: {"query": i, "hits": [{"id", "distance"}], "partial"}.
            """
    )

    @OptionGroup var options: DirectoryOptions
    @OptionGroup var read: ReadOptions

    @Argument(help: "The collection to search.")
    var name: String

    @Option(help: ArgumentHelp("The query vector as a JSON array: '[0.1, 0.2, ...]'.", valueName: "json"))
    var vector: String?

    @Option(help: ArgumentHelp("A file of query vectors (JSON Lines or .fvecs); - reads standard input.", valueName: "file"))
    var queries: String?

    // Number options take the next argument even when it starts with `-`, so that `-k -5`
    // is a range error, not "missing value".
    @Option(name: [.customShort("k"), .long], parsing: .unconditional, help: "How many hits per query.")
    var k = 10

    @Option(parsing: .unconditional, help: "The search beam width (default: the collection's, at least k).")
    var ef: Int?

    @Option(name: .customLong("max-distance"), parsing: .unconditional, help: "Leave out hits farther than this (negative under innerProduct).")
    var maxDistance: Float?

    @Option(name: .customLong("min-similarity"), parsing: .unconditional,
            help: "Leave out hits less similar than this (cosine: 1 - distance; innerProduct: the inner product).")
    var minSimilarity: Float?

    @Option(parsing: .unconditional, help: "End the graph search after this many expansions in a row that did not improve the best k.")
    var patience: Int?

    @Option(help: ArgumentHelp("Only records matching this JSON filter: '{\"lang\": \"en\"}'.", valueName: "json"))
    var filter: String?

    @Flag(name: .customLong("include-vectors"), help: "Print each hit's stored vector too.")
    var includeVectors = false

    @Flag(name: .customLong("include-metadata"), help: "Print each hit's metadata too.")
    var includeMetadata = false

    func validate() throws {
        guard (vector == nil) != (queries == nil) else {
            throw ValidationError("give either --vector or --queries")
        }
        guard k >= 1 else { throw ValidationError("-k must be at least 1, got \(k)") }
        if let ef, ef < 1 { throw ValidationError("--ef must be at least 1, got \(ef)") }
        if let maxDistance, maxDistance.isNaN { throw ValidationError("--max-distance must be a number") }
        if let minSimilarity, minSimilarity.isNaN { throw ValidationError("--min-similarity must be a number") }
        if let patience, patience < 1 { throw ValidationError("--patience must be at least 1, got \(patience)") }
    }

    /// One query's answer, as a JSON line.
    struct Answer: Encodable {
        struct Hit: Encodable {
            var id: String
            var distance: Float
            var vector: [Float]?
            var metadata: Metadata?
        }
        var query: Int
        var hits: [Hit]
        var partial: Bool
    }

    func run() async throws {
        let filter = try FilterArgument.parse(self.filter)
        let answers = try await Session.withClient(options, access: .readOnly) { client in
            let collection = try await client.collection(name, branch: read.branch ?? "main")
            let queries: [[Float]]
            if let vector {
                let query = try VectorArgument.parse(vector)
                if let problem = RecordCheck.problem(with: query, role: "--vector", configuration: collection.configuration) {
                    throw CommandFailure(problem)
                }
                queries = [query]
            } else {
                queries = try readQueries(configuration: collection.configuration)
            }
            let searchOptions = SearchOptions(k: k, ef: ef, filter: filter, maxDistance: maxDistance, minSimilarity: minSimilarity,
                                              patience: patience, includeVectors: includeVectors, includeMetadata: includeMetadata)
            if read.at != nil {
                // A past commit: searched on this thread, one query after another.
                let snapshot = try await read.snapshot(client, name)
                return try queries.map { try snapshot.search($0, options: searchOptions) }
            }
            if queries.count == 1 { return [try await collection.search(queries[0], options: searchOptions)] }
            return try await collection.search(queries, options: searchOptions)
        }
        for (i, results) in answers.enumerated() {
            if options.json {
                try Output.json(Answer(query: i, hits: results.hits.map { .init(id: $0.id, distance: $0.distance, vector: $0.vector, metadata: $0.metadata) },
                                       partial: results.isPartial))
                continue
            }
            if answers.count > 1 { Output.line((i > 0 ? "\n" : "") + "query \(i)") }
            if results.isEmpty { Output.line("  (no hits)") }
            let width = min(results.map(\.id.count).max() ?? 0, 40)
            for (rank, hit) in results.enumerated() {
                var line = Terminal.padLeft(String(rank + 1), 4) + "  " + Terminal.padLeft(Self.format(hit.distance), 10)
                    + "  " + Terminal.padRight(hit.id, width)
                if let vector = hit.vector { line += "  " + Output.vector(vector) }
                if let metadata = hit.metadata { line += "  " + metadata.description }
                Output.line(line)
            }
        }
    }

    /// Every vector of the --queries file, each checked against the collection.
    func readQueries(configuration: CollectionConfiguration) throws -> [[Float]] {
        guard let queries else { return [] }
        let reader = try RecordReader(path: queries, format: nil)
        var vectors: [[Float]] = []
        do {
            while let record = try reader.next() {
                let unit = reader.format == .jsonl ? "line" : "row"
                if let problem = RecordCheck.problem(with: record.vector, role: "query", configuration: configuration) {
                    throw CommandFailure("\(reader.stream.name) \(unit) \(record.number): \(problem)", code: .invalidFile)
                }
                vectors.append(record.vector)
            }
        } catch let error as RecordError {
            throw CommandFailure("\(error.location): \(error.reason)", code: .invalidFile)
        }
        guard !vectors.isEmpty else { throw CommandFailure("\(reader.stream.name) holds no queries", code: .invalidFile) }
        return vectors
    }

    /// A distance in at most 10 characters.
    static func format(_ distance: Float) -> String {
        abs(distance) < 1e5 ? Terminal.fixed(Double(distance), 4) : String(format: "%.4g", Double(distance))
    }
}
