import Foundation
import Testing
@testable import Semblance

/// Metadata from and to ordinary Swift values: runtime values, interpolated strings, typed
/// accessors, subscripts, Codable types, and JSON text.
@Suite("Metadata from and to Swift values")
struct MetadataValuesTests {
    struct Article: Codable, Equatable {
        var title: String
        var year: Int
        var score: Double
        var tags: [String]
        var draft: Bool
        var editor: String?
    }

    @Test("runtime values and interpolations in metadata literals")
    func runtimeValues() {
        let year = 2024, score = 4.5, title = "Swift", tags = ["db", "swift"], draft = false
        let counts: [String: Int] = ["views": 3]
        let missing: String? = nil
        let metadata: Metadata = [
            "year": Metadata(year), "score": Metadata(score), "title": Metadata(title), "tags": Metadata(tags),
            "draft": Metadata(draft), "counts": Metadata(counts), "editor": Metadata(missing), "label": "part \(year)",
            "ratio": Metadata(Float(0.5)), "big": Metadata(Int64.max),
        ]
        #expect(metadata == [
            "year": 2024, "score": 4.5, "title": "Swift", "tags": ["db", "swift"], "draft": false,
            "counts": ["views": 3], "editor": nil, "label": "part 2024", "ratio": 0.5, "big": .int(.max),
        ])
    }

    @Test("typed accessors answer the value of their kind, and nil for any other")
    func accessors() {
        let metadata: Metadata = ["lang": "en", "year": 2024, "score": 4.0, "tags": ["a", "b"], "draft": true, "none": nil]
        #expect(metadata["lang"]?.stringValue == "en" && metadata["year"]?.stringValue == nil)
        #expect(metadata["year"]?.intValue == 2024 && metadata["score"]?.intValue == 4 && metadata["lang"]?.intValue == nil)
        #expect(Metadata(4.5).intValue == nil && Metadata(1e300).intValue == nil)
        #expect(metadata["year"]?.doubleValue == 2024 && metadata["score"]?.doubleValue == 4 && metadata["draft"]?.doubleValue == nil)
        #expect(metadata["draft"]?.boolValue == true && metadata["year"]?.boolValue == nil)
        #expect(metadata["tags"]?.arrayValue == ["a", "b"] && metadata["tags"]?[1] == "b")
        #expect(metadata["tags"]?[2] == nil && metadata["tags"]?[-1] == nil && metadata["lang"]?[0] == nil)
        #expect(metadata.objectValue?.count == 6 && metadata["lang"]?.objectValue == nil)
        #expect(metadata["none"]?.isNull == true && metadata["lang"]?.isNull == false && metadata["absent"] == nil)
    }

    @Test("a Codable value round-trips through metadata; a mismatch is .invalidMetadata")
    func codable() throws {
        let article = Article(title: "Vectors", year: 2024, score: 4.5, tags: ["db"], draft: false, editor: nil)
        let metadata = try Metadata(encoding: article)
        #expect(metadata["title"] == "Vectors" && metadata["year"] == 2024 && metadata["tags"] == ["db"])
        #expect(try metadata.decode(Article.self) == article)
        do {
            _ = try Metadata(["title": 1]).decode(Article.self)
            Issue.record("decoding metadata of the wrong shape succeeded")
        } catch {
            #expect(error.code == .invalidMetadata)
        }
        do {
            _ = try Metadata(encoding: ["x": Double.nan])
            Issue.record("a NaN became metadata")
        } catch {
            #expect(error.code == .invalidMetadata)
        }
    }

    @Test("description is compact JSON with sorted keys, the form JSON Lines writes")
    func description() {
        let metadata: Metadata = ["b": [1, 2.0, nil, true], "a": "quote \" and\nnewline", "c": ["z": 1, "y": "\u{01}"]]
        #expect(metadata.description == #"{"a":"quote \" and\nnewline","b":[1,2.0,null,true],"c":{"y":"\u0001","z":1}}"#)
        #expect("\(Metadata("x"))" == #""x""#)
        let line = JSONLines.encode(VectorRecord(id: "r\"1", vector: [1], metadata: metadata))
        #expect(String(decoding: line, as: UTF8.self) == #"{"id":"r\"1","vector":[1.0],"metadata":"# + metadata.description + "}\n")
    }

    @Test("Metadata(json:) reads numbers exactly (2.0 stays a double) and is the inverse of description; bad text is .invalidMetadata")
    func fromJSONText() throws {
        let metadata = try Metadata(json: #" {"lang": "en", "score": 2.0, "n": 2, "big": 1e300, "tags": ["a", null, true], "deep": {"x": -0.5}} "#)
        #expect(metadata == ["lang": "en", "score": .double(2), "n": 2, "big": .double(1e300), "tags": ["a", nil, true], "deep": ["x": -0.5]])
        #expect(metadata["score"]?.doubleValue == 2 && metadata["score"]?.intValue == 2)
        if case .double? = metadata["score"] {} else { Issue.record("2.0 must stay a double, got \(String(describing: metadata["score"]))") }
        #expect(try Metadata(json: metadata.description) == metadata)
        #expect(try Metadata(json: "null") == .null && (try Metadata(json: "7")) == 7)
        for bad in ["", "{", #"{"a": 1,}"#, "[1] 2", "{lang: 1}", #"{"a.b": 1}"#, String(repeating: "[", count: 40) + String(repeating: "]", count: 40)] {
            let error = #expect(throws: SemblanceError.self, "\(bad)") { try Metadata(json: bad) }
            #expect(error?.code == .invalidMetadata, "\(bad): \(String(describing: error))")
        }
    }
}
