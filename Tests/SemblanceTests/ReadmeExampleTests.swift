import Foundation
import Testing
// Not @testable: the README may only use the public API.
import Semblance

/// The README's Swift example, compiled and run, and a check that the two stay the same.
@Suite("README example")
struct ReadmeExampleTests {
    @Test("the README's VectorIndex example runs and gives the results its comments show")
    func readmeExample() throws {
        // ---- the README's code, from its first line after `import Semblance` ----
        // 3-dimensional vectors compared by cosine distance (0 = same direction).
        var index = try VectorIndex(IndexConfiguration(dimension: 3, metric: .cosine))
        try index.insert(id: "apple", vector: [0.9, 0.1, 0.0])
        try index.insert(contentsOf: [
            (id: "banana", vector: [0.8, 0.3, 0.1]),
            (id: "car", vector: [0.0, 0.2, 0.9]),
            (id: "bus", vector: [0.1, 0.1, 1.0]),
        ])
        try index.upsert(id: "banana", vector: [0.7, 0.4, 0.0])  // replaces banana's vector

        // Up to 3 nearest, with a wider search beam than the default (64), none farther than 0.5.
        let hits = try index.search([1.0, 0.2, 0.0], k: 3, ef: 100, maxDistance: 0.5)
        print(hits.map(\.id))  // ["apple", "banana"]: car and bus are too far

        // A copy is a snapshot: O(1), and changes to one side never reach the other.
        let snapshot = index
        try index.delete("apple")
        print(index.contains("apple"), snapshot.contains("apple"))  // false true
        print(try snapshot.search([1.0, 0.2, 0.0], k: 1).map(\.id))  // ["apple"]
        // ---- end of the README's code ----

        #expect(hits.map(\.id) == ["apple", "banana"])
        #expect(hits.allSatisfy { $0.distance <= 0.5 })
        #expect(hits[0].distance < hits[1].distance)
        #expect(IndexConfiguration(dimension: 3).defaultEf == 64, "the README's comment names the default ef")
        #expect(index.get("banana")?[2] == 0, "banana has its upserted vector")
        #expect(!index.contains("apple") && snapshot.contains("apple"))
        #expect(index.count == 3 && snapshot.count == 4)
        #expect(try snapshot.search([1.0, 0.2, 0.0], k: 1).map(\.id) == ["apple"])
        #expect(try index.search([1.0, 0.2, 0.0], k: 1).map(\.id) == ["banana"])
    }

    @Test("the README's Client example runs, and its data is there after a reopen")
    func readmeClientExample() async throws {
        // ---- the README's Client code, after `import Semblance` ----
        func storeAndSearch(in path: String) async throws -> [String] {
            let client = try await Client(directory: path)  // a folder, created if missing
            let docs = try await client.getOrCreateCollection("docs", configuration: CollectionConfiguration(dimension: 3))
            try await docs.upsert([
                VectorRecord(id: "apple", vector: [0.9, 0.1, 0.0]),
                VectorRecord(id: "banana", vector: [0.8, 0.3, 0.1]),
                VectorRecord(id: "car", vector: [0.0, 0.2, 0.9]),
            ])  // on disk (fsynced) when this returns
            let hits = try await docs.search([1.0, 0.2, 0.0], k: 2)
            try await docs.delete("apple")
            await client.close()
            return hits.ids  // ["apple", "banana"]
        }
        // ---- end of the README's code ----
        let folder = TemporaryDirectory()
        let path = folder.file("semblance-data")
        #expect(try await storeAndSearch(in: path) == ["apple", "banana"])
        let client = try await Client(directory: path)
        let docs = try await client.collection("docs")
        #expect(docs.count == 2 && !docs.contains("apple") && docs.contains("car"))
        await client.close()
        // A second run finds the collection (getOrCreate) and gives the same answer.
        #expect(try await storeAndSearch(in: path) == ["apple", "banana"])
    }

