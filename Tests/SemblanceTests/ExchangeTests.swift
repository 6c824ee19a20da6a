import Foundation
import Testing
@testable import Semblance

/// JSON Lines: the line form of records, and export/import of whole collections.
@Suite("Exchange: JSON Lines export and import")
struct ExchangeTests {
    static let awkward: [VectorRecord] = [
        VectorRecord(id: "plain", vector: [1, 0.1, -2.5e-8, 3]),
        VectorRecord(id: "quote\"back\\slash", vector: [0, 1, 0, 0], metadata: ["text": "line\nbreak\ttab \u{1} é 🚀"]),
        VectorRecord(id: "numbers", vector: [1, 2, 3, 4], metadata: ["int": 2, "double": 2.0, "small": 0.1, "big": .int(.max),
                                                                      "nested": ["a": [1, "x", nil, true]]]),
    ]

    @Test("encode then parse gives the same record: escapes, integers against doubles, nesting")
    func lineRoundTrip() throws {
        for record in Self.awkward {
            let line = JSONLines.encode(record)
            #expect(line.last == UInt8(ascii: "\n"))
            let parsed = try JSONLines.parse(Array(line.dropLast()))
            #expect(parsed == JSONLines.Line(id: record.id, vector: record.vector, metadata: record.metadata), "\(String(decoding: line, as: UTF8.self))")
        }
    }

    @Test("a malformed line is .invalidFile naming the field")
    func malformed() {
        let missing = #expect(throws: SemblanceError.self) { try JSONLines.parse(Array(#"{"id": "a"}"#.utf8)) }
        #expect(missing?.code == .invalidFile)
        #expect(missing?.message.contains("\"vector\"") == true, "\(String(describing: missing))")
        let badMetadata = #expect(throws: SemblanceError.self) { try JSONLines.parse(Array(#"{"id": "a", "vector": [1], "metadata": {"x": }}"#.utf8)) }
        #expect(badMetadata?.code == .invalidFile)
    }

