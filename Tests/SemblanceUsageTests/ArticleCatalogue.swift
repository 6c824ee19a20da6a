import Foundation
// Not @testable, and a target of its own: this program sees only the public API, as an
// application depending on the package does.
import Semblance

/// A short program written the way the README and the DocC articles teach: metadata from
/// Swift values and Codable types, inserts with given and generated ids, an update that
/// keeps metadata, iteration, import and export by URL, verify and close.
struct Article: Codable, Equatable {
    var title: String
    var year: Int
    var tags: [String]
}

/// What the program saw, for the test to check.
struct CatalogueSummary {
    var firstYear: Int?
    var firstTag: String?
    var decoded: Article?
    var generatedID: String
    var refusedInsert: Bool
    var storedIDs: [String]
    var score: Double?
    var draft: Bool?
    var tagCount: Int?
    var authorKeys: [String]
    var pastExported: Int
    var titles: [String]
    var streamed: Int
    var exported: Int
    var imported: Int
    var sound: Bool
    var copyClosed: Bool
    var description: String
}

func catalogue(in directory: URL, exportingTo file: URL) async throws -> CatalogueSummary {
    let client = try await Client(directory: directory)
    let articles = try await client.getOrCreateCollection("articles", dimension: 3)

    // Metadata from values computed at run time, and titles by interpolation.
    let year = 2024
    let draft = false
    let tags = ["swift", "search"]
    try await articles.insert(id: "a1", vector: [0.9, 0.1, 0.0],
                              metadata: ["year": Metadata(year), "draft": Metadata(draft), "tags": Metadata(tags)])
    for i in 2...4 {
        try await articles.insert(id: "a\(i)", vector: [0.2 * Float(i), 0.5, 0.2],
                                  metadata: ["title": "Article \(i)", "year": Metadata(year - i)])
    }
    // A Codable value as metadata, under an id the collection makes.
    let article = Article(title: "Vectors in Swift", year: 2025, tags: ["swift"])
    let generatedID = try await articles.insert(vector: [0.0, 0.3, 0.9], metadata: try Metadata(encoding: article))

    // An insert never replaces: a stored id is an error of its own. (The last `catch` works
    // around a crash of Swift 6.3's compiler on a `do` that catches only some typed errors
    // inside a function that throws `any Error`: swiftlang/swift#89787.)
    var refusedInsert = false
    do {
        try await articles.insert(id: "a1", vector: [1, 0, 0])
    } catch SemblanceError.Code.idExists {
        refusedInsert = true
    } catch {
        throw error
    }

    // A batch insert is all or nothing; the error lists the ids that are stored.
    let score = 4.5
    let author: [String: String] = ["name": "Ada", "team": "search"]
    var storedIDs: [String] = []
    do {
        try await articles.insert([
            VectorRecord(id: "a6", vector: [0.3, 0.3, 0.3], metadata: ["score": Metadata(score), "author": Metadata(author)]),
            VectorRecord(id: "a2", vector: [0.3, 0.3, 0.3]),
        ])
    } catch {
        storedIDs = error.ids
    }
    try await articles.insert(VectorRecord(id: "a6", vector: [0.3, 0.3, 0.3],
                                           metadata: ["score": Metadata(score), "author": Metadata(author)]))

    let before = articles.snapshot()
    try await articles.update(id: "a1", vector: [0.8, 0.2, 0.1])  // keeps a1's metadata
    try await articles.upsert(VectorRecord(id: "a5", vector: [0.2, 0.2, 0.2], metadata: try Metadata(json: #"{"title": "Five"}"#)))

    // Typed reads: optionals, no enum patterns.
    let first = articles.metadata(of: "a1")
    let firstYear = first?["year"]?.intValue
    let firstTag = first?["tags"]?[0]?.stringValue
    let decoded = try articles.metadata(of: generatedID)?.decode(Article.self)
    let sixth = articles.metadata(of: "a6")
    let storedScore = sixth?["score"]?.doubleValue
    let draftFlag = first?["draft"]?.boolValue
    let tagCount = first?["tags"]?.arrayValue?.count
    let authorKeys = sixth?["author"]?.objectValue?.keys.sorted() ?? []

    // Iterating: a snapshot's records, or a stream of them in an async loop.
    var titles: [String] = []
    for record in articles.snapshot().records {
        if let title = record.metadata?["title"]?.stringValue { titles.append(title) }
    }
    var streamed = 0
    for await _ in articles.records() { streamed += 1 }

    // Export and import by file URL.
    let exported = try await articles.exportJSONLines(to: file)
    let pastExported = try await articles.exportJSONLines(before, to: file.deletingLastPathComponent().appendingPathComponent("before.jsonl"))
    let copy = try await client.getOrCreateCollection("copy", dimension: 3)
    let imported = try await copy.importJSONLines(from: file)

    let report = try await client.verify("articles")  // while the collection is open
    await client.close(copy)
    let summary = CatalogueSummary(
        firstYear: firstYear, firstTag: firstTag, decoded: decoded, generatedID: generatedID, refusedInsert: refusedInsert,
        storedIDs: storedIDs, score: storedScore, draft: draftFlag, tagCount: tagCount, authorKeys: authorKeys, pastExported: pastExported,
        titles: titles.sorted(), streamed: streamed, exported: exported, imported: imported, sound: report.isSound,
        copyClosed: copy.isClosed, description: "\(first ?? nil)")
    await client.close()
    return summary
}
