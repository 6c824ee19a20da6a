import Foundation
import Testing
@testable import Semblance

/// Damage an adversary can do to a collection's files: each is refused with a typed error
/// naming the file, the files stay exactly as they were, and `verify` agrees with the open.
@Suite("Damage: foreign logs, settings, lost config.json, cut groups")
struct DamageTests {
    static let configuration = CollectionConfiguration(dimension: 4, metric: .squaredEuclidean, shardCount: 2, m: 4,
                                                       efConstruction: 16, checkpointPolicy: .manual)

    static func vector(_ i: Int) -> [Float] { (0..<4).map { Float((i * 5 + $0 * 3) % 17) } }

    /// Every file under `path` (relative path → bytes).
    static func tree(_ path: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for file in try FileManager.default.subpathsOfDirectory(atPath: path) {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path + "/" + file, isDirectory: &isDirectory)
            if !isDirectory.boolValue { files[file] = try Data(contentsOf: URL(fileURLWithPath: path + "/" + file)) }
        }
        return files
    }

    /// A client directory with collection `name`: `count` records, then (optionally) a
    /// checkpoint and `after` more.
    static func make(_ root: String, _ name: String, count: Int, checkpoint: Bool = false, after: Int = 0) async throws {
        let client = try await Client(directory: root)
        let collection = try await client.createCollection(name, configuration: configuration)
        try await collection.upsert((0..<count).map { VectorRecord(id: "\(name)-\($0)", vector: vector($0)) })
        if checkpoint { try await collection.checkpoint() }
        if after > 0 { try await collection.upsert((count..<(count + after)).map { VectorRecord(id: "\(name)-\($0)", vector: vector($0)) }) }
        await client.close()
    }

    /// Opening fails with `.corruptFile` naming `file`, changes nothing, and verify reports it.
    static func expectRefused(_ root: String, _ name: String, naming file: String, saying words: String) async throws {
        let before = try tree(root + "/" + name)
        let client = try await Client(directory: root)
        do {
            _ = try await client.collection(name)
            Issue.record("the collection opened")
        } catch {
            #expect(error.code == .corruptFile, "\(error)")
            #expect(error.path == file, "\(error)")
            #expect(error.message.contains(words), "\(error.message)")
        }
        let report = try await client.verify(name)
        #expect(report.problems.contains { $0.file == file && $0.message.contains(words) }, "\(report.problems)")
        await client.close()
        #expect(try tree(root + "/" + name) == before, "opening or verifying changed the files")
    }

    @Test("a log copied from another collection is refused, naming the file; nothing is rewritten")
    func logFromAnotherCollection() async throws {
        let root = TemporaryDirectory()
        try await Self.make(root.path, "a", count: 20)
        try await Self.make(root.path, "b", count: 20)
        let log = "/wal/main/shard-0.log"
        try FileManager.default.removeItem(atPath: root.file("a") + log)
        try FileManager.default.copyItem(atPath: root.file("b") + log, toPath: root.file("a") + log)
        try await Self.expectRefused(root.path, "a", naming: root.file("a") + log, saying: "not to this one")
    }

    @Test("the logs of two shards swapped are refused")
    func logOfAnotherShard() async throws {
        let root = TemporaryDirectory()
        try await Self.make(root.path, "a", count: 20)
        let folder = root.file("a") + "/wal/main/"
        try FileManager.default.moveItem(atPath: folder + "shard-0.log", toPath: folder + "x")
        try FileManager.default.moveItem(atPath: folder + "shard-1.log", toPath: folder + "shard-0.log")
        try FileManager.default.moveItem(atPath: folder + "x", toPath: folder + "shard-1.log")
        try await Self.expectRefused(root.path, "a", naming: folder + "shard-0.log", saying: "in the place of shard 0")
    }

    @Test("an older log of the same shard put back after a checkpoint is refused: acknowledged records are not silently lost")
    func olderLogOfTheSameShard() async throws {
        let root = TemporaryDirectory()
        let client = try await Client(directory: root.path)
        let collection = try await client.createCollection("a", configuration: Self.configuration)
        try await collection.upsert((0..<10).map { VectorRecord(id: "r\($0)", vector: Self.vector($0)) })
        let log = root.file("a") + "/wal/main/shard-0.log"
        let old = try Data(contentsOf: URL(fileURLWithPath: log))
        try await collection.upsert((10..<20).map { VectorRecord(id: "r\($0)", vector: Self.vector($0)) })
        try await collection.checkpoint()
        try await collection.upsert((20..<30).map { VectorRecord(id: "r\($0)", vector: Self.vector($0)) })
        await client.close()
        try old.write(to: URL(fileURLWithPath: log))
        try await Self.expectRefused(root.path, "a", naming: log, saying: "is not this shard's current log")
    }

    @Test("config.json: a flipped byte anywhere is refused; invalid settings are refused at create and at open")
    func configuration() async throws {
        let root = TemporaryDirectory()
        try await Self.make(root.path, "a", count: 5)
        let path = root.file("a") + "/config.json"
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        // A digit of a setting changed: the JSON still parses, the checksum does not match.
        let text = String(decoding: original, as: UTF8.self)
        let edited = text.replacingOccurrences(of: "\"compactionThreshold\" : 0.2", with: "\"compactionThreshold\" : 0.3")
        #expect(edited != text)
        try Data(edited.utf8).write(to: URL(fileURLWithPath: path))
        try await Self.expectRefused(root.path, "a", naming: path, saying: "checksum")
        var flipped = 0
        for offset in stride(from: 0, to: original.count, by: 7) {
            var damaged = original
            damaged[offset] ^= 0x04
            try damaged.write(to: URL(fileURLWithPath: path))
            do {
                _ = try OnDisk(PosixFileSystem(), root.file("a"))
                Issue.record("opened with byte \(offset) of config.json flipped")
            } catch {
                #expect([.corruptFile, .unsupportedFormatVersion].contains(error.code) && error.path == path, "\(error)")
                flipped += 1
            }
        }
        #expect(flipped > 20)
        try original.write(to: URL(fileURLWithPath: path))
        #expect(try OnDisk(PosixFileSystem(), root.file("a")).contents.count == 5)

        // A checksum that matches settings no create would accept.
        var bad = Self.configuration
        bad.durability = .periodic(seconds: 1e16)
        let forged = try StoredConfiguration(id: .random(), configuration: bad).encoded()
        try Data(forged).write(to: URL(fileURLWithPath: path))
        try await Self.expectRefused(root.path, "a", naming: path, saying: "sync interval")
        try original.write(to: URL(fileURLWithPath: path))

        // Invalid settings at create: a typed error, nothing written.
        let client = try await Client(directory: root.path)
        var settings: [CollectionConfiguration] = []
        for change in 0..<6 {
            var c = Self.configuration
            switch change {
            case 0: c.durability = .periodic(seconds: 1e16)
            case 1: c.durability = .periodic(seconds: -1)
            case 2: c.checkpointPolicy.maxOperations = 0
            case 3: c.checkpointPolicy.maxLogBytes = -5
            case 4: c.checkpointPolicy.maxAgeSeconds = .nan
            default: c.compactionThreshold = 0
            }
            settings.append(c)
        }
        for c in settings {
            do {
                _ = try await client.createCollection("n", configuration: c)
                Issue.record("created with \(c)")
            } catch {
                #expect(error.code == .invalidConfiguration)
            }
            #expect(!FileManager.default.fileExists(atPath: root.file("n")))
        }
        await client.close()
    }

    @Test("a folder whose config.json is lost is not created over; an interrupted create is completed")
    func lostConfiguration() async throws {
        let root = TemporaryDirectory()
        try await Self.make(root.path, "a", count: 5)
        try await Self.make(root.path, "b", count: 5, checkpoint: true)
        for name in ["a", "b"] {
            try FileManager.default.removeItem(atPath: root.file(name) + "/config.json")
            let before = try Self.tree(root.file(name))
            let client = try await Client(directory: root.path)
            #expect(try await !client.listCollections().contains(name))
            do {
                _ = try await client.createCollection(name, configuration: Self.configuration)
                Issue.record("created over \(name)")
            } catch {
                #expect(error.code == .invalidArgument, "\(error)")
                #expect(error.message.contains("no config.json"), "\(error.message)")
            }
            await client.close()
            #expect(try Self.tree(root.file(name)) == before)
        }
        // What an interrupted create leaves (logs without records, no config.json): completed.
        let client = try await Client(directory: root.path)
        let c = try await client.createCollection("c", configuration: Self.configuration)
        await client.close()
        _ = c
        try FileManager.default.removeItem(atPath: root.file("c") + "/config.json")
        let again = try await Client(directory: root.path)
        let created = try await again.createCollection("c", configuration: Self.configuration)
        try await created.upsert(id: "x", vector: Self.vector(1))
        await again.close()
        #expect(try OnDisk(PosixFileSystem(), root.file("c")).contents.count == 1)
    }

    @Test("a batch whose frame reached one shard but not the other is dropped from both on open")
    func groupCutBetweenShards() async throws {
        let root = TemporaryDirectory()
        let client = try await Client(directory: root.path)
        let collection = try await client.createCollection("a", configuration: Self.configuration)
        try await collection.upsert((0..<10).map { VectorRecord(id: "r\($0)", vector: Self.vector($0)) })
        let ids = (10..<30).map { "r\($0)" }
        #expect(Set(ids.map { collection.engine.shard(of: $0) }) == [0, 1])
        let log1 = root.file("a") + "/wal/main/shard-1.log"
        let before = try Data(contentsOf: URL(fileURLWithPath: log1))
        try await collection.upsert(ids.enumerated().map { VectorRecord(id: $1, vector: Self.vector($0 + 10)) })
        await client.close()
        // As after a power loss between the two shards' frames: shard 1's frame never landed.
        try before.write(to: URL(fileURLWithPath: log1))
        let verifying = try await Client(directory: root.path)
        let report = try await verifying.verify("a")
        #expect(report.isSound && report.unfinishedGroupFrames == 1, "\(report)")
        await verifying.close()
        let disk = try OnDisk(PosixFileSystem(), root.file("a"))
        #expect(disk.opened.droppedFrames == 1)
        #expect(disk.vectors.count == 10)
        #expect(ids.allSatisfy { disk.vectors[$0] == nil })
        disk.close()
        // The frame was cut off shard 0's log too: the next writes follow the kept ones.
        let again = try await Client(directory: root.path)
        let reopened = try await again.collection("a")
        try await reopened.upsert(id: "later", vector: Self.vector(99))
        await again.close()
        let final = try OnDisk(PosixFileSystem(), root.file("a"))
        #expect(final.vectors.count == 11 && final.opened.droppedFrames == 0)
    }

    @Test("under .durable, an older copy of one shard's log (same header, fewer frames) is refused, and nothing is cut")
    func olderCopyWithTheSameHeader() async throws {
        let root = TemporaryDirectory()
        let client = try await Client(directory: root.path)
        let collection = try await client.createCollection("a", configuration: Self.configuration)
        let log1 = root.file("a") + "/wal/main/shard-1.log"
        var copy = Data()
        for batch in 0..<3 {
            try await collection.upsert((0..<20).map { VectorRecord(id: "b\(batch)-\($0)", vector: Self.vector($0 + batch)) })
            if batch == 0 { copy = try Data(contentsOf: URL(fileURLWithPath: log1)) }
        }
        await client.close()
        try copy.write(to: URL(fileURLWithPath: log1))
        try await Self.expectRefused(root.path, "a", naming: log1, saying: "frames that were durable are missing")
    }

    @Test("a logged record that cannot be applied fails the open, and verify reports it too")
    func recordThatCannotApply() async throws {
        let root = TemporaryDirectory()
        try await Self.make(root.path, "a", count: 4)
        let fs = PosixFileSystem()
        let path = root.file("a") + "/wal/main/shard-0.log"
        let writer = try LogWriter.open(fs, path: path, after: try LogReader.read(fs, path: path, maximumDimension: 4))
        try writer.append([.setMetadata(id: "never-stored", metadata: ["k": 1])],
                          group: WriteGroup(number: 1_000, participants: ShardSet([0])), sync: true)
        writer.close()
        try await Self.expectRefused(root.path, "a", naming: path, saying: "cannot be applied")
    }
}
