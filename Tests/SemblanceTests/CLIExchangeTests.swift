import Foundation
import Testing
@testable import Semblance

/// Metadata, filters and JSON Lines exchange through the `semblance` tool.
extension CLITests {
    /// A collection `docs` of 30 records whose metadata says `lang` (en for every third) and `n`.
    static func filteredCollection(in scratch: TemporaryDirectory) throws -> String {
        let data = scratch.file("data")
        var text = ""
        for (i, record) in records(count: 30, seed: seed ^ 5).enumerated() {
            text += "{\"id\": \"\(record.id)\", \"vector\": \(json(record.vector)), \"metadata\": {\"lang\": \"\(i % 3 == 0 ? "en" : "de")\", \"n\": \(i)}}\n"
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: scratch.file("docs.jsonl")))
        try run(["create", "docs", "--path", data, "--dimension", "\(dimension)"]).expectSuccess()
        try run(["import", "docs", scratch.file("docs.jsonl"), "--path", data]).expectSuccess()
        return data
    }

    @Test("count --filter and search --filter return only matching records, with their metadata")
    func filters() throws {
        let scratch = TemporaryDirectory("semblance-cli")
        let data = try Self.filteredCollection(in: scratch)
        let counted = try Self.run(["count", "docs", "--path", data, "--filter", #"{"lang": "en", "n": {"$gte": 10}}"#])
        try counted.expectSuccess()
        #expect(counted.stdout == "6\n", "n = 12, 15, ..., 27 and lang en: \(counted)")

        let query = Self.json(Self.records(count: 1, seed: 99)[0].vector)
        let searched = try Self.run(["search", "docs", "--path", data, "--vector", query, "-k", "4", "--json",
                                     "--include-metadata", "--filter", #"{"lang": {"$eq": "en"}}"#])
        try searched.expectSuccess()
        let hits = Self.hits(try #require(try searched.jsonLines().first))
        #expect(hits.count == 4)
        for hit in hits {
            let metadata = hit["metadata"] as? [String: Any]
            #expect(metadata?["lang"] as? String == "en", "\(hit)")
        }
        try Self.run(["search", "docs", "--path", data, "--vector", query, "--filter", #"{"n": {"$near": 1}}"#])
            .expectOneLineFailure(mentioning: "$near")
    }

    @Test("export then import into another collection gives the same records and metadata; a bad line names its line")
    func exportImport() throws {
        let scratch = TemporaryDirectory("semblance-cli")
        let data = try Self.filteredCollection(in: scratch)
        let exported = try Self.run(["export", "docs", scratch.file("out.jsonl"), "--path", data, "--json"])
        try exported.expectSuccess()
        #expect(Self.int(try #require(try exported.jsonLines().last), "exported") == 30)
        try Self.run(["create", "copy", "--path", data, "--dimension", "\(Self.dimension)"]).expectSuccess()
        try Self.run(["import", "copy", scratch.file("out.jsonl"), "--path", data]).expectSuccess()
        let original = try Self.run(["export", "docs", "--path", data])
        let copy = try Self.run(["export", "copy", "--path", data])
        try original.expectSuccess()
        try copy.expectSuccess()
        #expect(original.stdoutLines.count == 30)
        #expect(Set(original.stdoutLines) == Set(copy.stdoutLines))

        let bad = "{\"id\": \"x\", \"vector\": \(Self.json(Self.records(count: 1, seed: 3)[0].vector)), \"metadata\": {\"a.b\": 1}}\n"
        try Data(bad.utf8).write(to: URL(fileURLWithPath: scratch.file("bad.jsonl")))
        try Self.run(["import", "copy", scratch.file("bad.jsonl"), "--path", data]).expectOneLineFailure(mentioning: "line 1")
    }
}

extension CLITests {
    @Test("export refuses a FILE inside the data directory, through .. or a link too, and changes no file there")
    func exportIntoTheDataDirectory() throws {
        let scratch = TemporaryDirectory("semblance-cli")
        let data = try Self.filteredCollection(in: scratch)
        try FileManager.default.createSymbolicLink(atPath: scratch.file("to-docs"), withDestinationPath: data + "/docs")
        let before = try ExchangeTests.contents(under: data)
        for target in [data + "/docs/config.json", data + "/docs/../docs/refs/heads/main", scratch.file("to-docs/wal/main/shard-0.log")] {
            let run = try Self.run(["export", "docs", target, "--path", data])
            try run.expectOneLineFailure(mentioning: "cannot export to \(target)")
            #expect(run.stderr.contains("inside the database directory"), "\(run)")
            #expect(try ExchangeTests.contents(under: data) == before, "\(target)")
        }
        try Self.run(["verify", "docs", "--path", data]).expectSuccess()
    }
}