    @Test("the README's records and metadata example runs and gives what its comments show")
    func readmeRecordsExample() async throws {
        // ---- the README's records code ----
        struct Paper: Codable {
            var title: String
            var year: Int
        }

        func catalogue(in path: String) async throws -> [String] {
            let client = try await Client(directory: path)
            let papers = try await client.getOrCreateCollection("papers", dimension: 3)
            let year = 2024
            let tags = ["search", "swift"]
            try await papers.insert(id: "p1", vector: [0.9, 0.1, 0.0],
                                    metadata: ["title": "Notes of \(year)", "year": Metadata(year), "tags": Metadata(tags)])
            let id = try await papers.insert(vector: [0.1, 0.9, 0.0],  // a new UUID string
                                             metadata: try Metadata(encoding: Paper(title: "Graphs", year: 2025)))
            try await papers.update(id: "p1", vector: [0.8, 0.2, 0.0])  // p1 keeps its metadata
            let paper = try papers.metadata(of: id)?.decode(Paper.self)
            print(paper?.year ?? 0, papers.metadata(of: "p1")?["tags"]?[0]?.stringValue ?? "")  // 2025 search
            var titles: [String] = []
            for await record in papers.records() {
                if let title = record.metadata?["title"]?.stringValue { titles.append(title) }
            }
            let backup = URL(fileURLWithPath: path + ".jsonl")  // beside the data folder, not in it
            try await papers.exportJSONLines(to: backup)  // or a String path; importJSONLines(from:) reads it back
            await client.close()
            return titles.sorted()  // ["Graphs", "Notes of 2024"]
        }
        // ---- end of the README's code ----
        let folder = TemporaryDirectory()
        let path = folder.file("semblance-data")
        #expect(try await catalogue(in: path) == ["Graphs", "Notes of 2024"])
        let exported = try String(contentsOfFile: path + ".jsonl", encoding: .utf8)
        #expect(exported.split(separator: "\n").count == 2 && exported.contains(#""id":"p1""#))
        let client = try await Client(directory: path)
        let papers = try await client.collection("papers")
        #expect(papers.metadata(of: "p1") == ["title": "Notes of 2024", "year": 2024, "tags": ["search", "swift"]])
        #expect(papers.get("p1")?.vector[1] ?? 0 > 0.2, "p1 has its updated vector")
        // A second run's insert of p1 fails: the id is stored.
        await client.close()
        await #expect(throws: SemblanceError.self) { try await catalogue(in: path) }
    }

    @Test("the README's encodings example runs: bfloat16 search rows, exact distances, the original kept")
    func readmeEncodingExample() async throws {
        // ---- the README's encodings code ----
        func smallCollection(in path: String) async throws -> (id: String, distance: Float, stored: [Float]) {
            let client = try await Client(directory: path)
            // or .float16, .int8; .float32 by default. Searches re-score their best 3 × k with
            // the float32 originals (`rerankMultiple:` sets another multiple).
            let settings = CollectionConfiguration(dimension: 3, metric: .squaredEuclidean, encoding: .bfloat16)
            let sensors = try await client.createCollection("sensors", configuration: settings)
            try await sensors.upsert(id: "s1", vector: [20.1, 0.5, 1013.25])
            try await sensors.upsert(id: "s2", vector: [19.7, 0.4, 1009.5])
            let nearest = try await sensors.search([20.0, 0.5, 1013.0], k: 1)[0]
            let stored = sensors.get("s1")?.vector ?? []  // [20.1, 0.5, 1013.25]: the float32 original
            await client.close()
            return (nearest.id, nearest.distance, stored)  // "s1", exact: 0.0725 (0.1² + 0.25²)
        }
        // ---- end of the README's code ----
        let folder = TemporaryDirectory()
        let (id, distance, stored) = try await smallCollection(in: folder.file("semblance-data"))
        #expect(id == "s1" && stored == [20.1, 0.5, 1013.25])
        let exact: Float = (20.1 - 20.0) * (20.1 - 20.0) + (1013.25 - 1013.0) * (1013.25 - 1013.0)
        #expect(abs(distance - exact) < 1e-4, "\(distance) vs \(exact)")
        #expect(abs(distance - 0.0725) < 1e-4)
    }

