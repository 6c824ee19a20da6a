import Foundation
import Testing
@testable import Semblance

/// Single records (`upsert`, `set-metadata`), `drop`'s confirmation, the metric names and
/// `--json` errors of the `semblance` tool.
extension CLITests {
    @Test("--metric takes the library's names and the former ones; create and stats print the library's")
    func metricNames() throws {
        let scratch = TemporaryDirectory("semblance-cli")
        let data = scratch.file("data")
        let names = [("cosine", "cosine"), ("squaredEuclidean", "squaredEuclidean"), ("innerProduct", "innerProduct"),
                     ("euclidean", "squaredEuclidean"), ("l2", "squaredEuclidean"), ("dot", "innerProduct"), ("IP", "innerProduct")]
        for (i, (given, printed)) in names.enumerated() {
            let created = try Self.run(["create", "c\(i)", "--dimension", "2", "--metric", given, "--path", data])
            try created.expectSuccess()
            #expect(created.stdout.contains("2-d, \(printed), float32, 1 shard"), "\(given): \(created)")
            let stats = try Self.run(["stats", "c\(i)", "--path", data, "--json"])
            try stats.expectSuccess()
            let configuration = try #require(try stats.jsonLines().first?["configuration"] as? [String: Any])
            #expect(Self.string(configuration, "metric") == printed, "\(given): \(stats)")
            #expect(try Self.run(["stats", "c\(i)", "--path", data]).stdout.contains("2-d, \(printed), float32\n"), "\(given)")
        }
        let created = try Self.run(["create", "c", "--dimension", "2", "--metric", "dot", "--path", data, "--json"])
        #expect(Self.string(try #require(try created.jsonLines().first), "metric") == "innerProduct", "\(created)")

        let unknown = try Self.run(["create", "bad", "--dimension", "2", "--metric", "manhattan", "--path", data])
        try unknown.expectOneLineFailure(mentioning: "'cosine', 'squaredEuclidean'")
        #expect(unknown.status == 64, "\(unknown)")
        let help = try Self.run(["create", "--help"])
        #expect(help.stdout.contains("squaredEuclidean") && help.stdout.contains("innerProduct"), "\(help)")
    }

    @Test("create --encoding takes the Swift names and f32|f16|bf16|int8; stats shows it; searches return exact distances")
    func encodings() throws {
        let scratch = TemporaryDirectory("semblance-cli")
        let data = scratch.file("data")
        for (i, (given, printed)) in [("f32", "float32"), ("f16", "float16"), ("bfloat16", "bfloat16"), ("int8", "int8")].enumerated() {
            let created = try Self.run(["create", "e\(i)", "--dimension", "3", "--metric", "l2", "--encoding", given, "--path", data])
            try created.expectSuccess()
            #expect(created.stdout.contains("3-d, squaredEuclidean, \(printed), 1 shard"), "\(given): \(created)")
            for (id, vector) in [("a", "[1, 2, 3]"), ("b", "[0.5, 0.25, 4]"), ("c", "[10, 0, 0]")] {
                try Self.run(["upsert", "e\(i)", id, "--vector", vector, "--path", data]).expectSuccess()
            }
            let search = try Self.run(["search", "e\(i)", "--vector", "[1, 2, 2.5]", "--k", "2", "--path", data, "--json"])
            try search.expectSuccess()
            let hits: [[String: Any]] = Self.hits(try #require(try search.jsonLines().first))
            #expect(hits.map { Self.string($0, "id") } == ["a", "b"], "\(given): \(search)")
            #expect(hits.first.map { Self.double($0, "distance") } == 0.25, "\(given): the distance is exact, \(search)")
            let stats = try Self.run(["stats", "e\(i)", "--path", data, "--json"])
            let configuration = try #require(try stats.jsonLines().first?["configuration"] as? [String: Any])
            #expect(Self.string(configuration, "encoding") == printed, "\(given): \(stats)")
            let text = try Self.run(["stats", "e\(i)", "--path", data]).stdout
            #expect(text.contains(printed == "float32" ? "3-d, squaredEuclidean, float32\n"
                                  : "3-d, squaredEuclidean, \(printed) (re-scoring 3 × k with float32)"), "\(text)")
        }
        let unknown = try Self.run(["create", "bad", "--dimension", "2", "--encoding", "fp8", "--path", data])
        try unknown.expectOneLineFailure(mentioning: "fp8")
        #expect(unknown.status == 64, "\(unknown)")
        let badMultiple = try Self.run(["create", "bad", "--dimension", "2", "--encoding", "int8", "--rerank-multiple", "0", "--path", data])
        try badMultiple.expectOneLineFailure(mentioning: "--rerank-multiple must be between 1 and 100")

