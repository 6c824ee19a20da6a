import Foundation
import Testing
@testable import Semblance

@Suite("Metadata values: literals, caps, binary and JSON forms")
struct MetadataTests {
    static let sample: Metadata = [
        "lang": "en", "year": 2024, "score": 4.5, "draft": false, "editor": nil,
        "tags": ["db", "swift"], "author": ["name": "Ada", "born": 1815],
    ]

    @Test("Swift literals build the value; dotted paths reach nested fields")
    func literals() {
        #expect(Self.sample["lang"] == .string("en"))
        #expect(Self.sample["year"] == .int(2024))
        #expect(Self.sample[path: "author.name"] == .string("Ada"))
        #expect(Self.sample[path: "author.missing"] == nil)
        #expect(Self.sample["editor"] == .null)
    }

    @Test("the binary form round-trips, and equal values encode to equal bytes")
    func binaryRoundTrip() throws {
        var writer = ByteWriter()
        Self.sample.encode(into: &writer)
        #expect(writer.bytes.count == Self.sample.encodedSize)
        var reader = ByteReader(writer.bytes, file: "test")
        #expect(try Metadata.decode(from: &reader) == Self.sample)
        #expect(reader.isAtEnd)
        var again = ByteWriter()
        Metadata.object(Dictionary(uniqueKeysWithValues: Self.sample.objectFields.reversed())).encode(into: &again)
        #expect(again.bytes == writer.bytes)
    }

    @Test("every truncation and every unknown tag of the binary form is a typed error")
    func damagedBinary() throws {
        var writer = ByteWriter()
        Self.sample.encode(into: &writer)
        for cut in 0..<writer.bytes.count {
            var reader = ByteReader(Array(writer.bytes.prefix(cut)), file: "cut")
            #expect(throws: SemblanceError.self) { try Metadata.decode(from: &reader) }
        }
        var reader = ByteReader([9], file: "tag")
        #expect(throws: SemblanceError.self) { try Metadata.decode(from: &reader) }
    }