    @Test("the README's versioning example runs: a branch, then a fast-forward merge into main")
    func readmeVersioningExample() async throws {
        // ---- the README's versioning code ----
        func tryOnABranch(in path: String) async throws -> (before: Int, after: Int) {
            let client = try await Client(directory: path)
            let docs = try await client.collection("docs")
            try await docs.commit(message: "before the experiment")  // a named point in history
            try await docs.createBranch("experiment")  // writes a ref; copies nothing
            let trial = try await client.collection("docs", branch: "experiment")
            try await trial.delete("banana")  // main still has banana
            let before = docs.count
            try await docs.merge("experiment")  // main takes the branch's changes
            let after = docs.count
            await client.close()
            return (before, after)  // (2, 1)
        }
        // ---- end of the README's code ----
        let folder = TemporaryDirectory()
        let path = folder.file("semblance-data")
        let client = try await Client(directory: path)
        let docs = try await client.createCollection("docs", dimension: 3)
        try await docs.upsert([
            VectorRecord(id: "banana", vector: [0.8, 0.3, 0.1]),
            VectorRecord(id: "car", vector: [0.0, 0.2, 0.9]),
        ])
        await client.close()
        let (before, after) = try await tryOnABranch(in: path)
        #expect(before == 2 && after == 1)
        let reopened = try await Client(directory: path)
        let main = try await reopened.collection("docs")
        #expect(!main.contains("banana") && main.contains("car"))
        #expect(try main.branches().map(\.name) == ["experiment", "main"])
        #expect(try await main.history().map(\.message) == ["automatic checkpoint", "before the experiment"])
        await reopened.close()
    }

    @Test("the README's reader example runs beside an open writer and sees its acknowledged writes")
    func readmeReaderExample() async throws {
        // ---- the README's reader code ----
        func searchBesideTheImporter(in path: String, for query: [Float]) async throws -> [String] {
            let client = try await Client(directory: path, access: .readOnly)
            let docs = try await client.collection("docs")
            try await docs.refresh()  // the writer's newest state: whole batches only
            let hits = try await docs.search(query, k: 3)
            await client.close()
            return hits.ids
        }
        // ---- end of the README's code ----
        let folder = TemporaryDirectory()
        let writer = try await Client(directory: folder.path)
        let docs = try await writer.createCollection("docs", dimension: 3)
        try await docs.upsert([
            VectorRecord(id: "banana", vector: [0.8, 0.3, 0.1]),
            VectorRecord(id: "car", vector: [0.0, 0.2, 0.9]),
        ])
        #expect(try await searchBesideTheImporter(in: folder.path, for: [0.0, 0.2, 0.9]) == ["car", "banana"])
        await writer.close()
    }

    @Test("every swift code block of README.md appears, line for line, in this file")
    func readmeMatchesThisFile() throws {
        let thisFile = URL(fileURLWithPath: #filePath)
        let root = thisFile.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let tests = Self.normalisedLines(try String(contentsOf: thisFile, encoding: .utf8))

        let blocks = Self.swiftBlocks(in: readme)
        #expect(!blocks.isEmpty, "README.md has no ```swift code block")
        for block in blocks {
            var lines = Self.normalisedLines(block)
            // The imports sit at the top of this file, the rest inside the test above.
            while let first = lines.first, first.hasPrefix("import ") {
                let imported = tests.contains(first)
                #expect(imported, "README's `\(first)` is not in ReadmeExampleTests.swift")
                lines.removeFirst()
            }
            let contained = Self.contains(tests, lines)
            #expect(contained,
                    """
                    README.md's swift block is not in ReadmeExampleTests.swift (indentation aside); \
                    update both together. The block:
                    \(block)
                    """)
        }
    }

    /// The bodies of the ```swift fenced blocks of a Markdown text.
    static func swiftBlocks(in markdown: String) -> [String] {
        var blocks: [String] = []
        var current: [Substring]?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if current == nil, trimmed == "```swift" {
                current = []
            } else if let lines = current, trimmed.hasPrefix("```") {
                blocks.append(lines.joined(separator: "\n"))
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    /// The lines of `text` without leading and trailing white space (or \r); blank lines dropped.
    static func normalisedLines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
    }

    /// Whether `part` occurs in `whole` as consecutive elements.
    static func contains(_ whole: [String], _ part: [String]) -> Bool {
        guard !part.isEmpty else { return true }
        guard part.count <= whole.count else { return false }
        return (0...(whole.count - part.count)).contains { Array(whole[$0..<($0 + part.count)]) == part }
    }
}