    /// Lines a lenient parser would take; each is refused, the message saying why and where.
    static let notStrictJSON: [(line: String, mentions: String)] = [
        (#"{"id":"a","vector":[1,2],}"#, "a trailing comma before the '}' at column 26"),
        (#"{"id":"a","vector":[1,2,]}"#, "a trailing comma before the ']' at column 25"),
        (#"[1,2,]"#, "a trailing comma before the ']' at column 6"),
        (#"{"id":"a","vector":[1,2],"metadata":{"x":1,}}"#, "a trailing comma before the '}' at column 44"),
        (#"{"id":"a","vector":[1,2],"metadata":{"x":[1,]}}"#, "a trailing comma before the ']' at column 45"),
        (#"{"id":"a","id":"b","vector":[1,2]}"#, #"the key "id" appears twice in one object, the second time at column 11"#),
        (#"{"id":"a","vector":[1,2],"vector":[3,4]}"#, #"the key "vector" appears twice"#),
        (#"{"id":"a","vector":[1,2],"metadata":{"k":1,"k":2}}"#, #"the key "k" appears twice in one object, the second time at column 44"#),
        (#"{"id":"a","vector":[1,2],"metadata":{"o":[{"k":1,"k":1}]}}"#, #"the key "k" appears twice"#),
        (#"{"id":"a","vector":[1,2]} {}"#, "more after the end of the JSON value, found '{' at column 27"),
        (#"{"id":"a","vector":[01,2]}"#, "expected ',' or ']', found '1' at column 22"),
        (#"{'id':"a","vector":[1]}"#, "expected a key in double quotes, found ''' at column 2"),
        (#"{"id":"a","vector":[1,2],"metadata":{"x":.5}}"#, "expected a value, found '.' at column 42"),
        (#"{"id":"a","vector":[1,2],"metadata":"x"#, #"a string without its closing quote, found '"' at column 37"#),
        (#"{"id":"a","vector":[1,2]"#, "expected ',' or '}', but the line ends"),
        (#"{"id":"a","vector":[NaN]}"#, #"field "vector[0]" is not a number, at column 21"#),
        (#"{"id":1.5,"vector":[1]}"#, #"field "id" is not a string or an integer, at column 7"#),
        (#"{"id":"a"}"#, #"missing field "vector""#),
    ]

    @Test("strict JSON: trailing commas, repeated keys and other malformed lines are .invalidFile saying where", arguments: notStrictJSON.indices)
    func strict(_ i: Int) {
        let (line, mentions) = Self.notStrictJSON[i]
        let error = #expect(throws: SemblanceError.self, "\(line)") { try JSONLines.parse(Array(line.utf8)) }
        #expect(error?.code == .invalidFile, "\(line)")
        #expect(error?.message.contains(mentions) == true, "\(line): \(String(describing: error))")
    }

    @Test("metadata nested past the depth limit says so, naming the limit, however deep")
    func depthLimit() throws {
        func line(depth: Int) -> [UInt8] {
            Array((#"{"id":"a","vector":[1],"metadata":"# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}").utf8)
        }
        #expect(try JSONLines.parse(line(depth: MetadataLimits.maximumDepth)).metadata != nil)
        for depth in [MetadataLimits.maximumDepth + 1, 100_000] {
            let error = #expect(throws: SemblanceError.self) { try JSONLines.parse(line(depth: depth)) }
            #expect(error?.code == .invalidMetadata)
            #expect(error?.message == "metadata nests deeper than the limit of 16 levels, at column 51", "\(String(describing: error))")
        }
    }

    @Test("import of a line with a trailing comma stops there, naming the line; the lines before it are stored")
    func importRefusesTrailingComma() async throws {
        let folder = TemporaryDirectory()
        let text = """
            {"id":"a","vector":[1,2,3,4]}
            {"id":"b","vector":[1,2,3,5]}
            {"id":"c","vector":[1,2,3,6],}
            {"id":"d","vector":[1,2,3,7]}

            """
        try Data(text.utf8).write(to: URL(fileURLWithPath: folder.file("in.jsonl")))
        let docs = try await Self.collection(Client.inMemory(), "docs", shards: 1)
        let error = await #expect(throws: SemblanceError.self) { try await docs.importJSONLines(from: folder.file("in.jsonl")) }
        #expect(error?.code == .invalidFile)
        #expect(error?.message.hasPrefix(folder.file("in.jsonl") + " line 3: not valid JSON: a trailing comma") == true, "\(String(describing: error))")
        #expect(error?.message.hasSuffix("the 2 records before it are stored, nothing after it") == true, "\(String(describing: error))")
        #expect(docs.count == 2)
    }

    static func numbered(_ i: Int) -> VectorRecord {
        let vector: [Float] = [Float(i % 17), 1, Float(i % 5), 2]
        let metadata: Metadata? = i % 2 == 0 ? ["n": .int(Int64(i))] : nil
        return VectorRecord(id: "r\(i)", vector: vector, metadata: metadata)
    }

    static func collection(_ client: Client, _ name: String, shards: Int) async throws -> VectorCollection {
        try await client.createCollection(name, configuration: CollectionConfiguration(dimension: 4, metric: .squaredEuclidean, shardCount: shards))
    }

    @Test("export then import into a new collection: the same records, metadata included; no temporary file left")
    func collectionRoundTrip() async throws {
        let folder = TemporaryDirectory()
        let client = Client.inMemory()
        let source = try await Self.collection(client, "source", shards: 3)
        var records = Self.awkward
        records += (0..<2500).map(Self.numbered)
        try await source.upsert(records)
        try await source.delete(["r7", "r8"])
        let path = folder.file("out.jsonl")
        let exported = try await source.exportJSONLines(to: path)
        #expect(exported == records.count - 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.jsonl"])

        let copy = try await Self.collection(client, "copy", shards: 1)
        let progress = ProgressLog()
        let imported = try await copy.importJSONLines(from: path, batchSize: 1000) { progress.add($0) }
        #expect(imported == exported)
        #expect(progress.records == [1000, 2000, exported])
        for record in records where record.id != "r7" && record.id != "r8" {
            #expect(copy.get(record.id) == record)
        }
        #expect(!copy.contains("r7"))
    }

    @Test("import stops at a bad line, naming it; the records before it are stored; a repeated id keeps the later line")
    func importStopsAtBadLine() async throws {
        let folder = TemporaryDirectory()
        let lines = [
            JSONLines.encode(VectorRecord(id: "a", vector: [1, 2, 3, 4], metadata: ["v": 1])),
            JSONLines.encode(VectorRecord(id: "a", vector: [1, 2, 3, 5], metadata: ["v": 2])),
            Array("\n".utf8),
            Array(#"{"id": "b", "vector": [1, 2, 3]}"#.utf8 + [10]),
            JSONLines.encode(VectorRecord(id: "c", vector: [1, 2, 3, 4])),
        ]
        try Data(lines.joined()).write(to: URL(fileURLWithPath: folder.file("in.jsonl")))
        let docs = try await Self.collection(Client.inMemory(), "docs", shards: 1)
        let error = await #expect(throws: SemblanceError.self) { try await docs.importJSONLines(from: folder.file("in.jsonl"), batchSize: 10) }
        #expect(error?.code == .dimensionMismatch)
        #expect(error?.message.contains("in.jsonl line 4") == true, "\(String(describing: error))")
        #expect(docs.count == 1)
        #expect(docs.get("a")?.metadata == ["v": 2])
        #expect(!docs.contains("c"))
    }
}

/// Progress reports collected from another thread.
final class ProgressLog: @unchecked Sendable {
    // Invariant (why @unchecked): `lock` guards `reports`.
    private let lock = NSLock()
    private var reports: [ExchangeProgress] = []
    func add(_ report: ExchangeProgress) { lock.withLock { reports.append(report) } }
    var records: [Int] { lock.withLock { reports.map(\.records) } }
}

extension ExchangeTests {
    /// Every file under `directory` with its bytes.
    static func contents(under directory: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for path in try FileManager.default.subpathsOfDirectory(atPath: directory) {
            var isDirectory: ObjCBool = false
            let full = directory + "/" + path
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
                files[path] = try Data(contentsOf: URL(fileURLWithPath: full))
            }
        }
        return files
    }

    @Test("export refuses a file inside the client's directory, through .. or a link too, and writes nothing")
    func exportInsideTheDirectory() async throws {
        let folder = TemporaryDirectory()
        let data = folder.file("data")
        let client = try await Client(directory: data)
        let docs = try await Self.collection(client, "docs", shards: 1)
        try await docs.upsert((0..<10).map(Self.numbered))
        try await docs.checkpoint()
        try FileManager.default.createSymbolicLink(atPath: folder.file("to-docs"), withDestinationPath: data + "/docs")
        try FileManager.default.createSymbolicLink(atPath: folder.file("to-config"), withDestinationPath: data + "/docs/config.json")
        let before = try Self.contents(under: data)
        for target in [data + "/docs/config.json", data + "/docs/../docs/refs/heads/main", data + "/beside.jsonl",
                       folder.file("to-docs/config.json"), folder.file("to-docs/../out.jsonl"), folder.file("to-config")] {
            let error = await #expect(throws: SemblanceError.self, "\(target)") { try await docs.exportJSONLines(to: target) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains("inside the database directory \(client.directory ?? "")") == true, "\(String(describing: error))")
            #expect(try Self.contents(under: data) == before, "\(target)")
        }
        // Beside the directory is fine.
        let exported = try await docs.exportJSONLines(to: folder.file("out.jsonl"))
        #expect(exported == 10)
        await client.close()
    }
}
