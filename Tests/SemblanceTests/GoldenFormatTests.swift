import Foundation
import Testing
@testable import Semblance

/// Files written by an earlier build must keep opening, exactly (docs/file-format.md).
///
/// `Fixtures/golden-v5/` is a small collection written once, by the generator below, and
/// committed: 4-dimensional vectors in 2 shards, one checkpoint, then more logged writes,
/// so that opening it reads page objects, a commit and a ref, and replays both logs.
/// `Fixtures/worked-example-v3.log` is the log shown byte by byte in the spec. (Formats 1 to 4 of
/// the collection were never released: no reader for them is kept.)
///
/// To regenerate them (only when the format version changes; an unreleased version's
/// directory is replaced, since no reader for it is kept):
///
///     SEMBLANCE_WRITE_GOLDEN=1 swift test --filter GoldenFormatTests
///
/// The commit records the wall-clock time, so a regenerated commit has another hash.
@Suite("Golden files: a collection written by format version 5 opens exactly")
struct GoldenFormatTests {
    let fs = PosixFileSystem()

    static let configuration = CollectionConfiguration(
        dimension: 4, metric: .squaredEuclidean, shardCount: 2, m: 4, efConstruction: 16, defaultEf: 16, checkpointPolicy: .manual)
    static let shardCount = 2
    static let golden = "golden-v5"

    // MARK: The workload that wrote the golden collection

    enum Step {
        case upsert([(id: String, vector: [Float])])
        case delete([String])
        case checkpoint
    }

    /// Exact binary fractions, so every component round-trips through any decimal printing.
    static func vector(_ i: Int, version: Int = 0) -> [Float] {
        [Float(i) / 4, Float(i % 5) - 2, Float(version) / 2, Float((i * 3) % 7) / 8]
    }

    static func id(_ i: Int) -> String { "r" + (i < 10 ? "0" : "") + String(i) }

    static let steps: [Step] = [
        .upsert((0..<24).map { (id: id($0), vector: vector($0)) }),
        .delete(["r03", "r17", "absent"]),
        .upsert([(id: "r05", vector: vector(5, version: 1))]),
        .checkpoint,
        // Mostly zeros: these frames compress.
        .upsert((24..<36).map { (id: id($0), vector: [Float($0) / 4, 0, 0, 0]) }),
        .upsert([(id: "r07", vector: vector(7, version: 2))]),
        .delete(["r10", "r30"]),
        .upsert([(id: "r03", vector: vector(3, version: 3))]),
    ]

    /// The live records the golden collection holds, written out by hand.
    static let expectedRecords: [String: [Float]] = [
        "r00": [0.0, -2.0, 0.0, 0.0],
        "r01": [0.25, -1.0, 0.0, 0.375],
        "r02": [0.5, 0.0, 0.0, 0.75],
        "r03": [0.75, 1.0, 1.5, 0.25],
        "r04": [1.0, 2.0, 0.0, 0.625],
        "r05": [1.25, -2.0, 0.5, 0.125],
        "r06": [1.5, -1.0, 0.0, 0.5],
        "r07": [1.75, 0.0, 1.0, 0.0],
        "r08": [2.0, 1.0, 0.0, 0.375],
        "r09": [2.25, 2.0, 0.0, 0.75],
        "r11": [2.75, -1.0, 0.0, 0.625],
        "r12": [3.0, 0.0, 0.0, 0.125],
        "r13": [3.25, 1.0, 0.0, 0.5],
        "r14": [3.5, 2.0, 0.0, 0.0],
        "r15": [3.75, -2.0, 0.0, 0.375],
        "r16": [4.0, -1.0, 0.0, 0.75],
        "r18": [4.5, 1.0, 0.0, 0.625],
        "r19": [4.75, 2.0, 0.0, 0.125],
        "r20": [5.0, -2.0, 0.0, 0.5],
        "r21": [5.25, -1.0, 0.0, 0.0],
        "r22": [5.5, 0.0, 0.0, 0.375],
        "r23": [5.75, 1.0, 0.0, 0.75],
        "r24": [6.0, 0.0, 0.0, 0.0],
        "r25": [6.25, 0.0, 0.0, 0.0],
        "r26": [6.5, 0.0, 0.0, 0.0],
        "r27": [6.75, 0.0, 0.0, 0.0],
        "r28": [7.0, 0.0, 0.0, 0.0],
        "r29": [7.25, 0.0, 0.0, 0.0],
        "r31": [7.75, 0.0, 0.0, 0.0],
        "r32": [8.0, 0.0, 0.0, 0.0],
        "r33": [8.25, 0.0, 0.0, 0.0],
        "r34": [8.5, 0.0, 0.0, 0.0],
        "r35": [8.75, 0.0, 0.0, 0.0],
    ]

