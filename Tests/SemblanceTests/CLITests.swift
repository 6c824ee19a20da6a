import Foundation
import Testing
@testable import Semblance

/// The `semblance` tool as scripts use it: the real binary run as a child process over a
/// temporary directory, its exit status, standard output and standard error checked.
@Suite("The semblance command-line tool, run as a child process")
struct CLITests {
    static let seed: UInt64 = 0xC11_7E57
    static let dimension = 8

    // MARK: The tests

    @Test("create, import (JSON progress), stats, search, get, delete, verify; a flipped byte makes verify fail naming the file")
    func workflow() throws {
        let scratch = TemporaryDirectory("semblance-cli")
        let data = scratch.file("data")
        let records = Self.records(count: 40, seed: Self.seed)
        try Self.writeJSONLines(records, to: scratch.file("docs.jsonl"), metadataEvery: 3)

        let created = try Self.run(["create", "docs", "--path", data, "--dimension", "\(Self.dimension)", "--metric", "cosine"])
        try created.expectSuccess()
        #expect(created.stdout.contains("created collection docs"))

        // Import in batches of 16: acknowledged 16, 32, 40, then the summary.
        let imported = try Self.run(["import", "docs", scratch.file("docs.jsonl"), "--path", data, "--json", "--batch-size", "16"])
        try imported.expectSuccess()
        let progress = try imported.jsonLines()
        let events: [String] = progress.map { Self.string($0, "event") }
        let acknowledged: [Int] = progress.map { Self.int($0, "acknowledged") }
        #expect(events == ["batch", "batch", "batch", "done"])
        let lines: [Int] = progress.map { Self.int($0, "line") }
        #expect(acknowledged == [16, 32, 40, 40])
        #expect(lines == [16, 32, 40, 40], "the line of the last acknowledged record")
        let summary = try #require(progress.last)
        #expect(summary["recordsPerSecond"] is NSNumber)
        #expect(!Self.string(summary, "headCommit").isEmpty, "the import ends with a checkpoint")

        #expect(try Self.live("docs", data) == 40)

        // The exact nearest record comes first; k hits, nearest first.
        var query: [Float] = records[7].vector
        query[0] += 0.01
        let exact: [String] = Recall.exactNearest(query, among: records, k: 5, metric: .cosine)
        let searched = try Self.run(["search", "docs", "--path", data, "--vector", Self.json(query), "-k", "5", "--json"])
        try searched.expectSuccess()
        let answer = try #require(try searched.jsonLines().first)
        let hits: [[String: Any]] = Self.hits(answer)
        let ids: [String] = hits.map { Self.string($0, "id") }
        let distances: [Double] = hits.map { Self.double($0, "distance") }
        #expect(ids.count == 5)
        #expect(ids.first == exact.first, "hits \(ids), exact \(exact)")
        #expect(Set(ids) == Set(exact))
        #expect(distances == distances.sorted())

        // get prints the id, the (normalized) vector as a JSON array, then the metadata.
        let got = try Self.run(["get", "docs", records[3].id, "--path", data])
        try got.expectSuccess()
        let printed = got.stdout.split(separator: "\n").map(String.init)
        try #require(printed.count == 3, "\(got)")
        #expect(printed.first == records[3].id)
        #expect(printed[2] == #"{"tags":[1,2],"title":"Doc \"3\""}"#)
        let vector: [Float] = try JSONDecoder().decode([Float].self, from: Data(printed[1].utf8))
        let expected: [Float] = Self.normalized(records[3].vector)
        #expect(vector.count == expected.count)
        for (got, want) in zip(vector, expected) {
            #expect(abs(got - want) < 1e-5)
        }

        let deleted = try Self.run(["delete", "docs", records[0].id, records[1].id, "no-such-id", "--path", data, "--json"])
        try deleted.expectSuccess()
        #expect(Self.int(try deleted.jsonLines().first ?? [:], "deleted") == 2)
        #expect(try Self.live("docs", data) == 38)
        try Self.run(["get", "docs", records[0].id, "--path", data]).expectOneLineFailure(mentioning: "no record")

        try Self.run(["checkpoint", "docs", "--path", data]).expectSuccess()
        let verified = try Self.run(["verify", "docs", "--path", data, "--json"])
        try verified.expectSuccess()
        let sound = (try verified.jsonLines().first ?? [:])["sound"] as? Bool
        #expect(sound == true)

        // One flipped bit in one object file: verify names that file; nothing else changes it.
        let objects = scratch.file("data/docs/objects")
        let victim = try #require(try Self.files(under: objects).sorted().first)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: victim))
        bytes[bytes.count / 2] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: victim))
        let before = try Self.files(under: scratch.file("data/docs")).sorted()
        let damaged = try Self.run(["verify", "docs", "--path", data])
        try damaged.expectOneLineFailure(mentioning: victim)
        #expect(damaged.stdout.contains(victim))
        #expect(try Self.files(under: scratch.file("data/docs")).sorted() == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: victim)) == bytes, "verify changed the damaged file")
    }

    @Test(".fvecs import with --id-prefix, batch search from JSON Lines and .fvecs, list, compact, drop; $SEMBLANCE_PATH")
    func fvecsBatchSearchAndMaintenance() throws {
        let scratch = TemporaryDirectory("semblance-cli")
        let data = scratch.file("data")
        let environment = ["SEMBLANCE_PATH": data]
        let records = Self.records(count: 30, seed: Self.seed ^ 1)
        try FVecs.encode(records.map(\.vector)).write(to: URL(fileURLWithPath: scratch.file("base.fvecs")))
        try Self.run(["create", "vecs", "--dimension", "\(Self.dimension)", "--metric", "euclidean", "--shards", "2"],
                     environment: environment).expectSuccess()

        // Not a terminal, no --json: nothing but one summary line.
        let imported = try Self.run(["import", "vecs", scratch.file("base.fvecs"), "--id-prefix", "row-"], environment: environment)
        try imported.expectSuccess()
        #expect(imported.stdoutLines.count == 1, "stdout: \(imported.stdout)")
        #expect(imported.stdout.hasPrefix("imported 30 records"), "stdout: \(imported.stdout)")
        #expect(try Self.live("vecs", data) == 30)

        // Each stored vector is its own nearest: row-i first for query i, from both formats.
        let queries = [4, 11, 29]
        let jsonQueries = queries.map { Self.json(records[$0].vector) }.joined(separator: "\n") + "\n"
        try Data(jsonQueries.utf8).write(to: URL(fileURLWithPath: scratch.file("queries.jsonl")))
        try FVecs.encode(queries.map { records[$0].vector }).write(to: URL(fileURLWithPath: scratch.file("queries.fvecs")))
        for file in ["queries.jsonl", "queries.fvecs"] {
            let searched = try Self.run(["search", "vecs", "--queries", scratch.file(file), "-k", "3", "--json"], environment: environment)
            try searched.expectSuccess()
            let answers = try searched.jsonLines()
            let numbers: [Int] = answers.map { Self.int($0, "query") }
            #expect(numbers == [0, 1, 2], "\(file)")
            for (answer, row) in zip(answers, queries) {
                let ids: [String] = Self.hits(answer).map { Self.string($0, "id") }
                #expect(ids.count == 3, "\(file): \(answer)")
                #expect(ids.first == "row-\(row)", "\(file): \(answer)")
            }
        }

        let listed = try Self.run(["list", "--json"], environment: environment)
        try listed.expectSuccess()
        let names = (try listed.jsonLines().first ?? [:])["collections"] as? [String]
        #expect(names == ["vecs"])

        try Self.run(["delete", "vecs", "row-1", "row-2", "row-3", "row-4"], environment: environment).expectSuccess()
        let compacted = try Self.run(["compact", "vecs", "--json"], environment: environment)
        try compacted.expectSuccess()
        let done = try #require(try compacted.jsonLines().last)
        #expect(Self.string(done, "event") == "done", "\(done)")
        #expect(Self.int(done, "removed") == 4, "\(done)")
        #expect(Self.int(done, "live") == 26, "\(done)")
        let stats = try Self.run(["stats", "vecs", "--json"], environment: environment)
        try stats.expectSuccess()
        let figures = try #require(try stats.jsonLines().first)
        #expect(Self.int(figures, "live") == 26, "\(figures)")
        #expect(Self.int(figures, "deleted") == 0, "\(figures)")
        #expect(Self.int(figures, "shards") == 2, "\(figures)")
        try Self.run(["verify", "vecs"], environment: environment).expectSuccess()

        try Self.run(["drop", "vecs", "--yes"], environment: environment).expectSuccess()
        #expect(try Self.run(["list"], environment: environment).stdout.isEmpty)
    }

    @Test("a malformed line stops the import, naming the line; what came before it stays stored")
    func malformedLine() throws {
        let scratch = TemporaryDirectory("semblance-cli")
        let data = scratch.file("data")
        try Self.run(["create", "docs", "--path", data, "--dimension", "4"]).expectSuccess()
        let text = """
            {"id": "a", "vector": [1, 0, 0, 0]}
            {"id": "b", "vector": [0, 1, 0, 0]}
            {"id": "c", "vector": [0, 0, 1,
            {"id": "d", "vector": [0, 0, 0, 1]}

            """
        try Data(text.utf8).write(to: URL(fileURLWithPath: scratch.file("bad.jsonl")))
        let run = try Self.run(["import", "docs", scratch.file("bad.jsonl"), "--path", data, "--batch-size", "1000"])
        try run.expectOneLineFailure(mentioning: "line 3")
        #expect(run.stderr.contains("2 records before line 3 are stored"), "stderr: \(run.stderr)")
        #expect(try Self.live("docs", data) == 2)
        try Self.run(["verify", "docs", "--path", data]).expectSuccess()
    }

    @Test("verify: a torn log tail is reported but sound; a damaged log frame fails naming the log")
    func verifyLogs() throws {
        let scratch = TemporaryDirectory("semblance-cli")
        let data = scratch.file("data")
        try Self.run(["create", "docs", "--path", data, "--dimension", "\(Self.dimension)"]).expectSuccess()
        try Self.writeJSONLines(Self.records(count: 10, seed: Self.seed ^ 2), to: scratch.file("docs.jsonl"), metadataEvery: 0)
        try Self.run(["import", "docs", scratch.file("docs.jsonl"), "--path", data, "--no-checkpoint"]).expectSuccess()
        let log = scratch.file("data/docs/wal/main/shard-0.log")

        // Five bytes after the last frame: an append cut short, which the next open drops.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([1, 2, 3, 4, 5]))
        try handle.close()
        let torn = try Self.run(["verify", "docs", "--path", data, "--json"])
        try torn.expectSuccess()
        let report = (try torn.jsonLines().first ?? [:])["report"] as? [String: Any] ?? [:]
        #expect(Self.int(report, "tornTailBytes") == 5, "\(report)")
        #expect(Self.int(report, "logRecords") == 10, "\(report)")

        // A flipped bit inside the first frame's payload (after the 32-byte file header and
        // the 32-byte frame header) is damage.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: log))
        bytes[70] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: log))
        try Self.run(["verify", "docs", "--path", data]).expectOneLineFailure(mentioning: log)
    }

    /// Bad inputs: each gives a non-zero exit and exactly one line on standard error. `DATA`
    /// stands for the data directory, `FILE` for a file holding the entry's content.
    static let badInputs: [(label: String, arguments: [String], file: String?, mentions: String)] = [
        ("unknown collection", ["stats", "nope", "--path", "DATA"], nil, "no collection named \"nope\""),
        ("a name that climbs out", ["create", "../x", "--dimension", "4", "--path", "DATA"], nil, "../x"),
        ("a name that climbs out, on an existing command", ["search", "../x", "--vector", "[1,0,0,0]", "--path", "DATA"], nil, "../x"),
        ("malformed JSON", ["import", "docs", "FILE", "--path", "DATA"], "{\"id\": \"a\", \"vector\": [1, 0,\n", "line 1"),
        ("a vector of the wrong dimension", ["import", "docs", "FILE", "--path", "DATA"], "{\"id\": \"a\", \"vector\": [1, 0, 0]}\n", "dimension is 4"),
        ("a trailing comma", ["import", "docs", "FILE", "--path", "DATA"], "{\"id\": \"a\", \"vector\": [1, 0, 0, 0],}\n",
         "line 1: not valid JSON: a trailing comma before the '}' at column 36; nothing was imported"),
        ("a key twice in metadata", ["import", "docs", "FILE", "--path", "DATA"], "{\"id\": \"a\", \"vector\": [1, 0, 0, 0], \"metadata\": {\"k\": 1, \"k\": 2}}\n",
         "line 1: not valid JSON: the key \"k\" appears twice in one object"),
        ("metadata nested too deep", ["import", "docs", "FILE", "--path", "DATA"],
         "{\"id\": \"a\", \"vector\": [1, 0, 0, 0], \"metadata\": " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "}\n",
         "line 1: metadata nests deeper than the limit of 16 levels"),
        ("a query of the wrong dimension", ["search", "docs", "--vector", "[1, 0]", "--path", "DATA"], nil, "dimension is 4"),
        ("an .fvecs row of the wrong dimension", ["import", "docs", "FILE.fvecs", "--path", "DATA"], nil, "dimension is 4"),
        ("a missing file", ["import", "docs", "no-such-file.jsonl", "--path", "DATA"], nil, "no such file"),
        ("a directory to import", ["import", "docs", "DATA", "--path", "DATA"], nil, "is a directory, not a file"),
        // A negative number is the option's value (not a missing one), then out of range.
        ("--dimension -4", ["create", "docs2", "--dimension", "-4", "--path", "DATA"], nil, "--dimension must be between 1 and 65536, got -4"),
        ("--shards -1", ["create", "docs2", "--dimension", "4", "--shards", "-1", "--path", "DATA"], nil, "--shards must be between 1 and 256, got -1"),
        ("--m -2", ["create", "docs2", "--dimension", "4", "--m", "-2", "--path", "DATA"], nil, "--m must be between 2 and 256, got -2"),
        ("--ef-construction -1", ["create", "docs2", "--dimension", "4", "--ef-construction", "-1", "--path", "DATA"], nil,
         "--ef-construction must be between 1 and 100000, got -1"),
        ("create --ef -3", ["create", "docs2", "--dimension", "4", "--ef", "-3", "--path", "DATA"], nil, "--ef must be between 1 and 100000, got -3"),
        ("--sync-interval -1", ["create", "docs2", "--dimension", "4", "--durability", "periodic", "--sync-interval", "-1", "--path", "DATA"], nil,
         "--sync-interval must be between 0.001 and 86400 seconds, got -1.0"),
        ("--sync-interval 1e16", ["create", "docs2", "--dimension", "4", "--durability", "periodic", "--sync-interval", "1e16", "--path", "DATA"], nil,
         "--sync-interval must be between 0.001 and 86400 seconds, got 1e+16"),
        ("-k -5", ["search", "docs", "--vector", "[1, 0, 0, 0]", "-k", "-5", "--path", "DATA"], nil, "-k must be at least 1, got -5"),
        ("--k -5", ["search", "docs", "--vector", "[1, 0, 0, 0]", "--k", "-5", "--path", "DATA"], nil, "-k must be at least 1, got -5"),
        ("search --ef -2", ["search", "docs", "--vector", "[1, 0, 0, 0]", "--ef", "-2", "--path", "DATA"], nil, "--ef must be at least 1, got -2"),
        ("--batch-size -3", ["import", "docs", "FILE", "--batch-size", "-3", "--path", "DATA"], "", "--batch-size must be between 1 and 100000, got -3"),
        ("demo --k -5", ["demo", "--k", "-5", "--path", "DATA"], nil, "--k must be between 1 and 1000, got -5"),
        ("demo --ef -1", ["demo", "--ef", "-1", "--path", "DATA"], nil, "--ef must be between 1 and 10000, got -1"),
        ("demo --queries -1", ["demo", "--queries", "-1", "--path", "DATA"], nil, "--queries must be between 0 and 100, got -1"),
        ("an unknown subcommand", ["frobnicate"], nil, "'frobnicate'"),
        ("a missing required option", ["create", "docs2", "--path", "DATA"], nil, "--dimension"),
        ("an existing collection", ["create", "docs", "--dimension", "4", "--path", "DATA"], nil, "already exists"),
    ]

    @Test("bad input: exit status not 0, one line on stderr", arguments: badInputs.indices)
    func badInput(_ i: Int) throws {
        let (label, template, content, mentions) = Self.badInputs[i]
        let scratch = TemporaryDirectory("semblance-cli")
        let data = scratch.file("data")
        try Self.run(["create", "docs", "--path", data, "--dimension", "4"]).expectSuccess()
        var arguments = template.map { $0 == "DATA" ? data : $0 }
        if let at = arguments.firstIndex(where: { $0.hasPrefix("FILE") }) {
            let path = scratch.file("input" + arguments[at].dropFirst(4))
            if path.hasSuffix(".fvecs") {
                try FVecs.encode([[1, 2, 3]]).write(to: URL(fileURLWithPath: path))
            } else {
                try Data((content ?? "").utf8).write(to: URL(fileURLWithPath: path))
            }
            arguments[at] = path
        }
        let run = try Self.run(arguments)
        try run.expectOneLineFailure(mentioning: mentions, label)
        #expect(try Self.live("docs", data) == 0, "\(label) stored something")
        #expect(!FileManager.default.fileExists(atPath: scratch.file("x")), "\(label) created a folder outside the directory")
    }

    @Test("a negative --max-distance is a value, not a missing one (distances are negative under dot)")
    func negativeMaxDistance() throws {
        let scratch = TemporaryDirectory("semblance-cli")
        let data = scratch.file("data")
        try Self.run(["create", "dots", "--path", data, "--dimension", "2", "--metric", "dot"]).expectSuccess()
        try Data("{\"id\": \"near\", \"vector\": [2, 0]}\n{\"id\": \"far\", \"vector\": [0.1, 0]}\n".utf8)
            .write(to: URL(fileURLWithPath: scratch.file("dots.jsonl")))
        try Self.run(["import", "dots", scratch.file("dots.jsonl"), "--path", data]).expectSuccess()
        let searched = try Self.run(["search", "dots", "--path", data, "--vector", "[1, 0]", "--max-distance", "-0.5", "--json"])
        try searched.expectSuccess()
        #expect(Self.hits(try #require(try searched.jsonLines().first)).map { Self.string($0, "id") } == ["near"], "\(searched)")
        // The same cut as a similarity (the inner product, at least 0.5); patience is taken.
        let similar = try Self.run(["search", "dots", "--path", data, "--vector", "[1, 0]", "--min-similarity", "0.5", "--patience", "3", "--json"])
        try similar.expectSuccess()
        #expect(Self.hits(try #require(try similar.jsonLines().first)).map { Self.string($0, "id") } == ["near"], "\(similar)")
        try Self.run(["search", "dots", "--path", data, "--vector", "[1, 0]", "--patience", "0"]).expectOneLineFailure(mentioning: "--patience must be at least 1")
    }

    @Test(".fvecs cut inside a row: exactly the rows before it are stored, and the error says where the file ends")
    func truncatedFVecs() throws {
        let scratch = TemporaryDirectory("semblance-cli")
        let data = scratch.file("data")
        try Self.run(["create", "vecs", "--path", data, "--dimension", "\(Self.dimension)", "--metric", "euclidean"]).expectSuccess()
        let rows = Self.records(count: 30, seed: Self.seed ^ 7).map(\.vector)
        let whole = FVecs.encode(rows)
        let rowBytes = 4 + 4 * Self.dimension
        // Cut 12 bytes into row 30 (its dimension and two components), then inside a dimension.
        for (cut, message) in [(whole + FVecs.encode([rows[0]]).prefix(12), "the file ends at byte offset \(30 * rowBytes + 12), 12 bytes into this row of \(rowBytes) bytes"),
                               (whole + FVecs.encode([rows[0]]).prefix(2), "the file ends at byte offset \(30 * rowBytes + 2), inside this row's 4-byte dimension")] {
            try Data(cut).write(to: URL(fileURLWithPath: scratch.file("cut.fvecs")))
            let run = try Self.run(["import", "vecs", scratch.file("cut.fvecs"), "--path", data, "--batch-size", "4", "--json"])
            // Under --json the error is a JSON object on stderr.
            let error = try run.jsonError()
            #expect(Self.string(error, "code") == "invalidFile", "\(run)")
            #expect(Self.string(error, "message") == "\(scratch.file("cut.fvecs")) row 30 (byte offset \(30 * rowBytes)): \(message)"
                + "; the 30 records before row 30 are stored, nothing after it", "\(run)")
            // Every batch acknowledged, the last at row 29.
            let acknowledged: [Int] = try run.jsonLines().map { Self.int($0, "acknowledged") }
            #expect(acknowledged == [4, 8, 12, 16, 20, 24, 28, 30], "\(run)")
            #expect(try Self.live("vecs", data) == 30)
        }
    }

    @Test("a failed checkpoint after an import says how many records are stored")
    func failedCheckpoint() throws {
        let scratch = TemporaryDirectory("semblance-cli")
        let data = scratch.file("data")
        try Self.run(["create", "vecs", "--path", data, "--dimension", "\(Self.dimension)", "--metric", "euclidean"]).expectSuccess()
        try FVecs.encode(Self.records(count: 30, seed: Self.seed ^ 8).map(\.vector)).write(to: URL(fileURLWithPath: scratch.file("in.fvecs")))
        // A folder where the checkpoint will write the page of the 30 ids makes that write fail.
        let ids = ObjectHash(of: PageObject.encodeIDs((0..<30).map { "row-\($0)" }))
        let blocker = data + "/vecs/objects/" + ids.hex.prefix(2) + "/" + ids.hex.dropFirst(2)
        try FileManager.default.createDirectory(atPath: blocker, withIntermediateDirectories: true)
        let run = try Self.run(["import", "vecs", scratch.file("in.fvecs"), "--id-prefix", "row-", "--path", data])
        try run.expectOneLineFailure(mentioning: "the checkpoint after the import failed: ")
        #expect(run.stderr.contains("; the 30 records through row 29 are stored (in the write-ahead log"), "\(run)")
        try FileManager.default.removeItem(atPath: blocker)
        #expect(try Self.live("vecs", data) == 30)
    }

    @Test("a directory that does not exist is an error, not created")
    func missingDirectory() throws {
        let scratch = TemporaryDirectory("semblance-cli")
        let run = try Self.run(["list", "--path", scratch.file("nowhere")])
        try run.expectOneLineFailure(mentioning: "nowhere")
        #expect(!FileManager.default.fileExists(atPath: scratch.file("nowhere")))
    }

    // MARK: Running the tool

    /// What one run of the tool did.
    struct Run: CustomStringConvertible {
        var arguments: [String]
        var status: Int32
        var stdout: String
        var stderr: String

        var stdoutLines: [Substring] { stdout.split(separator: "\n") }
        var stderrLines: [Substring] { stderr.split(separator: "\n") }

        var description: String { "semblance \(arguments.joined(separator: " ")): exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }

        func expectSuccess(allowingStderr: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) throws {
            try #require(status == 0, "\(self)", sourceLocation: sourceLocation)
            if !allowingStderr { #expect(stderr.isEmpty, "\(self)", sourceLocation: sourceLocation) }
        }

        func expectOneLineFailure(mentioning fragment: String, _ label: String = "", sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(status != 0, "\(label): \(self)", sourceLocation: sourceLocation)
            #expect(stderrLines.count == 1, "\(label): not one line on stderr: \(self)", sourceLocation: sourceLocation)
            #expect(stderr.hasPrefix("semblance: error: "), "\(label): \(self)", sourceLocation: sourceLocation)
            #expect(stderr.contains(fragment), "\(label): stderr does not mention \(fragment): \(self)", sourceLocation: sourceLocation)
        }

        /// Standard output as JSON objects, one per line.
        func jsonLines() throws -> [[String: Any]] {
            try stdoutLines.map { line in
                guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw CLITestError("not a JSON object: \(line)")
                }
                return object
            }
        }

        /// The `--json` error: standard error as exactly one JSON object `{"error": {...}}`,
        /// and its `error` member.
        func jsonError(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
            #expect(status != 0, "\(self)", sourceLocation: sourceLocation)
            try #require(stderrLines.count == 1, "not one line on stderr: \(self)", sourceLocation: sourceLocation)
            let object = try JSONSerialization.jsonObject(with: Data(stderr.utf8)) as? [String: Any]
            try #require(object?.count == 1, "not one member: \(self)", sourceLocation: sourceLocation)
            return try #require(object?["error"] as? [String: Any], "no error object: \(self)", sourceLocation: sourceLocation)
        }
    }

    /// Runs the tool to its end; its output goes to files (no pipe to fill up). Standard
    /// input is empty, and not a terminal, unless `standardInput` is given.
    static func run(_ arguments: [String], environment: [String: String] = [:], standardInput: FileHandle? = nil) throws -> Run {
        let output = TemporaryDirectory("semblance-cli-run")
        let process = Process()
        process.executableURL = try binaryURL()
        process.arguments = arguments
        var variables = ProcessInfo.processInfo.environment.merging(["SWIFT_BACKTRACE": "enable=no"]) { $1 }
        variables["SEMBLANCE_PATH"] = nil
        variables["SEMBLANCE_LOG"] = nil
        process.environment = variables.merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: output.file("out"), contents: nil)
        _ = FileManager.default.createFile(atPath: output.file("err"), contents: nil)
        let stdout = try FileHandle(forWritingTo: URL(fileURLWithPath: output.file("out")))
        let stderr = try FileHandle(forWritingTo: URL(fileURLWithPath: output.file("err")))
        defer {
            try? stdout.close()
            try? stderr.close()
        }
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = standardInput ?? FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return Run(arguments: arguments, status: process.terminationStatus,
                   stdout: try String(contentsOfFile: output.file("out"), encoding: .utf8),
                   stderr: try String(contentsOfFile: output.file("err"), encoding: .utf8))
    }

    /// The tool's binary: `SEMBLANCE_CLI`, else next to the test executable or bundle.
    static func binaryURL() throws -> URL {
        try BuiltProduct.url(named: "semblance", environmentVariable: "SEMBLANCE_CLI",
                             hint: "It is built with the tests (`swift build --build-tests`).")
    }

    // MARK: Data

    static func records(count: Int, seed: UInt64) -> [(id: String, vector: [Float])] {
        var random = SeededGenerator(seed: seed)
        return (0..<count).map { i in
            let vector: [Float] = (0..<dimension).map { _ in random.nextGaussian() }
            return (id: "doc-\(i)", vector: vector)
        }
    }

    /// One JSON object per line; every `metadataEvery`-th record (from the first) has metadata (0: none).
    static func writeJSONLines(_ records: [(id: String, vector: [Float])], to path: String, metadataEvery: Int) throws {
        var text = ""
        for (i, record) in records.enumerated() {
            let metadata = metadataEvery > 0 && i % metadataEvery == 0 ? ", \"metadata\": {\"title\": \"Doc \\\"\(i)\\\"\", \"tags\": [1, 2]}" : ""
            text += "{\"id\": \"\(record.id)\", \"vector\": \(json(record.vector))\(metadata)}\n"
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    static func json(_ vector: [Float]) -> String {
        "[" + vector.map { "\($0)" }.joined(separator: ", ") + "]"
    }

    static func normalized(_ vector: [Float]) -> [Float] {
        var sum: Float = 0
        for x in vector { sum += x * x }
        let norm = sum.squareRoot()
        return vector.map { $0 / norm }
    }

    // MARK: Reading JSON

    static func string(_ object: [String: Any], _ key: String) -> String { object[key] as? String ?? "" }
    static func int(_ object: [String: Any], _ key: String) -> Int { (object[key] as? NSNumber)?.intValue ?? -1 }
    static func double(_ object: [String: Any], _ key: String) -> Double { (object[key] as? NSNumber)?.doubleValue ?? .nan }
    static func hits(_ answer: [String: Any]) -> [[String: Any]] { answer["hits"] as? [[String: Any]] ?? [] }

    /// The live count `stats --json` reports.
    static func live(_ name: String, _ data: String) throws -> Int {
        let run = try Self.run(["stats", name, "--path", data, "--json"])
        try run.expectSuccess()
        return int(try run.jsonLines().first ?? [:], "live")
    }

    /// Every file under `directory`, as full paths.
    static func files(under directory: String) throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: directory).compactMap { path in
            var isDirectory: ObjCBool = false
            let full = directory + "/" + path
            return FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory) && !isDirectory.boolValue ? full : nil
        }
    }
}

struct CLITestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
