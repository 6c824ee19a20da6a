import Foundation
import Synchronization
import Testing
@testable import Semblance

/// The storage engine through the client, as users run it: reopening, checkpoints, locks,
/// permissions, temp files, damaged objects, and faults at every I/O call.
@Suite("Storage: reopen, checkpoints, damage, faults")
struct StorageTests {
    static let configuration = CollectionConfiguration(dimension: 8, metric: .squaredEuclidean, shardCount: 3, m: 8,
                                                       efConstruction: 64, checkpointPolicy: .manual)

    static func vector(_ i: Int, version: Int = 0) -> [Float] {
        (0..<8).map { Float(($0 * 7 + i * 13 + version * 31) % 97) / 10 }
    }

    static func records(_ range: Range<Int>, version: Int = 0) -> [VectorRecord] {
        range.map { VectorRecord(id: "v\($0)", vector: vector($0, version: version)) }
    }

    /// A client on `root` (created if missing) and its collection `c`, created if missing.
    static func open(_ root: String, _ fs: any FileSystem = PosixFileSystem(),
                     configuration: CollectionConfiguration = configuration) async throws -> (Client, VectorCollection) {
        let client = try await Client(directory: root, fileSystem: fs)
        return (client, try await client.getOrCreateCollection("c", configuration: configuration))
    }

