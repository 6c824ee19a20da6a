import Foundation
import Semblance
import Testing

@Suite("Usage: programs written as the README and DocC teach, on the public API")
struct UsageTests {
    /// A fresh folder under the system's temporary directory.
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("semblance-usage-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("the article catalogue runs and sees what its calls promise")
    func articleCatalogue() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let summary = try await catalogue(in: folder.appendingPathComponent("data"), exportingTo: folder.appendingPathComponent("articles.jsonl"))
        #expect(summary.firstYear == 2024 && summary.firstTag == "swift")
        #expect(summary.decoded == Article(title: "Vectors in Swift", year: 2025, tags: ["swift"]))
        #expect(UUID(uuidString: summary.generatedID) != nil)
        #expect(summary.refusedInsert && summary.storedIDs == ["a2"])
        #expect(summary.score == 4.5 && summary.draft == false && summary.tagCount == 2 && summary.authorKeys == ["name", "team"])
        #expect(summary.titles == ["Article 2", "Article 3", "Article 4", "Five", "Vectors in Swift"])
        #expect(summary.streamed == 7 && summary.exported == 7 && summary.imported == 7 && summary.pastExported == 6)
        #expect(summary.sound && summary.copyClosed)
        #expect(summary.description == #"{"draft":false,"tags":["swift","search"],"year":2024}"#)
    }

    @Test("error handling patterns compile and take the branch they should")
    func typedThrowsPatterns() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let client = Client.inMemory()
        let collection = try await client.createCollection("c", dimension: 3)
        #expect(await mixedDo(collection, reading: folder.appendingPathComponent("missing")) == "other \(CocoaError.self)")
        let sevenBytes = folder.appendingPathComponent("seven")
        try Data("1234567".utf8).write(to: sevenBytes)
        #expect(await mixedDo(collection, reading: sevenBytes) == "stored")
        #expect(await ourDo(collection) == .invalidID)
        #expect(try await untypedCaller(collection) == 1)
        try await taskGroupWrites(collection)
        #expect(collection.count == 6)
        try await collection.delete("t0")
        let (compacted, bytes, written) = try await closures(collection, to: folder.appendingPathComponent("out.jsonl"))
        #expect(compacted == 1 && written == 5)
        #expect(bytes == (try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("out.jsonl").path)[.size] as? Int))
        #expect(await optionalAndResult(collection) == (true, true))
        await client.close()
    }
}