        // e0 was created float32: re-encoded, it keeps its records and searches exactly.
        let reencoded = try Self.run(["reencode", "e0", "--encoding", "bf16", "--rerank-multiple", "4", "--path", data, "--json"])
        try reencoded.expectSuccess()
        let done = try #require(try reencoded.jsonLines().last)
        #expect(Self.string(done, "event") == "done" && Self.string(done, "encoding") == "bfloat16", "\(reencoded)")
        #expect(done["rerankMultiple"] as? Int == 4 && done["live"] as? Int == 3, "\(reencoded)")
        let stats = try Self.run(["stats", "e0", "--path", data]).stdout
        #expect(stats.contains("3-d, squaredEuclidean, bfloat16 (re-scoring 4 × k with float32)"), "\(stats)")
        let search = try Self.run(["search", "e0", "--vector", "[1, 2, 2.5]", "--k", "2", "--path", data, "--json"])
        let hits: [[String: Any]] = Self.hits(try #require(try search.jsonLines().first))
        #expect(hits.map { Self.string($0, "id") } == ["a", "b"] && hits.first.map { Self.double($0, "distance") } == 0.25, "\(search)")
        let text = try Self.run(["reencode", "e0", "--encoding", "int8", "--path", data])
        try text.expectSuccess()
        #expect(text.stdout.hasPrefix("re-encoded e0 as int8 (re-scoring 4 × k): 3 live vectors in "), "\(text)")
        try Self.run(["reencode", "e0", "--encoding", "int8", "--rerank-multiple", "101", "--path", data])
            .expectOneLineFailure(mentioning: "--rerank-multiple must be between 1 and 100, got 101")
    }