    @Test("JSON round-trips; integers stay integers")
    func json() throws {
        let data = try JSONEncoder().encode(Self.sample)
        #expect(try JSONDecoder().decode(Metadata.self, from: data) == Self.sample)
        let parsed = try JSONDecoder().decode(Metadata.self, from: Data(#"{"n": 3, "x": 3.25, "b": true, "s": "t", "z": null}"#.utf8))
        #expect(parsed == ["n": 3, "x": 3.25, "b": true, "s": "t", "z": nil])
    }

    @Test("over the caps, non-finite numbers and bad keys are invalidMetadata naming the place")
    func caps() {
        func error(_ value: Metadata) -> SemblanceError? {
            do { try value.validate(); return nil } catch { return error }
        }
        #expect(error(Self.sample) == nil)
        #expect(error(["x": .double(.nan)])?.message.contains("metadata.x") == true)
        #expect(error(["x": [1, .double(.infinity)]])?.message.contains("metadata.x[1]") == true)
        var deep: Metadata = 1
        for _ in 0..<MetadataLimits.maximumDepth { deep = ["d": deep] }
        #expect(error(deep) == nil)
        #expect(error(["d": deep])?.code == .invalidMetadata)
        #expect(error(["text": .string(String(repeating: "x", count: MetadataLimits.maximumBytes))])?.code == .invalidMetadata)
        #expect(error(["a.b": 1])?.code == .invalidMetadata)
        #expect(error(["": 1])?.code == .invalidMetadata)
    }
}

extension Metadata {
    var objectFields: [(String, Metadata)] {
        guard case .object(let fields) = self else { return [] }
        return fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}

@Suite("Filters: evaluation and the JSON form")
struct FilterTests {
    let record: Metadata = ["lang": "en", "year": 2021, "tags": ["db", "swift"], "score": 4.5, "author": ["name": "Ada"]]

    @Test("each operator, on scalars, arrays, nested paths and missing fields")
    func evaluation() {
        func m(_ filter: Filter) -> Bool { filter.matches(id: "r1", metadata: record) }
        #expect(m(.equals("lang", "en")) && !m(.equals("lang", "de")))
        #expect(m(.equals("year", 2021.0)), "numbers compare by value")
        #expect(m(.notEquals("lang", "de")) && m(.notEquals("missing", 1)))
        #expect(m(.in("lang", ["de", "en"])) && !m(.in("lang", ["de"])))
        #expect(m(.notIn("lang", ["de"])) && !m(.notIn("lang", ["en"])))
        #expect(m(.less("year", 2022)) && !m(.less("year", 2021)) && m(.lessOrEqual("year", 2021)))
        #expect(m(.greater("score", 4)) && m(.greaterOrEqual("score", 4.5)) && !m(.greater("score", 4.5)))
        #expect(!m(.greater("lang", 1)), "a string and a number do not compare")
        #expect(m(.greater("lang", "de")), "strings compare by scalars")
        #expect(m(.equals("tags", "swift")) && m(.in("tags", ["go", "db"])), "arrays match by element")
        #expect(m(.equals("author.name", "Ada")) && m(.exists("author")) && !m(.exists("editor")))
        #expect(m(.equals("lang", "en") && .greaterOrEqual("year", 2020)))
        #expect(!m(.equals("lang", "en") && .greaterOrEqual("year", 2022)))
        #expect(m(.equals("lang", "de") || .exists("tags")))
        #expect(m(!.equals("lang", "de")))
        #expect(m(.ids(["r1"])) && !m(.ids(["r2"])))
        #expect(!Filter.equals("lang", "en").matches(id: "r1", metadata: nil))
    }

    @Test("the JSON form parses to the same filters")
    func jsonForm() throws {
        #expect(try Filter(json: #"{"lang": "en"}"#) == .equals("lang", "en"))
        #expect(try Filter(json: #"{"lang": {"$eq": "en"}, "year": {"$gte": 2020}}"#)
                == .and([.equals("lang", "en"), .greaterOrEqual("year", 2020)]))
        #expect(try Filter(json: #"{"$or": [{"lang": {"$in": ["en", "de"]}}, {"draft": {"$exists": false}}]}"#)
                == .or([.in("lang", ["en", "de"]), .not(.exists("draft"))]))
        #expect(try Filter(json: #"{"$not": {"year": {"$lt": 2000}}}"#) == .not(.less("year", 2000)))
        #expect(try Filter(json: #"{"$ids": ["a", "b"]}"#) == .ids(["a", "b"]))
        #expect(try Filter(json: #"{"year": {"$gt": 1, "$lte": 5}}"#) == .and([.greater("year", 1), .lessOrEqual("year", 5)]))
    }

    @Test("an invalid filter is invalidFilter saying which part is wrong")
    func invalidJSON() {
        func message(_ json: String) -> String? {
            do { _ = try Filter(json: json); return nil } catch {
                #expect(error.code == .invalidFilter)
                return error.message
            }
        }
        #expect(message("{") != nil)
        #expect(message("[1]")?.contains("a filter is a JSON object") == true)
        #expect(message(#"{"$or": [{"a": 1}, {"year": {"$gte2": 1}}]}"#)?.contains("filter.$or[1].year.$gte2") == true)
        #expect(message(#"{"$and": []}"#)?.contains("filter.$and") == true)
        #expect(message(#"{"a": {"$in": 3}}"#)?.contains("filter.a.$in") == true)
        #expect(message(#"{"a": {"$lt": true}}"#)?.contains("filter.a.$lt") == true)
        #expect(message(#"{"$ids": [1]}"#)?.contains("filter.$ids[0]") == true)
        #expect(message(#"{"$frob": 1}"#)?.contains("$frob") == true)
        #expect(message(#"{"a": {"$gt": 1, "b": 2}}"#)?.contains("filter.a: mixes operators with the field \"b\"") == true)
        #expect(message("{}") != nil)
    }
}