    /// The shard of an id, computed here from the spec: FNV-1a (64-bit) of its UTF-8 bytes,
    /// modulo the shard count.
    static func shard(of id: String) -> Int {
        var hash: UInt64 = 14_695_981_039_346_656_037
        for byte in id.utf8 { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
        return Int(hash % UInt64(shardCount))
    }

    /// What the steps log, per shard: the records of each frame, before the checkpoint and
    /// after it. Deletes of ids that do not exist are not logged.
    static func loggedFrames() -> (before: [[[LogRecord]]], after: [[[LogRecord]]]) {
        var before = [[[LogRecord]]](repeating: [], count: shardCount)
        var after = before
        var live = Set<String>()
        var afterCheckpoint = false
        for step in steps {
            var perShard = [[LogRecord]](repeating: [], count: shardCount)
            switch step {
            case .checkpoint:
                afterCheckpoint = true
                continue
            case .upsert(let records):
                for record in records {
                    live.insert(record.id)
                    perShard[shard(of: record.id)].append(.upsert(id: record.id, vector: record.vector))
                }
            case .delete(let ids):
                for id in ids where live.remove(id) != nil { perShard[shard(of: id)].append(.delete(id: id)) }
            }
            for s in 0..<shardCount where !perShard[s].isEmpty {
                if afterCheckpoint { after[s].append(perShard[s]) } else { before[s].append(perShard[s]) }
            }
        }
        return (before, after)
    }

    /// Ids in node order at the checkpoint, per shard: every upsert appends a node (a replaced
    /// or deleted one stays as a tombstone). Returns (id, deleted) pairs.
    static func nodesAtCheckpoint() -> [[(id: String, deleted: Bool)]] {
        var nodes = [[(id: String, deleted: Bool)]](repeating: [], count: shardCount)
        func tombstone(_ id: String) {
            let s = shard(of: id)
            if let i = nodes[s].lastIndex(where: { $0.id == id && !$0.deleted }) { nodes[s][i].deleted = true }
        }
        for step in steps {
            switch step {
            case .checkpoint: return nodes
            case .upsert(let records):
                for record in records {
                    tombstone(record.id)
                    nodes[shard(of: record.id)].append((record.id, false))
                }
            case .delete(let ids): ids.forEach(tombstone)
            }
        }
        return nodes
    }

    // MARK: Locating and copying the fixtures

    static func fixture(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return url.appendingPathComponent(name).path
    }

    /// A writable copy of the golden collection (opening takes the lock and may truncate).
    func goldenCopy(_ directory: TemporaryDirectory) throws -> String {
        let copy = directory.file(Self.golden)
        try FileManager.default.copyItem(atPath: try Self.fixture(Self.golden), toPath: copy)
        return copy
    }

    // MARK: Tests

    @Test("the golden collection opens with exactly the expected records, counts and head")
    func opensExactly() throws {
        let directory = TemporaryDirectory()
        let path = try goldenCopy(directory)
        let store = try OnDisk(fs, path)
        defer { store.close() }
        #expect(store.configuration == StoredConfiguration(id: store.configuration.collectionID, configuration: Self.configuration))
        #expect(store.configuration.format == 5)
        #expect(store.opened.droppedTornBytes == 0 && store.opened.droppedFrames == 0)
        #expect(store.vectors == Self.expectedRecords)
        #expect(store.shards.reduce(0) { $0 + $1.count } == 33)
        // Nodes: 24 + 1 before the checkpoint, 12 + 1 + 1 after; 6 tombstones.
        #expect(store.shards.reduce(0) { $0 + $1.nodeCount } == 39)
        #expect(store.shards.reduce(0) { $0 + $1.deletedCount } == 6)
        for (s, shard) in store.shards.enumerated() {
            #expect(shard.invariantViolations().isEmpty)
            for record in shard.records { #expect(Self.shard(of: record.id) == s, "\(record.id) in shard \(s)") }
        }
        // The graph was read, not rebuilt: every live vector finds itself at distance 0.
        for (id, vector) in Self.expectedRecords {
            let hit = try store.shards[Self.shard(of: id)].search(vector, k: 1, ef: 64)
            #expect(hit.first?.distance == 0 && hit.first.flatMap { Self.expectedRecords[$0.id] } == vector, "\(id)")
        }
        let ref = try String(contentsOfFile: path + "/refs/heads/main", encoding: .utf8)
        #expect(store.head.map { $0.hex + "\n" } == ref)
    }

    @Test("the golden collection accepts writes, and a checkpoint of it reopens identically")
    func writableAfterOpen() async throws {
        let directory = TemporaryDirectory()
        let path = try goldenCopy(directory)
        let engine = try CollectionEngine.open(fs, directory: path)
        try await engine.upsert([VectorRecord(id: "new", vector: [1, 2, 3, 4])])
        try await engine.delete(["r00"])
        var expected = Self.expectedRecords
        expected["new"] = [1, 2, 3, 4]
        expected["r00"] = nil
        let oldHead = try #require(engine.headCommit.flatMap(ObjectHash.init(hex:)))
        _ = try await engine.checkpoint(message: "after golden")
        await engine.close()
        let store = try OnDisk(fs, path)
        #expect(store.vectors == expected)
        let commit = try CommitObject.decode(try store.opened.store.objects.get(try #require(store.head)), file: "head")
        #expect(commit.parents == [oldHead])
        store.close()
    }

    @Test("the golden logs decode: headers, frame checksums, sequence numbers, raw and LZ4 payloads")
    func logsDecode() throws {
        let path = try Self.fixture(Self.golden)
        let configuration = try StoredConfiguration.decode(try fs.readFile(path + "/config.json"), path: "config.json")
        let head = try #require(try Refs(fs: fs, directory: path + "/refs").read(.branch, "main"))
        let commit = try CommitObject.decode(try ObjectStore(fs: fs, directory: path + "/objects").get(head), file: "head")
        let expectedFrames = Self.loggedFrames().after
        var compressedFrames = 0
        var rawFrames = 0
        for shard in 0..<Self.shardCount {
            let logPath = path + "/wal/main/shard-\(shard).log"
            let contents = try LogReader.read(fs, path: logPath, maximumDimension: 4)
            #expect(contents.header == LogFormat.FileHeader(
                identity: LogIdentity(collectionID: configuration.collectionID, branch: "main"), shard: UInt32(shard),
                baseCommit: head, startSequence: commit.shards[shard].appliedSequence + 1))
            #expect(contents.frames.map(\.records) == expectedFrames[shard])
            #expect(contents.tornTailBytes == 0)

            // The same bytes, taken apart by hand as the spec describes them.
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: logPath)))
            func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } }
            func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * $1) } }
            #expect(Array(bytes[0..<8]) == Array("SMBLWAL\0".utf8))
            #expect(u32(8) == 3 && u32(12) == UInt32(shard) && u64(16) == contents.header.startSequence)
            #expect(Array(bytes[24..<40]) == configuration.collectionID.bytes && Array(bytes[40..<72]) == head.bytes)
            #expect(Array(bytes[72..<76]) == Array("main".utf8) && bytes[76..<136].allSatisfy { $0 == 0 })
            #expect(u32(136) == CRC32C.checksum(bytes[0..<136]) && u32(140) == 0)
            var offset = 144
            var sequence = contents.header.startSequence
            var group: UInt64 = 0
            for frame in expectedFrames[shard] {
                let stored = Int(u32(offset + 8))
                let raw = Int(u32(offset + 12))
                #expect(u32(offset) == 0x5246_4D53 && Array(bytes[offset..<(offset + 4)]) == Array("SMFR".utf8))
                #expect(u32(offset + 4) == CRC32C.checksum(bytes[(offset + 8)..<(offset + 72)]))
                #expect(u64(offset + 16) == sequence && u32(offset + 24) == UInt32(frame.count))
                #expect(u32(offset + 28) == CRC32C.checksum(bytes[(offset + 72)..<(offset + 72 + stored)]))
                // The group number grows; the participant bits include this shard.
                #expect(u64(offset + 32) > group && bytes[offset + 40] & (1 << UInt8(shard)) != 0 && bytes[(offset + 41)..<(offset + 72)].allSatisfy { $0 == 0 })
                group = u64(offset + 32)
                var payload = ByteWriter()
                for record in frame { record.encode(into: &payload) }
                #expect(raw == payload.bytes.count)
                if stored < raw {
                    compressedFrames += 1
                    let inflated = try LZ4.decompress(Array(bytes[(offset + 72)..<(offset + 72 + stored)]), size: raw, limit: raw)
                    #expect(inflated == payload.bytes)
                } else {
                    rawFrames += 1
                    #expect(stored == raw && Array(bytes[(offset + 72)..<(offset + 72 + stored)]) == payload.bytes)
                }
                offset += 72 + stored
                sequence += UInt64(frame.count)
            }
            #expect(offset == bytes.count)
        }
        #expect(compressedFrames >= 1 && rawFrames >= 1, "the golden logs hold both kinds of frame")
    }

    @Test("the golden pages and commit decode: kinds, row counts, ids in node order, tombstones")
    func pagesDecode() throws {
        let path = try Self.fixture(Self.golden)
        let store = ObjectStore(fs: fs, directory: path + "/objects")
        let head = try #require(try Refs(fs: fs, directory: path + "/refs").read(.branch, "main"))
        let commitBytes = try store.get(head)  // checks the SHA-256 name
        let commit = try CommitObject.decode(commitBytes, file: "head")
        #expect(commit.format == 2 && commit.parents.isEmpty && commit.message == "golden v5")
        #expect(commit.configuration == Self.configuration.index && commit.shards.count == 2)
        let nodes = Self.nodesAtCheckpoint()
        #expect(commit.nodeCount == 25 && commit.liveCount == 22)
        #expect(commit.nodeCount == nodes.joined().count && commit.liveCount == nodes.joined().filter { !$0.deleted }.count)
        let m = Self.configuration.m
        for (s, manifest) in commit.shards.enumerated() {
            #expect(manifest.nodeCount == nodes[s].count)
            #expect(manifest.liveCount == nodes[s].filter { !$0.deleted }.count)
            // Sequence numbers start at 1 in each shard; the commit includes every record logged before it.
            #expect(manifest.appliedSequence == UInt64(Self.loggedFrames().before[s].joined().count))
            func rows(_ hashes: [ObjectHash], _ kind: PageObject.Kind, rowBytes: Int) throws -> Int {
                var total = 0
                for hash in hashes {
                    let bytes = try store.get(hash)
                    #expect(Array(bytes[0..<8]) == Array("SMBLPAGE".utf8))
                    let (count, payload) = try PageObject.decode(bytes, kind: kind, file: store.path(of: hash))
                    #expect(payload.count == count * rowBytes)
                    total += count
                }
                return total
            }
            #expect(try rows(manifest.vectors, .vectors, rowBytes: 16 * 4) == manifest.nodeCount)
            #expect(try rows(manifest.level0Links, .level0Links, rowBytes: (2 * m + 1) * 4) == manifest.nodeCount)
            #expect(try rows(manifest.upperLinks, .upperLinks, rowBytes: (m + 1) * 4) == manifest.upperRowCount)
            #expect(try rows(manifest.nodeRecords, .nodeRecords, rowBytes: 8) == manifest.nodeCount)
            var ids: [String] = []
            for hash in manifest.ids { ids += try PageObject.decodeIDs(try store.get(hash), file: store.path(of: hash)) }
            #expect(ids == nodes[s].map(\.id))
            // Node records: upperStart u32, level u8, flags u8 (bit 0: deleted), reserved u16.
            let recordPage = try PageObject.decode(try store.get(manifest.nodeRecords[0]), kind: .nodeRecords, file: "records").payload
            var upperRows = 0
            for (node, expected) in nodes[s].enumerated() {
                let level = Int(recordPage[node * 8 + 4])
                #expect(recordPage[node * 8 + 5] == (expected.deleted ? 1 : 0), "node \(node) of shard \(s)")
                #expect(recordPage[node * 8 + 6] == 0 && recordPage[node * 8 + 7] == 0)
                upperRows += level
            }
            #expect(upperRows == manifest.upperRowCount)
        }
    }

    @Test("an unreleased older config.json (format 4, before readers' leases) is refused with unsupportedFormatVersion")
    func olderVersionRefused() throws {
        let directory = TemporaryDirectory()
        let path = try goldenCopy(directory)
        let file = path + "/config.json"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("\"format\" : 5"))
        try text.replacingOccurrences(of: "\"format\" : 5", with: "\"format\" : 4").write(toFile: file, atomically: false, encoding: .utf8)
        do {
            _ = try OnDisk(fs, path)
            Issue.record("a format 4 collection opened")
        } catch {
            #expect(error.code == .unsupportedFormatVersion && error.path == file, "\(error)")
            #expect(error.message.contains("collection format 4 was never released"), "\(error.message)")
        }
    }

    @Test("a newer config.json or log version is refused with unsupportedFormatVersion, naming the file")
    func newerVersionsRefused() throws {
        for target in ["config.json", "wal/main/shard-1.log"] {
            let directory = TemporaryDirectory()
            let path = try goldenCopy(directory)
            let file = path + "/" + target
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
            if target == "config.json" {
                bytes = Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\"format\" : 5", with: "\"format\" : 6").utf8)
            } else {
                bytes[8] = 4  // version, then the header checksum over bytes 0..<136 again
                bytes.replaceSubrange(136..<140, with: withUnsafeBytes(of: CRC32C.checksum(bytes[0..<136]).littleEndian, Array.init))
            }
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            do {
                _ = try OnDisk(fs, path)
                Issue.record("\(target): a newer version opened")
            } catch {
                #expect(error.code == .unsupportedFormatVersion, "\(target): \(error)")
                #expect(error.path == file && error.message.contains(target == "config.json" ? "6" : "4"), "\(error.message)")
            }
        }
    }

    @Test("the worked example of the spec decodes to its records; its header and raw frame re-encode byte for byte")
    func workedExample() throws {
        let path = try Self.fixture("worked-example-v3.log")
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let contents = try LogReader.read(fs, path: path, maximumDimension: 4)
        #expect(contents.header == Self.workedExampleHeader)
        #expect(contents.frames.map(\.firstSequence) == [1, 2])
        #expect(contents.frames.map(\.group) == Self.workedExampleGroups)
        #expect(contents.frames.map(\.records) == Self.workedExample)
        #expect(contents.nextSequence == 4 && contents.validLength == 328 && contents.tornTailBytes == 0)
        // The header and the first frame (stored raw) are exactly what this build writes. The
        // second frame is LZ4: another liblz4 may compress differently, and still read back.
        var encoded = LogFormat.encode(Self.workedExampleHeader)
        encoded += try LogFormat.encodeFrame(Self.workedExample[0], firstSequence: 1, group: Self.workedExampleGroups[0])
        #expect(encoded == Array(bytes[0..<240]))
        #expect(Array(bytes[248..<256]) == [16, 0, 0, 0, 28, 0, 0, 0], "frame 2: 16 bytes stored for 28 raw")
        var raw = ByteWriter()
        for record in Self.workedExample[1] { record.encode(into: &raw) }
        #expect(try LZ4.decompress(Array(bytes[312...]), size: 28, limit: 28) == raw.bytes)
    }

    static let workedExampleHeader = LogFormat.FileHeader(
        identity: LogIdentity(collectionID: CollectionID(bytes: Array(1...16)), branch: "main"), shard: 0, baseCommit: nil, startSequence: 1)
    static let workedExampleGroups = [WriteGroup(number: 1, participants: ShardSet([0])), WriteGroup(number: 3, participants: ShardSet([0]))]

    static let workedExample: [[LogRecord]] = [
        [.upsert(id: "a", vector: [1, 0.5, -2, 0])],
        [.upsert(id: "b", vector: [0, 0, 0, 0.25]), .delete(id: "a")],
    ]

    // MARK: The generator (not run by default)

    @Test("(re)writes the golden fixtures", .enabled(if: ProcessInfo.processInfo.environment["SEMBLANCE_WRITE_GOLDEN"] == "1"))
    func writeGolden() async throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
        let golden = fixtures + "/" + Self.golden
        try? FileManager.default.removeItem(atPath: golden)
        try FileManager.default.createDirectory(atPath: fixtures, withIntermediateDirectories: true)
        let engine = try CollectionEngine.create(fs, directory: golden, configuration: Self.configuration)
        for step in Self.steps {
            switch step {
            case .upsert(let records): try await engine.upsert(records.map { VectorRecord(id: $0.id, vector: $0.vector) })
            case .delete(let ids): try await engine.delete(ids)
            case .checkpoint: _ = try await engine.checkpoint(message: "golden v5")
            }
        }
        await engine.close()
        #expect(try OnDisk(fs, golden).vectors == Self.expectedRecords)

        let example = fixtures + "/worked-example-v3.log"
        try? FileManager.default.removeItem(atPath: example)
        let writer = try LogWriter.create(fs, path: example, header: Self.workedExampleHeader)
        for (batch, group) in zip(Self.workedExample, Self.workedExampleGroups) { try writer.append(batch, group: group, sync: true) }
        writer.close()
    }
}
