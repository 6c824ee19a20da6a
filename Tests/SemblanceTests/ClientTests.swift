import Foundation
import Logging
import ServiceLifecycle
import Testing
@testable import Semblance

/// The `Client` actor: name rules, create/open/list/drop, reopening, the directory lock,
/// damaged and symlinked collections, and the in-memory client.
@Suite("Client: collections by name, on disk and in memory")
struct ClientTests {
    static func vector(_ i: Int) -> [Float] { (0..<4).map { Float((i * 7 + $0 * 3) % 23) + 1 } }

    static func records(_ range: Range<Int>, prefix: String = "v") -> [VectorRecord] {
        range.map { VectorRecord(id: "\(prefix)\($0)", vector: vector($0)) }
    }

    /// The entries of a folder, sorted; hidden ones included.
    static func entries(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    static let invalidNames = ["../x", "a/b", "", "a\u{0}b", String(repeating: "n", count: 65), ".hidden", "LOCK", "con",
                           "..", ".", "lock", "COM1", "a b", "é"]

    @Test("an id's canonically equivalent spellings (NFC and NFD) are one record, on disk, whatever the shard count")
    func canonicallyEquivalentIDs() async throws {
        // Precomposed spellings; each NFD form differs in its bytes but not as a String.
        let words = ["café", "naïve", "Ångström", "jalapeño", "résumé", "crème brûlée", "São Paulo", "Zürich",
                     "façade", "smörgåsbord", "Dvořák", "piñata", "Ελλάδα", "Köln", "déjà vu", "über"]
        let composed = words.map(\.precomposedStringWithCanonicalMapping)
        let decomposed = words.map(\.decomposedStringWithCanonicalMapping)
        #expect(zip(composed, decomposed).allSatisfy { $0 == $1 && Array($0.utf8) != Array($1.utf8) })
        let folder = TemporaryDirectory()
        var client = try await Client(directory: folder.path)
        var docs = try await client.createCollection("docs", configuration: CollectionConfiguration(dimension: 4, metric: .squaredEuclidean, shardCount: 8))
        try await docs.upsert(composed.enumerated().map { VectorRecord(id: $0.element, vector: Self.vector($0.offset)) })
        for (i, id) in decomposed.enumerated() {
            #expect(docs.get(id)?.vector == Self.vector(i), "\(id.debugDescription) is not found by its other spelling")
            try await docs.upsert(id: id, vector: Self.vector(i + 100))  // replaces, not adds
        }
        #expect(docs.count == words.count)
        #expect(try await docs.delete(Array(decomposed.prefix(4))) == 4)
        await client.close()
        client = try await Client(directory: folder.path)
        docs = try await client.collection("docs")
        #expect(docs.count == words.count - 4)
        for (i, id) in composed.enumerated().dropFirst(4) { #expect(docs.get(id)?.vector == Self.vector(i + 100)) }
        await client.close()
    }

    @Test("bad names are .invalidName for every call, and nothing is created on disk", arguments: invalidNames)
    func badNames(_ name: String) async throws {
        // The client's root is a subfolder, so a name that escaped it would show up beside it.
        let folder = TemporaryDirectory()
        let root = folder.file("root")
        let client = try await Client(directory: root)
        let before = try Self.entries(root)
        #expect(before == [])
        let create = await #expect(throws: SemblanceError.self) { try await client.createCollection(name, dimension: 4) }
        #expect(create?.code == .invalidName, "\(name.debugDescription): \(String(describing: create))")
        let open = await #expect(throws: SemblanceError.self) { try await client.collection(name) }
        #expect(open?.code == .invalidName)
        let getOrCreate = await #expect(throws: SemblanceError.self) {
            try await client.getOrCreateCollection(name, configuration: CollectionConfiguration(dimension: 4))
        }
        #expect(getOrCreate?.code == .invalidName)
        let drop = await #expect(throws: SemblanceError.self) { try await client.dropCollection(name) }
        #expect(drop?.code == .invalidName)
        #expect(try Self.entries(root) == before, "\(name.debugDescription) created something")
        #expect(try Self.entries(folder.path) == ["root"], "\(name.debugDescription) created something outside the root")
        #expect(try await client.listCollections().isEmpty)
        await client.close()
    }

    @Test("valid names: 64 characters, digits, _ and -, mixed case; each is a folder listed in order")
    func validNames() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let names = [String(repeating: "n", count: 64), "a", "A-b_c", "0123", "locks", "con-1", "Docs"]
        for name in names {
            let collection = try await client.createCollection(name, dimension: 4, metric: .squaredEuclidean)
            #expect(collection.name == name)
            try await collection.upsert(id: "x", vector: Self.vector(1))
            #expect(FileManager.default.fileExists(atPath: folder.path + "/" + name + "/config.json"))
        }
        #expect(try await client.listCollections() == names.sorted())
        for name in names {
            #expect(try await client.collection(name).get("x")?.vector == Self.vector(1))
        }
        await client.close()
    }