    @Test("writes survive close and reopen, from the logs alone and from a checkpoint plus logs")
    func reopen() async throws {
        let directory = TemporaryDirectory()
        var (client, collection) = try await Self.open(directory.path)
        try await collection.upsert(Self.records(0..<300))
        try await collection.delete(["v5", "v7", "nope"])
        try await collection.upsert(id: "v9", vector: Self.vector(9, version: 1))
        let expected = try OnDiskContents(collection)
        await client.close()

        (client, collection) = try await Self.open(directory.path)
        #expect(try OnDiskContents(collection) == expected)
        #expect(collection.engine.headCommit == nil)
        try await collection.checkpoint()
        try await collection.upsert(Self.records(300..<350))
        try await collection.delete("v10")
        let expected2 = try OnDiskContents(collection)
        let graphs = collection.engine.snapshot.map { $0.graphDump() }
        await client.close()

        for _ in 0..<2 {  // opening twice more gives the identical state
            let disk = try OnDisk(PosixFileSystem(), directory.file("c"))
            #expect(disk.contents == expected2.lines)
            #expect(disk.head != nil)
            #expect(disk.shards.map { $0.graphDump() } == graphs)
            for shard in disk.shards { #expect(shard.invariantViolations().isEmpty) }
            disk.close()
        }
    }

    @Test("a checkpoint with nothing changed writes only its commit; one change rewrites only its pages")
    func incrementalCheckpoint() async throws {
        let directory = TemporaryDirectory()
        var configuration = Self.configuration
        configuration.shardCount = 2
        let (client, collection) = try await Self.open(directory.path, configuration: configuration)
        try await collection.upsert(Self.records(0..<5000))
        let full = try await collection.engine.checkpoint().1
        #expect(full.objectsWritten > 0 && full.objectsWritten <= full.objects)  // equal pages are stored once
        let unchanged = try await collection.engine.checkpoint().1
        #expect(unchanged.objectsWritten == 0 && unchanged.bytesWritten == 0)
        try await collection.delete("v1")
        let small = try await collection.engine.checkpoint().1
        print("5,000 × 8-d: full \(full.bytes) bytes in \(full.objects) objects; after one delete \(small.bytesWritten) bytes in \(small.objectsWritten) objects")
        #expect(small.objectsWritten == 1)  // the node-record page with the tombstone
        #expect(small.bytesWritten * 20 < full.bytes)
        await client.close()
    }

    @Test("after a failed write the collection refuses further writes until reopened")
    func poisonedCollection() async throws {
        let directory = TemporaryDirectory()
        let faulty = FaultInjectingFileSystem(PosixFileSystem())
        var (client, collection) = try await Self.open(directory.path, faulty)
        try await collection.upsert(id: "a", vector: Self.vector(1))
        faulty.setPlan(.init(failAt: 1, fault: .ioError, persistent: false))
        await #expect(throws: SemblanceError.self) { try await collection.upsert(id: "b", vector: Self.vector(2)) }
        do {
            try await collection.delete("a")
            Issue.record("a write after a failure was accepted")
        } catch {
            #expect(error.code == .storageUnavailable)
            #expect(error.message.contains(directory.file("c")))
        }
        await client.close()
        (client, collection) = try await Self.open(directory.path)
        #expect(collection.get("a")?.vector == Self.vector(1))
        await client.close()
    }

    @Test("an open of a collection that a client has open, by another client or directly, is refused with .locked")
    func exclusiveLock() async throws {
        let directory = TemporaryDirectory()
        let (client, collection) = try await Self.open(directory.path)
        try await collection.upsert(id: "a", vector: Self.vector(1))
        let second = await Self.lockedOrNot(directory.path)
        #expect(second == "locked")
        do {
            _ = try OnDisk(PosixFileSystem(), directory.file("c"))
            Issue.record("the collection opened twice")
        } catch {
            #expect(error.code == .locked)
            #expect(error.path == directory.file("c") + "/LOCK")
        }
        try await collection.upsert(id: "b", vector: Self.vector(2))
        await client.close()
        let reopened = try OnDisk(PosixFileSystem(), directory.file("c"))
        #expect(reopened.contents.count == 2)
    }

    /// The collection "c" through a second client of `root`: "locked" when refused, matched
    /// by its code as users write it.
    static func lockedOrNot(_ root: String) async -> String {
        do {
            let client = try await Client(directory: root)
            do {
                _ = try await client.collection("c")
                await client.close()
                return "opened"
            } catch {
                await client.close()
                throw error
            }
        } catch SemblanceError.Code.locked {
            return "locked"
        } catch {
            return "\(error)"
        }
    }

    @Test("files are owner-only, and a symbolic link planted in place of a file is not followed")
    func permissionsAndSymlinks() async throws {
        let directory = TemporaryDirectory()
        let (client, collection) = try await Self.open(directory.path)
        try await collection.upsert(id: "a", vector: Self.vector(1))
        try await collection.checkpoint()
        await client.close()
        let path = directory.file("c")
        for file in try FileManager.default.subpathsOfDirectory(atPath: path) {
            let attributes = try FileManager.default.attributesOfItem(atPath: path + "/" + file)
            let mode = (attributes[.posixPermissions] as? Int ?? 0) & 0o077
            #expect(mode == 0, "\(file) is readable or writable by others")
        }
        // Replace the log with a link to a file outside the collection: opening must refuse it.
        let outside = directory.file("outside.log")
        let logPath = path + "/wal/main/shard-0.log"
        try FileManager.default.moveItem(atPath: logPath, toPath: outside)
        try FileManager.default.createSymbolicLink(atPath: logPath, withDestinationPath: outside)
        do {
            _ = try OnDisk(PosixFileSystem(), path)
            Issue.record("a symbolic link was followed")
        } catch {
            #expect(error.code == .io && error.path == logPath && error.errno == ELOOP, "\(error)")
        }
    }

    @Test("leftover temp files are removed on open; a stray .tmp- folder is left alone and does not stop it")
    func temporaryFiles() async throws {
        let directory = TemporaryDirectory()
        var (client, collection) = try await Self.open(directory.path)
        try await collection.upsert(id: "a", vector: Self.vector(1))
        try await collection.checkpoint()
        await client.close()
        let path = directory.file("c")
        for folder in ["", "/refs/heads", "/wal/main"] {
            _ = FileManager.default.createFile(atPath: path + folder + "/.tmp-left-behind-123", contents: Data([1, 2, 3]))
        }
        for folder in ["", "/wal/main", "/objects"] {
            try FileManager.default.createDirectory(atPath: path + folder + "/.tmp-someones-folder", withIntermediateDirectories: false)
            _ = FileManager.default.createFile(atPath: path + folder + "/.tmp-someones-folder/file", contents: Data([7]))
        }
        (client, collection) = try await Self.open(directory.path)
        #expect(collection.count == 1)
        await client.close()
        let left = try FileManager.default.subpathsOfDirectory(atPath: path).filter { $0.contains(".tmp-") }.sorted()
        #expect(left == [".tmp-someones-folder", ".tmp-someones-folder/file", "objects/.tmp-someones-folder",
                         "objects/.tmp-someones-folder/file", "wal/main/.tmp-someones-folder", "wal/main/.tmp-someones-folder/file"])
        let report = try await Client(directory: directory.path).verify("c")
        #expect(report.isSound, "\(report.problems)")
    }

    @Test("a damaged, missing or swapped page object is a corruptFile error naming the file")
    func damagedObjects() async throws {
        let directory = TemporaryDirectory()
        var configuration = Self.configuration
        configuration.shardCount = 1
        let (client, collection) = try await Self.open(directory.path, configuration: configuration)
        try await collection.upsert(Self.records(0..<100))
        try await collection.checkpoint()
        await client.close()
        let path = directory.file("c")
        let objectFiles = try FileManager.default.subpathsOfDirectory(atPath: path + "/objects")
            .filter { $0.count == 65 }.map { path + "/objects/" + $0 }
        #expect(objectFiles.count >= 6)
        for file in objectFiles {
            let original = try Data(contentsOf: URL(fileURLWithPath: file))
            for damage in 0..<3 {
                switch damage {
                case 0: var d = original; d[d.count / 2] ^= 0x10; try d.write(to: URL(fileURLWithPath: file))
                case 1: try FileManager.default.removeItem(atPath: file)
                default: try Data(original.prefix(original.count - 1)).write(to: URL(fileURLWithPath: file))
                }
                do {
                    _ = try OnDisk(PosixFileSystem(), path)
                    Issue.record("opened with damage \(damage) in \(file)")
                } catch {
                    #expect(error.code == .corruptFile)
                    #expect(error.message.contains(file), "message: \(error.message)")
                }
                try original.write(to: URL(fileURLWithPath: file))
            }
        }
        #expect(try OnDisk(PosixFileSystem(), path).contents.count == 100)
    }

    /// What each of two concurrent writers was told is durable, and its call in flight.
    final class FaultLedger: Sendable {
        private let state = Mutex<(acknowledged: [String: [Float]?], inFlight: [Int: [String: [Float]?]])>(([:], [:]))
        func begin(_ writer: Int, _ batch: [String: [Float]?]) { state.withLock { $0.inFlight[writer] = batch } }
        func acknowledge(_ writer: Int) {
            state.withLock { s in
                s.acknowledged.merge(s.inFlight[writer] ?? [:]) { $1 }
                s.inFlight[writer] = nil
            }
        }
        var snapshot: (acknowledged: [String: [Float]?], inFlight: [Int: [String: [Float]?]]) { state.withLock { $0 } }
    }

    /// Two writers at once, batches across shards, deletes, checkpoints and a compaction;
    /// each writer stops at its first error.
    static func faultWorkload(_ collection: VectorCollection, _ ledger: FaultLedger) async -> [SemblanceError] {
        await withTaskGroup(of: SemblanceError?.self) { group in
            for writer in 0..<2 {
                group.addTask {
                    do throws(SemblanceError) {
                        for step in 0..<8 {
                            let batch = (0..<4).map { VectorRecord(id: "w\(writer)-\(step * 2 + $0)", vector: vector(step * 4 + $0, version: writer)) }
                            ledger.begin(writer, Dictionary(uniqueKeysWithValues: batch.map { ($0.id, Optional($0.vector)) }))
                            try await collection.upsert(batch)
                            ledger.acknowledge(writer)
                            if step % 3 == 1 {
                                ledger.begin(writer, ["w\(writer)-\(step)": nil])
                                try await collection.delete("w\(writer)-\(step)")
                                ledger.acknowledge(writer)
                            }
                            if writer == 0 && step % 3 == 2 { try await collection.checkpoint() }
                            if writer == 1 && step == 4 { try await collection.compact() }
                        }
                        return nil
                    } catch {
                        return error
                    }
                }
            }
            var errors: [SemblanceError] = []
            for await error in group { if let error { errors.append(error) } }
            return errors
        }
    }

    @Test("ENOSPC, EIO and short writes at every I/O call of creating a collection and of concurrent writers: typed errors naming the file, every acknowledged write survives, every batch whole",
          arguments: FaultInjectingFileSystem<PosixFileSystem>.Fault.allCases)
    func faultsAtEveryCall(_ fault: FaultInjectingFileSystem<PosixFileSystem>.Fault) async throws {
        var configuration = Self.configuration
        configuration.shardCount = 2
        // Count the workload's mutating I/O calls once, then fail each in turn.
        // The calls are counted from the client's opening on: creating the collection too.
        let probeDirectory = TemporaryDirectory()
        let counter = FaultInjectingFileSystem(PosixFileSystem())
        let (probeClient, probe) = try await Self.open(probeDirectory.path, counter, configuration: configuration)
        #expect(await Self.faultWorkload(probe, FaultLedger()).isEmpty)
        let totalCalls = counter.calls
        await probeClient.close()
        var sites = 0
        var failedCalls = 0
        var creates = 0
        for failAt in 1...(totalCalls + 2) {
            for persistent in [false, true] {
                let directory = TemporaryDirectory()
                let faulty = FaultInjectingFileSystem(PosixFileSystem(), plan: .init(failAt: failAt, fault: fault, persistent: persistent))
                let ledger = FaultLedger()
                let client: Client, collection: VectorCollection
                do {
                    (client, collection) = try await Self.open(directory.path, faulty, configuration: configuration)
                } catch {
                    // The fault hit the client's opening or the collection's creation: a typed
                    // error, and once it clears, what it left is completed (or opens) empty.
                    let code = (error as? SemblanceError)?.code
                    #expect(code == .io || code == .storageUnavailable, "call \(failAt) while creating: \(error)")
                    let (again, created) = try await Self.open(directory.path, configuration: configuration)
                    #expect(created.count == 0)
                    try await created.upsert(id: "after", vector: Self.vector(1))
                    await again.close()
                    sites += 1
                    failedCalls += 1
                    creates += 1
                    continue
                }
                let errors = await Self.faultWorkload(collection, ledger)
                if !errors.isEmpty { failedCalls += 1 }
                for error in errors {
                    #expect([SemblanceError.Code.io, .storageUnavailable].contains(error.code), "call \(failAt): \(error)")
                    #expect(error.message.contains(directory.path) && error.message.firstMatch(of: /\bfd [0-9]/) == nil, "call \(failAt): \(error.message)")
                }
                await client.close()
                sites += 1
                // The fault clears; the reopened collection holds every acknowledged write.
                let disk: OnDisk
                do {
                    disk = try OnDisk(PosixFileSystem(), directory.file("c"))
                } catch {
                    Issue.record("reopen after a fault at call \(failAt) (persistent \(persistent)) failed: \(error)")
                    continue
                }
                let found = disk.vectors
                let (acknowledged, inFlight) = ledger.snapshot
                for (id, vector) in acknowledged {
                    let allowed = [vector] + inFlight.values.compactMap { $0[id] }
                    #expect(allowed.contains(found[id]), "call \(failAt) persistent \(persistent): \(id)")
                }
                for (writer, batch) in inFlight {
                    let landed = Set(batch.filter { $0.value != (acknowledged[$0.key] ?? nil) }.map { found[$0.key] == $0.value })
                    #expect(landed.count <= 1, "call \(failAt) persistent \(persistent): writer \(writer)'s batch is partly present")
                }
                disk.close()
            }
        }
        print("\(fault): \(totalCalls) I/O calls in the workload, \(sites) fault sites tried, \(failedCalls) of them failed a call, \(creates) while creating the client or collection")
        #expect(creates > 10)
        #expect(totalCalls > 60)
        #expect(failedCalls > totalCalls)
    }
}

/// A collection's live records, sorted, for exact comparisons.
struct OnDiskContents: Equatable {
    let lines: [String]
    init(_ collection: VectorCollection) throws {
        lines = collection.engine.snapshot.flatMap { $0.records.map { "\($0.id)=\($0.vector)" } }.sorted()
    }
}