    @Test("with --json an error is one JSON object on stderr: the code, the message, and the path or offset when known")
    func jsonErrors() throws {
        let scratch = TemporaryDirectory("semblance-cli")
        let data = try Self.filteredCollection(in: scratch)

        let unknownCollection = try Self.run(["stats", "nope", "--path", data, "--json"])
        #expect(unknownCollection.stdout.isEmpty, "\(unknownCollection)")
        let error = try unknownCollection.jsonError()
        #expect(Self.string(error, "code") == "unknownCollection", "\(error)")
        let message = Self.string(error, "message")
        #expect(message.hasPrefix("no collection named \"nope\" in /") && message.hasSuffix("/data"), "\(error)")
        #expect(error["path"] == nil && error["offset"] == nil && error["ids"] == nil, "\(error)")

        // The tool's own failure, and usage errors (exit 64), also before any command runs.
        let missing = try Self.run(["get", "docs", "nope", "--path", data, "--json"])
        #expect(Self.string(try missing.jsonError(), "code") == "unknownID", "\(missing)")
        for arguments in [["create", "x", "--path", data, "--json"], ["frobnicate", "--json"], ["search", "docs", "-k", "0", "--vector", "[1]", "--json"]] {
            let usage = try Self.run(arguments)
            let error = try usage.jsonError()
            #expect(usage.status == 64, "\(usage)")
            #expect(Self.string(error, "code") == "usage" && !Self.string(error, "message").isEmpty, "\(usage)")
            #expect(!Self.string(error, "message").contains("--help"), "\(usage)")
        }

        // A library error with a path: the ref file of a tag that exists already.
        try Self.run(["tag", "docs", "v1", "--path", data]).expectSuccess()
        let exists = try Self.run(["tag", "docs", "v1", "--path", data, "--json"]).jsonError()
        #expect(Self.string(exists, "code") == "refExists", "\(exists)")
        #expect(Self.string(exists, "path").hasSuffix("/docs/refs/tags/v1"), "\(exists)")

        // ... and with an offset: a damaged frame of the write-ahead log (a bit of the first
        // frame's payload, after the 32-byte file header and the 32-byte frame header).
        try Self.run(["create", "logs", "--path", data, "--dimension", "\(Self.dimension)"]).expectSuccess()
        try Self.run(["import", "logs", scratch.file("docs.jsonl"), "--path", data, "--no-checkpoint"]).expectSuccess()
        let log = data + "/logs/wal/main/shard-0.log"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: log))
        bytes[70] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: log))
        let damaged = try Self.run(["stats", "logs", "--path", data, "--json"]).jsonError()
        #expect(Self.string(damaged, "code") == "corruptFile", "\(damaged)")
        #expect(Self.string(damaged, "path") == log, "\(damaged)")
        #expect(damaged["offset"] is NSNumber, "\(damaged)")

        // Without --json the same failure is the plain line.
        try Self.run(["stats", "nope", "--path", data]).expectOneLineFailure(mentioning: "no collection named \"nope\"")
    }
    @Test("drop refuses without --yes when standard input is not a terminal, deleting nothing; --yes and -y drop")
    func dropNeedsYes() throws {
        let scratch = TemporaryDirectory("semblance-cli")
        let data = try Self.filteredCollection(in: scratch)
        try Self.run(["create", "other", "--path", data, "--dimension", "2"]).expectSuccess()

        try Self.run(["drop", "docs", "--path", data]).expectOneLineFailure(mentioning: "pass --yes")
        let error = try Self.run(["drop", "docs", "--path", data, "--json"]).jsonError()
        #expect(Self.string(error, "code") == "notConfirmed", "\(error)")
        #expect(Self.string(error, "message").contains("nothing was deleted"), "\(error)")
        #expect(try Self.live("docs", data) == 30)

        let dropped = try Self.run(["drop", "docs", "--yes", "--path", data, "--json"])
        try dropped.expectSuccess()
        #expect(Self.string(try #require(try dropped.jsonLines().first), "dropped") == "docs")
        try Self.run(["drop", "other", "-y", "--path", data]).expectSuccess()
        #expect(try Self.run(["list", "--path", data]).stdout.isEmpty)
    }

    @Test("drop on a terminal asks, naming the records; only y or yes deletes")
    func dropAsksOnATerminal() throws {
        let scratch = TemporaryDirectory("semblance-cli")
        let data = try Self.filteredCollection(in: scratch)
        for answer in ["n", "", "yes please"] {
            let terminal = try PseudoTerminal(typing: answer + "\n")
            let run = try Self.run(["drop", "docs", "--path", data], standardInput: terminal.device)
            #expect(run.status != 0, "\(run)")
            #expect(run.stderr.hasPrefix("Drop collection docs (30 records, all branches and history)? [y/N] "), "\(run)")
            #expect(run.stderr.contains("nothing was deleted"), "\(run)")
            #expect(try Self.live("docs", data) == 30, "answer \(answer.debugDescription) deleted")
        }
        let terminal = try PseudoTerminal(typing: "Y\n")
        let run = try Self.run(["drop", "docs", "--path", data], standardInput: terminal.device)
        try run.expectSuccess(allowingStderr: true)
        #expect(run.stdout == "dropped collection docs\n", "\(run)")
        #expect(try Self.run(["list", "--path", data]).stdout.isEmpty)
    }

    @Test("drop on a terminal asks about a collection that does not open, naming the damage")
    func dropAsksAboutADamagedCollection() throws {
        let scratch = TemporaryDirectory("semblance-cli")
        let data = try Self.filteredCollection(in: scratch)
        let config = data + "/docs/config.json"
        var text = try String(contentsOfFile: config, encoding: .utf8)
        let id = try #require(text.range(of: #""collectionID" : ""#)).upperBound
        text.replaceSubrange(id...id, with: text[id] == "0" ? "1" : "0")  // another id: the checksum fails
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        let no = try PseudoTerminal(typing: "n\n")
        let refused = try Self.run(["drop", "docs", "--path", data], standardInput: no.device)
        #expect(refused.stderr.hasPrefix("Drop collection docs (which does not open: \(config): the collection configuration does not match its checksum"), "\(refused)")
        #expect(refused.status != 0 && refused.stderr.contains("nothing was deleted"), "\(refused)")
        let yes = try PseudoTerminal(typing: "y\n")
        let run = try Self.run(["drop", "docs", "--path", data], standardInput: yes.device)
        try run.expectSuccess(allowingStderr: true)
        #expect(!FileManager.default.fileExists(atPath: data + "/docs"), "\(run)")
    }

    // MARK: Single records

    /// A collection `docs` of 4-d vectors under squaredEuclidean (stored as given, not
    /// normalized) holding `a` = [1, 2, 3, 4] with metadata {"lang": "en", "n": 1}.
    static func oneRecordCollection(in scratch: TemporaryDirectory) throws -> String {
        let data = scratch.file("data")
        try run(["create", "docs", "--path", data, "--dimension", "4", "--metric", "squaredEuclidean"]).expectSuccess()
        let upserted = try run(["upsert", "docs", "a", "--vector", "[1, 2, 3, 4]", "--metadata", #"{"lang": "en", "n": 1}"#, "--path", data])
        try upserted.expectSuccess()
        #expect(upserted.stdout == "upserted a into docs\n", "\(upserted)")
        return data
    }

    /// `get --json` of one record: its vector and its metadata (nil when it has none).
    static func record(_ id: String, in data: String, branch: String = "main") throws -> (vector: [Double], metadata: [String: Any]?) {
        let got = try run(["get", "docs", id, "--path", data, "--branch", branch, "--json"])
        try got.expectSuccess()
        let record = try #require(try got.jsonLines().first)
        let vector = try #require(record["vector"] as? [NSNumber], "\(got)").map(\.doubleValue)
        return (vector, record["metadata"] as? [String: Any])
    }

    @Test("upsert adds, then replaces a record whole; get shows it; a bad vector or metadata stores nothing")
    func upsert() throws {
        let scratch = TemporaryDirectory("semblance-cli")
        let data = try Self.oneRecordCollection(in: scratch)
        let first = try Self.record("a", in: data)
        #expect(first.vector == [1, 2, 3, 4])
        #expect(first.metadata?["lang"] as? String == "en" && Self.int(first.metadata ?? [:], "n") == 1, "\(first)")

        // Replaced whole: a new vector, and without --metadata no metadata.
        let replaced = try Self.run(["upsert", "docs", "a", "--vector", "0.5, -1, 0, 2", "--path", data, "--json"])
        try replaced.expectSuccess()
        let printed = try #require(try replaced.jsonLines().first)
        #expect(Self.string(printed, "upserted") == "a" && Self.string(printed, "collection") == "docs", "\(replaced)")
        let second = try Self.record("a", in: data)
        #expect(second.vector == [0.5, -1, 0, 2])
        #expect(second.metadata == nil)
        #expect(try Self.live("docs", data) == 1)

        // On a branch: main does not see it.
        try Self.run(["branch", "docs", "side", "--path", data]).expectSuccess()
        try Self.run(["upsert", "docs", "b", "--vector", "[4, 3, 2, 1]", "--branch", "side", "--path", data]).expectSuccess()
        #expect(try Self.record("b", in: data, branch: "side").vector == [4, 3, 2, 1])
        try Self.run(["get", "docs", "b", "--path", data]).expectOneLineFailure(mentioning: "no record with id \"b\"")

        let bad: [(arguments: [String], mentions: String)] = [
            (["--vector", #"[1, "x", 3, 4]"#], "--vector: component 1 is not a number"),
            (["--vector", "[1, 2"], "--vector: not a JSON array of numbers"),
            (["--vector", "[1, 2, 3]"], "--vector has 3 components, the collection's dimension is 4"),
            (["--vector", "[1, 2, 3, 4]", "--metadata", "{lang: en}"], "--metadata: not valid JSON"),
            (["--vector", "[1, 2, 3, 4]", "--metadata", #"{"a.b": 1}"#], "\"a.b\""),
        ]
        for (arguments, mentions) in bad {
            let run = try Self.run(["upsert", "docs", "c"] + arguments + ["--path", data])
            try run.expectOneLineFailure(mentioning: mentions)
        }
        try Self.run(["upsert", "docs", "c", "--path", data]).expectOneLineFailure(mentioning: "--vector")
        try Self.run(["upsert", "docs", "", "--vector", "[1, 2, 3, 4]", "--path", data]).expectOneLineFailure(mentioning: "empty")
        #expect(try Self.live("docs", data) == 1, "a refused upsert stored something")
    }

    @Test("set-metadata replaces or (null) removes a record's metadata and keeps its vector; an unknown id is an error")
    func setMetadata() throws {
        let scratch = TemporaryDirectory("semblance-cli")
        let data = try Self.oneRecordCollection(in: scratch)

        let set = try Self.run(["set-metadata", "docs", "a", #"{"lang": "de", "tags": ["x"]}"#, "--path", data])
        try set.expectSuccess()
        #expect(set.stdout == "set the metadata of a in docs\n", "\(set)")
        let changed = try Self.record("a", in: data)
        #expect(changed.vector == [1, 2, 3, 4])
        #expect(changed.metadata?["lang"] as? String == "de" && changed.metadata?["tags"] as? [String] == ["x"], "\(changed)")
        #expect(changed.metadata?["n"] == nil, "the metadata is replaced whole")
        #expect(Self.int(try #require(try Self.run(["count", "docs", "--filter", #"{"lang": "de"}"#, "--path", data, "--json"])
            .jsonLines().first), "count") == 1, "the metadata index follows")

        let removed = try Self.run(["set-metadata", "docs", "a", "null", "--path", data, "--json"])
        try removed.expectSuccess()
        let printed = try #require(try removed.jsonLines().first)
        #expect(Self.string(printed, "id") == "a" && printed["metadata"] == nil, "\(removed)")
        #expect(try Self.record("a", in: data).metadata == nil)
        let got = try Self.run(["get", "docs", "a", "--path", data])
        #expect(got.stdoutLines.count == 2, "no metadata line: \(got)")

        let unknown = try Self.run(["set-metadata", "docs", "nope", #"{"lang": "en"}"#, "--path", data])
        try unknown.expectOneLineFailure(mentioning: "no record with id \"nope\" in collection docs")
        let error = try Self.run(["set-metadata", "docs", "nope", #"{"lang": "en"}"#, "--path", data, "--json"]).jsonError()
        #expect(Self.string(error, "code") == "unknownID", "\(error)")
        try Self.run(["set-metadata", "docs", "a", "{", "--path", data]).expectOneLineFailure(mentioning: "the metadata: not valid JSON")
        #expect(try Self.live("docs", data) == 1)
        #expect(try Self.record("a", in: data).metadata == nil)
    }
}

/// A pseudo-terminal whose device end is the tool's standard input: what is typed is written
/// to the controlling end first, where it waits in the terminal's buffer until read.
final class PseudoTerminal {
    let device: FileHandle
    private let controller: Int32

    init(typing text: String) throws {
        controller = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        var name = [CChar](repeating: 0, count: 128)
        guard controller >= 0, let grant = Self.function("grantpt", as: Grant.self), let unlock = Self.function("unlockpt", as: Grant.self),
              let deviceName = Self.function("ptsname_r", as: Name.self),
              grant(controller) == 0, unlock(controller) == 0, deviceName(controller, &name, name.count) == 0
        else { throw CLITestError("no pseudo-terminal: errno \(errno)") }
        let descriptor = open(String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), O_RDWR | O_NOCTTY)
        guard descriptor >= 0 else { throw CLITestError("cannot open the pseudo-terminal's device: errno \(errno)") }
        device = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        let bytes = Array(text.utf8)
        guard write(controller, bytes, bytes.count) == bytes.count else { throw CLITestError("cannot type into the pseudo-terminal") }
    }

    deinit { close(controller) }

    // Glibc's module map leaves out the X/Open pseudo-terminal calls, so they are looked up
    // in the C library at run time.
    private typealias Grant = @convention(c) (Int32) -> Int32
    private typealias Name = @convention(c) (Int32, UnsafeMutablePointer<CChar>, Int) -> Int32

    private static func function<F>(_ name: String, as type: F.Type) -> F? {
        dlsym(dlopen(nil, RTLD_NOW), name).map { unsafeBitCast($0, to: type) }
    }
}