    @Test("getOrCreateCollection(dimension:), upsert of one record, and isClosed: reads answer from the last state, writes throw .closed")
    func lifecycleConveniences() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let docs = try await client.getOrCreateCollection("docs", dimension: 3, metric: .squaredEuclidean)
        try await docs.upsert(VectorRecord(id: "a", vector: [1, 2, 3], metadata: ["k": 1]))
        #expect(try await client.getOrCreateCollection("docs", dimension: 3, metric: .squaredEuclidean) === docs)
        await #expect(throws: SemblanceError.self) { try await client.getOrCreateCollection("docs", dimension: 4) }
        #expect(!docs.isClosed)
        await client.close(docs)
        #expect(docs.isClosed)
        #expect(docs.get("a")?.metadata == ["k": 1] && docs.count == 1)
        #expect(try await docs.search([1, 2, 3], k: 1).ids == ["a"])
        do {
            try await docs.upsert(VectorRecord(id: "b", vector: [1, 1, 1]))
            Issue.record("a write through a closed handle succeeded")
        } catch {
            #expect(error.code == .closed)
        }
        let reopened = try await client.collection("docs")
        #expect(!reopened.isClosed && reopened.get("b") == nil && reopened.get("a") != nil)
        try await reopened.commit(message: "first")
        try await reopened.createBranch("kept")
        try await reopened.createTag("v1")
        await client.close()
        #expect(reopened.isClosed)
        // Every change of refs or objects through a closed handle is refused: its client no
        // longer holds the directory's lock. Reads of the files still answer.
        let refused: [(String, () async throws -> Void)] = [
            ("commit", { _ = try await reopened.commit(message: "late") }),
            ("createBranch", { _ = try await reopened.createBranch("late") }),
            ("createBranch(from: snapshot)", { _ = try await reopened.createBranch("late2", from: reopened.snapshot()) }),
            ("createTag", { _ = try await reopened.createTag("late", at: "v1") }),
            ("deleteBranch", { try reopened.deleteBranch("kept") }),
            ("deleteTag", { try reopened.deleteTag("v1") }),
            ("collectGarbage", { _ = try await reopened.collectGarbage(grace: 0) }),
            ("reset", { _ = try await reopened.reset(to: "v1") }),
            ("merge", { _ = try await reopened.merge("kept") }),
        ]
        for (name, call) in refused {
            do {
                try await call()
                Issue.record("\(name) through a closed handle succeeded")
            } catch {
                #expect((error as? SemblanceError)?.code == .closed, "\(name): \(error)")
            }
        }
        #expect(try reopened.branches().map(\.name) == ["kept", "main"])
        #expect(try reopened.tags().map(\.name) == ["v1"])
        #expect(try await reopened.history().first?.message == "first")
    }

    @Test("tasks opening the same branch at once, however spelled, get one handle")
    func concurrentOpens() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let main = try await client.createCollection("c", dimension: 4, metric: .squaredEuclidean)
        try await main.upsert(id: "a", vector: [1, 2, 3, 4])
        try await main.createBranch("Exp")
        await client.close(main)
        async let first = client.collection("c", branch: "Exp")
        async let second = client.collection("c", branch: "exp")
        async let third = client.collection("c")
        async let fourth = client.collection("c", branch: "main")
        let (exp, exp2, main1, main2) = try await (first, second, third, fourth)
        #expect(exp === exp2 && main1 === main2 && exp !== main1)
        #expect(exp.get("a")?.vector == [1, 2, 3, 4] && exp.branch == "Exp")
        await client.close()
    }

    @Test("createCollection twice is .collectionExists and leaves the first intact; an unknown name is .unknownCollection")
    func existsAndUnknown() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let docs = try await client.createCollection("docs", dimension: 4, metric: .squaredEuclidean)
        try await docs.upsert(Self.records(0..<10))
        let twice = await #expect(throws: SemblanceError.self) { try await client.createCollection("docs", dimension: 8) }
        #expect(twice?.code == .collectionExists)
        #expect(try await client.collection("docs").count == 10)
        #expect(try await client.collection("docs") === docs, "one handle per open collection")

        let unknown = await #expect(throws: SemblanceError.self) { try await client.collection("nope") }
        #expect(unknown?.code == .unknownCollection)
        let dropUnknown = await #expect(throws: SemblanceError.self) { try await client.dropCollection("nope") }
        #expect(dropUnknown?.code == .unknownCollection)
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/nope"))

        let badConfiguration = await #expect(throws: SemblanceError.self) {
            try await client.createCollection("bad", configuration: CollectionConfiguration(dimension: 4, shardCount: 0))
        }
        #expect(badConfiguration?.code == .invalidConfiguration)
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/bad"))
        await client.close()
    }

    @Test("drop: the folder is gone, the old handle fails with .closed, the name can be created again")
    func drop() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let docs = try await client.createCollection("docs", configuration: CollectionConfiguration(dimension: 4, metric: .squaredEuclidean, shardCount: 2))
        let keep = try await client.createCollection("keep", dimension: 4, metric: .squaredEuclidean)
        try await docs.upsert(Self.records(0..<20))
        try await keep.upsert(Self.records(0..<5))
        try await docs.checkpoint()
        #expect(try await client.listCollections() == ["docs", "keep"])

        try await client.dropCollection("docs")
        #expect(try await client.listCollections() == ["keep"])
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/docs"))
        #expect(try Self.entries(folder.path) == ["keep"], "no .dropped- folder is left behind")

        let upsert = await #expect(throws: SemblanceError.self) { try await docs.upsert(id: "late", vector: Self.vector(99)) }
        #expect(upsert?.code == .closed)
        let delete = await #expect(throws: SemblanceError.self) { try await docs.delete("v1") }
        #expect(delete?.code == .closed)
        let checkpoint = await #expect(throws: SemblanceError.self) { try await docs.checkpoint() }
        #expect(checkpoint?.code == .closed)
        let reopen = await #expect(throws: SemblanceError.self) { try await client.collection("docs") }
        #expect(reopen?.code == .unknownCollection)

        let again = try await client.createCollection("docs", dimension: 8)
        #expect(again.count == 0 && again.configuration.dimension == 8)
        #expect(try await client.collection("docs") === again)
        #expect(try await client.collection("keep").count == 5, "the other collection is untouched")
        await client.close()

        // A drop that crashed after its rename leaves a .dropped- folder: the next open removes it.
        try FileManager.default.createDirectory(atPath: folder.path + "/.dropped-old-1", withIntermediateDirectories: false)
        _ = FileManager.default.createFile(atPath: folder.path + "/.dropped-old-1/config.json", contents: Data("{}".utf8))
        let reopened = try await Client(directory: folder.path)
        #expect(try Self.entries(folder.path) == ["docs", "keep"])
        #expect(try await reopened.listCollections() == ["docs", "keep"])
        await reopened.close()
    }

    @Test("a dropped collection with tombstones refuses compaction with .closed instead of touching its files")
    func compactAfterDrop() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let docs = try await client.createCollection("docs", dimension: 4, metric: .squaredEuclidean)
        try await docs.upsert(Self.records(0..<20))
        try await docs.delete((0..<10).map { "v\($0)" })
        try await client.dropCollection("docs")
        let compact = await #expect(throws: SemblanceError.self) { try await docs.compact() }
        #expect(compact?.code == .closed)
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/docs"))
        await client.close()
    }

    @Test("getOrCreate: creates once, then returns the same collection; another dimension or metric is .invalidConfiguration")
    func getOrCreate() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let configuration = CollectionConfiguration(dimension: 4, metric: .squaredEuclidean)
        let first = try await client.getOrCreateCollection("docs", configuration: configuration)
        try await first.upsert(Self.records(0..<3))
        let second = try await client.getOrCreateCollection("docs", configuration: configuration)
        #expect(second === first && second.count == 3)

        let otherDimension = await #expect(throws: SemblanceError.self) {
            try await client.getOrCreateCollection("docs", configuration: CollectionConfiguration(dimension: 5, metric: .squaredEuclidean))
        }
        #expect(otherDimension?.code == .invalidConfiguration)
        #expect(otherDimension?.message.contains("dimension 4") == true, "\(String(describing: otherDimension))")
        let otherMetric = await #expect(throws: SemblanceError.self) {
            try await client.getOrCreateCollection("docs", configuration: CollectionConfiguration(dimension: 4, metric: .cosine))
        }
        #expect(otherMetric?.code == .invalidConfiguration)
        #expect(first.count == 3)
        await client.close()

        // The same check for a collection that is not open yet (read from config.json).
        let reopened = try await Client(directory: folder.path)
        let stillWrong = await #expect(throws: SemblanceError.self) {
            try await reopened.getOrCreateCollection("docs", configuration: CollectionConfiguration(dimension: 5))
        }
        #expect(stillWrong?.code == .invalidConfiguration)
        #expect(try await reopened.getOrCreateCollection("docs", configuration: configuration).count == 3)
        await reopened.close()
    }

    @Test("a reopened client sees the data and the stored settings: shards, durability, thresholds, index parameters")
    func reopen() async throws {
        let folder = TemporaryDirectory()
        var configuration = CollectionConfiguration(dimension: 4, metric: .innerProduct, shardCount: 3, m: 8, efConstruction: 40, defaultEf: 20)
        configuration.durability = .periodic(seconds: 0.05)
        configuration.checkpointPolicy = CheckpointPolicy(maxLogBytes: 1 << 20, maxOperations: 5000, maxAgeSeconds: 60)
        configuration.compactionThreshold = 0.4
        do {
            let client = try await Client(directory: folder.path)
            let docs = try await client.createCollection("docs", configuration: configuration)
            let plain = try await client.createCollection("plain", dimension: 4)
            try await docs.upsert(Self.records(0..<100))
            try await docs.checkpoint()
            try await docs.upsert(Self.records(100..<130))   // after the checkpoint: only in the logs
            try await docs.delete(["v3", "v104"])
            try await plain.upsert(id: "p", vector: [1, 0, 0, 0])
            await client.close()
        }
        let client = try await Client(directory: folder.path)
        #expect(try await client.listCollections() == ["docs", "plain"])
        let docs = try await client.collection("docs")
        #expect(docs.configuration == configuration)
        #expect(docs.engine.durability == .periodic(seconds: 0.05))
        #expect(docs.engine.policy == configuration.checkpointPolicy)
        #expect(docs.engine.shardCount == 3)
        #expect(docs.statistics().shards == 3)
        #expect(docs.count == 128)
        #expect(!docs.contains("v3") && !docs.contains("v104"))
        #expect(docs.get("v129")?.vector == Self.vector(129))
        #expect(docs.get("v0")?.vector == Self.vector(0))
        let plain = try await client.collection("plain")
        #expect(plain.configuration == CollectionConfiguration(dimension: 4))
        #expect(plain.engine.durability == .durable)
        #expect(plain.get("p")?.vector == [1, 0, 0, 0])
        await client.close()
    }

    @Test("two clients of one directory write different collections; a collection one of them has open is .locked for the other until it closes")
    func locked() async throws {
        let folder = TemporaryDirectory()
        let first = try await Client(directory: folder.path)
        let docs = try await first.createCollection("docs", dimension: 4)
        try await docs.upsert(id: "a", vector: [1, 0, 0, 0])
        // Another spelling of the directory's path.
        let second = try await Client(directory: folder.path + "/./")
        let notes = try await second.createCollection("notes", dimension: 4)
        try await notes.upsert(id: "n", vector: [0, 1, 0, 0])
        try await docs.upsert(id: "b", vector: [0, 0, 1, 0])
        let taken = await #expect(throws: SemblanceError.self) { try await second.collection("docs") }
        #expect(taken?.code == .locked)
        #expect(taken?.path == folder.path + "/docs/LOCK")
        let dropped = await #expect(throws: SemblanceError.self) { try await second.dropCollection("docs") }
        #expect(dropped?.code == .locked, "a collection another client writes is not dropped under it")
        #expect(try await first.listCollections() == ["docs", "notes"], "the failed attempts changed nothing")
        #expect(docs.count == 2)
        await first.close()
        let closed = await #expect(throws: SemblanceError.self) { try await first.listCollections() }
        #expect(closed?.code == .closed)
        #expect(try await second.collection("docs").count == 2)
        await second.close()
    }

    /// Makes a client directory with two collections, "bad" (checkpointed, so it has page
    /// objects) and "good", then closes it.
    static func twoCollections(in path: String) async throws {
        let client = try await Client(directory: path)
        let bad = try await client.createCollection("bad", configuration: CollectionConfiguration(dimension: 4, metric: .squaredEuclidean, shardCount: 2))
        let good = try await client.createCollection("good", dimension: 4, metric: .squaredEuclidean)
        try await bad.upsert(records(0..<200))
        try await bad.checkpoint()
        try await good.upsert(records(0..<50))
        try await good.checkpoint()
        await client.close()
    }

    enum Damage: String, CaseIterable, Sendable {
        case garbageConfig, truncatedObject, flippedObject, missingLog, newerFormat
    }

    @Test("a damaged collection is a typed error naming the file; the other collection keeps working", arguments: Damage.allCases)
    func damagedCollection(_ damage: Damage) async throws {
        let folder = TemporaryDirectory()
        try await Self.twoCollections(in: folder.path)
        let root = try #require(PosixFileSystem().realPath(folder.path))
        let bad = root + "/bad"
        let objects = try FileManager.default.subpathsOfDirectory(atPath: bad + "/objects")
            .filter { $0.count == 65 }.map { bad + "/objects/" + $0 }
        // The biggest object is a page of vectors or links (the commit is small).
        let sizes = try objects.map { try Data(contentsOf: URL(fileURLWithPath: $0)).count }
        let page = try #require(zip(objects, sizes).max { $0.1 < $1.1 }?.0)
        let damagedFile: String
        var expectedCodes: Set<SemblanceError.Code> = [.corruptFile]
        switch damage {
        case .garbageConfig:
            damagedFile = bad + "/config.json"
            try Data("this is not json \u{1}\u{2}".utf8).write(to: URL(fileURLWithPath: damagedFile))
        case .truncatedObject:
            damagedFile = page
            let data = try Data(contentsOf: URL(fileURLWithPath: page))
            try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: page))
        case .flippedObject:
            damagedFile = page
            var data = try Data(contentsOf: URL(fileURLWithPath: page))
            data[data.count / 2] ^= 0x40
            try data.write(to: URL(fileURLWithPath: page))
        case .missingLog:
            damagedFile = bad + "/wal/main/shard-1.log"
            try FileManager.default.removeItem(atPath: damagedFile)
        case .newerFormat:
            damagedFile = bad + "/config.json"
            try Data(#"{"format": 99}"#.utf8).write(to: URL(fileURLWithPath: damagedFile))
            expectedCodes = [.unsupportedFormatVersion]
        }
        let client = try await Client(directory: folder.path)
        #expect(try await client.listCollections().contains("good"))
        for _ in 0..<2 {  // failing again, not a cached half-open collection
            let error = await #expect(throws: SemblanceError.self) { try await client.collection("bad") }
            #expect(error.map { expectedCodes.contains($0.code) } == true, "\(damage): \(String(describing: error))")
            #expect(error?.message.contains(damagedFile) == true, "the message names \(damagedFile): \(String(describing: error))")
        }
        let good = try await client.collection("good")
        #expect(good.count == 50)
        try await good.upsert(id: "new", vector: [100, 100, 100, 100])
        #expect(try await good.search([99, 100, 100, 100], k: 1).ids == ["new"])
        try await good.checkpoint()
        // The failed open released the damaged collection's lock and changed none of its files.
        #expect(FileManager.default.fileExists(atPath: damagedFile) == (damage != .missingLog))
        await client.close()
    }

    @Test("a collection folder that is a symbolic link is refused, and what it points to is untouched")
    func symlinkedCollection() async throws {
        let outside = TemporaryDirectory()
        do {
            let other = try await Client(directory: outside.path)
            let target = try await other.createCollection("target", dimension: 4, metric: .squaredEuclidean)
            try await target.upsert(Self.records(0..<5))
            await other.close()
        }
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/linked", withDestinationPath: outside.path + "/target")
        let empty = outside.file("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/emptylink", withDestinationPath: empty)

        #expect(try await client.listCollections().isEmpty, "a link is not listed as a collection")
        let open = await #expect(throws: SemblanceError.self) { try await client.collection("linked") }
        #expect(open?.code == .invalidName, "\(String(describing: open))")
        let drop = await #expect(throws: SemblanceError.self) { try await client.dropCollection("linked") }
        #expect(drop?.code == .invalidName)
        let create = await #expect(throws: SemblanceError.self) { try await client.createCollection("emptylink", dimension: 4) }
        #expect(create?.code == .invalidName)
        #expect(try Self.entries(empty).isEmpty, "nothing was created through the link")
        await client.close()

        let other = try await Client(directory: outside.path)
        #expect(try await other.collection("target").count == 5)
        await other.close()
    }

    @Test("MaintenanceService in a ServiceGroup compacts what needs it; a graceful shutdown returns and closes the client")
    func maintenanceService() async throws {
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        var configuration = CollectionConfiguration(dimension: 4, metric: .squaredEuclidean, shardCount: 2)
        configuration.compactionThreshold = 0.3
        let busy = try await client.createCollection("busy", configuration: configuration)
        let calm = try await client.createCollection("calm", configuration: configuration)
        try await busy.upsert(Self.records(0..<200))
        try await calm.upsert(Self.records(0..<200))
        try await busy.delete((0..<200).filter { $0 % 2 == 0 }.map { "v\($0)" })
        try await calm.delete((0..<20).map { "v\($0)" })
        #expect(busy.needsCompaction && !calm.needsCompaction)

        let group = ServiceGroup(services: [MaintenanceService(client: client, interval: .milliseconds(20))],
                                 logger: Logger(label: "semblance-tests"))
        let running = Task { try await group.run() }
        let clock = ContinuousClock()
        let giveUp = clock.now + .seconds(60)
        while busy.needsCompaction && clock.now < giveUp { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!busy.needsCompaction, "no maintenance round compacted the collection within a minute")
        #expect(busy.statistics().deleted == 0 && busy.count == 100)
        #expect(calm.statistics().deleted == 20, "below its threshold: left alone")
        #expect(busy.get("v1")?.vector == Self.vector(1) && !busy.contains("v0"))

        await group.triggerGracefulShutdown()
        // run() returns (a watchdog cancels it if it hangs, and the test fails).
        let watchdog = Task {
            try await Task.sleep(for: .seconds(60))
            running.cancel()
        }
        try await running.value
        watchdog.cancel()
        let timedOut = (try? await watchdog.value) != nil  // the sleep ran out instead of being cancelled
        #expect(!timedOut, "run() did not return after the graceful shutdown")

        let closed = await #expect(throws: SemblanceError.self) { try await client.listCollections() }
        #expect(closed?.code == .closed)
        let write = await #expect(throws: SemblanceError.self) { try await busy.upsert(id: "late", vector: Self.vector(1)) }
        #expect(write?.code == .closed)
        // The directory was released, and the compaction was checkpointed.
        let reopened = try await Client(directory: folder.path)
        let again = try await reopened.collection("busy")
        #expect(again.count == 100 && again.statistics().deleted == 0)
        #expect(try await reopened.collection("calm").statistics().deleted == 20)
        await reopened.close()
    }

    @Test("an in-memory client: the same rules and operations, no files")
    func inMemory() async throws {
        let client = Client.inMemory()
        #expect(client.directory == nil)
        for name in ["../x", "", "LOCK", ".hidden"] {
            let error = await #expect(throws: SemblanceError.self) { try await client.createCollection(name, dimension: 4) }
            #expect(error?.code == .invalidName)
        }
        let docs = try await client.createCollection("docs", configuration: CollectionConfiguration(dimension: 4, metric: .squaredEuclidean, shardCount: 2))
        let twice = await #expect(throws: SemblanceError.self) { try await client.createCollection("docs", dimension: 4) }
        #expect(twice?.code == .collectionExists)
        let unknown = await #expect(throws: SemblanceError.self) { try await client.collection("nope") }
        #expect(unknown?.code == .unknownCollection)
        try await docs.upsert(Self.records(0..<30))
        try await docs.delete(["v1", "v2"])
        #expect(try await client.collection("docs") === docs)
        #expect(docs.count == 28)
        #expect(try await docs.search(Self.vector(7), k: 1).ids == ["v7"])
        try await docs.checkpoint()  // nothing to write, no error
        #expect(docs.statistics().headCommit == nil)
        #expect(try await docs.compact() == 2)
        #expect(docs.statistics().deleted == 0 && docs.count == 28)

        let wrong = await #expect(throws: SemblanceError.self) {
            try await client.getOrCreateCollection("docs", configuration: CollectionConfiguration(dimension: 3))
        }
        #expect(wrong?.code == .invalidConfiguration)
        _ = try await client.getOrCreateCollection("other", configuration: CollectionConfiguration(dimension: 3))
        #expect(try await client.listCollections() == ["docs", "other"])
        try await client.dropCollection("docs")
        #expect(try await client.listCollections() == ["other"])
        let dropped = await #expect(throws: SemblanceError.self) { try await docs.upsert(id: "x", vector: Self.vector(1)) }
        #expect(dropped?.code == .closed)
        let again = try await client.createCollection("docs", dimension: 4)
        #expect(again.count == 0)
        await client.close()
        let closed = await #expect(throws: SemblanceError.self) { try await client.collection("other") }
        #expect(closed?.code == .closed)
    }
}
