import Foundation
import Testing
@testable import Semblance

@Suite("Collection storage: reopen, checkpoints, damage, faults")
struct CollectionStoreTests {
    let fs = PosixFileSystem()
    static let configuration = IndexConfiguration(dimension: 8, metric: .squaredEuclidean, m: 8, efConstruction: 64)

    static func vector(_ i: Int, version: Int = 0) -> [Float] {
        (0..<8).map { Float(($0 * 7 + i * 13 + version * 31) % 97) / 10 }
    }

    /// Every live (id, vector) of a store, sorted, for exact comparisons.
    static func contents(_ store: CollectionStore) -> [String] {
        store.shards.flatMap { $0.records.map { "\($0.id)=\($0.vector)" } }.sorted()
    }

    @Test("writes survive close and reopen, from the logs alone and from a checkpoint plus logs")
    func reopen() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("docs")
        var store = try CollectionStore.create(fs, directory: path, index: Self.configuration, shardCount: 3)
        try store.upsert((0..<300).map { (id: "v\($0)", vector: Self.vector($0)) })
        try store.delete(["v5", "v7", "nope"])
        try store.upsert([(id: "v9", vector: Self.vector(9, version: 1))])
        let expected = Self.contents(store)
        store.close()

        store = try CollectionStore.open(fs, directory: path)
        #expect(Self.contents(store) == expected)
        #expect(store.head == nil)
        try store.checkpoint(message: "first")
        try store.upsert((300..<350).map { (id: "v\($0)", vector: Self.vector($0)) })
        try store.delete(["v10"])
        let expected2 = Self.contents(store)
        let graphs = store.shards.map { $0.graphDump() }
        store.close()

        store = try CollectionStore.open(fs, directory: path)
        #expect(Self.contents(store) == expected2)
        #expect(store.head != nil)
        #expect(store.shards.map { $0.graphDump() } == graphs)
        for shard in store.shards { #expect(shard.invariantViolations().isEmpty) }
        store.close()

        // Opening twice more gives the identical state.
        let again = try CollectionStore.open(fs, directory: path)
        #expect(Self.contents(again) == expected2 && again.shards.map { $0.graphDump() } == graphs)
    }

    @Test("a checkpoint with nothing changed writes only its commit; one change rewrites only its pages")
    func incrementalCheckpoint() throws {
        let directory = TemporaryDirectory()
        let store = try CollectionStore.create(fs, directory: directory.file("c"), index: Self.configuration, shardCount: 2)
        try store.upsert((0..<5000).map { (id: "v\($0)", vector: Self.vector($0)) })
        let full = try store.checkpoint()
        #expect(full.objectsWritten > 0 && full.objectsWritten <= full.objects)  // equal pages are stored once
        let unchanged = try store.checkpoint()
        #expect(unchanged.objectsWritten == 0 && unchanged.bytesWritten == 0)
        try store.delete(["v1"])
        let small = try store.checkpoint()
        print("5,000 × 8-d: full \(full.bytes) bytes in \(full.objects) objects; after one delete \(small.bytesWritten) bytes in \(small.objectsWritten) objects")
        #expect(small.objectsWritten == 1)  // the node-record page with the tombstone
        #expect(small.bytesWritten * 20 < full.bytes)
    }

    @Test("a log that ends before the head commit (its tail lost, the ref durable) does not swallow later writes")
    func logShorterThanCommit() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("c")
        var store = try CollectionStore.create(fs, directory: path, index: Self.configuration, shardCount: 1, durability: .none)
        try store.upsert([(id: "a", vector: Self.vector(1))])
        let logPath = store.logPath(0)
        let savedLog = try Data(contentsOf: URL(fileURLWithPath: logPath))
        try store.upsert([(id: "b", vector: Self.vector(2)), (id: "c", vector: Self.vector(3))])
        try store.checkpoint()
        store.close()
        // As after a power loss: the checkpoint's ref survived, the log's new content did not.
        try savedLog.write(to: URL(fileURLWithPath: logPath))
        store = try CollectionStore.open(fs, directory: path)
        #expect(Self.contents(store).count == 3)
        try store.upsert([(id: "d", vector: Self.vector(4))])
        store.close()
        store = try CollectionStore.open(fs, directory: path)
        #expect(store.shards[0].get("d") == Self.vector(4))
        #expect(Self.contents(store).count == 4)
    }

    @Test("after a failed write the store refuses further writes until reopened")
    func poisonedStore() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("c")
        let faulty = FaultInjectingFileSystem(fs)
        let store = try CollectionStore.create(faulty, directory: path, index: Self.configuration, shardCount: 2)
        try store.upsert([(id: "a", vector: Self.vector(1))])
        faulty.setPlan(.init(failAt: 1, fault: .ioError, persistent: false))
        #expect(throws: SemblanceError.self) { try store.upsert([(id: "b", vector: Self.vector(2))]) }
        do {
            try store.delete(["a"])
            Issue.record("a write after a failure was accepted")
        } catch {
            #expect(error.code == .storageUnavailable)
        }
        store.close()
        let reopened = try CollectionStore.open(fs, directory: path)
        #expect(reopened.shards[reopened.shard(of: "a")].get("a") == Self.vector(1))
    }

    @Test("a second open of the same directory is refused with .locked and changes nothing")
    func exclusiveLock() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("c")
        let store = try CollectionStore.create(fs, directory: path, index: Self.configuration, shardCount: 1)
        try store.upsert([(id: "a", vector: Self.vector(1))])
        do {
            _ = try CollectionStore.open(fs, directory: path)
            Issue.record("opened twice")
        } catch {
            #expect(error.code == .locked)
            #expect(error.message.contains("LOCK"))
        }
        try store.upsert([(id: "b", vector: Self.vector(2))])
        store.close()
        #expect(Self.contents(try CollectionStore.open(fs, directory: path)).count == 2)
    }

    @Test("files are owner-only, and a symbolic link planted in place of a file is not followed")
    func permissionsAndSymlinks() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("c")
        let store = try CollectionStore.create(fs, directory: path, index: Self.configuration, shardCount: 1)
        try store.upsert([(id: "a", vector: Self.vector(1))])
        try store.checkpoint()
        store.close()
        let files = try FileManager.default.subpathsOfDirectory(atPath: path)
        for file in files {
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
            _ = try CollectionStore.open(fs, directory: path)
            Issue.record("a symbolic link was followed")
        } catch {
            #expect(error.code == .io && error.message.contains("shard-0.log"), "\(error)")
        }
    }

    @Test("leftover temp files of interrupted writes are removed on open")
    func temporaryFilesRemoved() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("c")
        let store = try CollectionStore.create(fs, directory: path, index: Self.configuration, shardCount: 1)
        try store.upsert([(id: "a", vector: Self.vector(1))])
        try store.checkpoint()
        store.close()
        for folder in ["", "/refs/heads", "/wal/main"] {
            _ = FileManager.default.createFile(atPath: path + folder + "/.tmp-left-behind-123", contents: Data([1, 2, 3]))
        }
        _ = try CollectionStore.open(fs, directory: path)
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test("a damaged, missing or swapped page object is a corruptFile error naming the file")
    func damagedObjects() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("c")
        let store = try CollectionStore.create(fs, directory: path, index: Self.configuration, shardCount: 1)
        try store.upsert((0..<100).map { (id: "v\($0)", vector: Self.vector($0)) })
        try store.checkpoint()
        store.close()
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
                    _ = try CollectionStore.open(fs, directory: path)
                    Issue.record("opened with damage \(damage) in \(file)")
                } catch {
                    #expect(error.code == .corruptFile)
                    #expect(error.message.contains(file), "message: \(error.message)")
                }
                try original.write(to: URL(fileURLWithPath: file))
            }
        }
        #expect(Self.contents(try CollectionStore.open(fs, directory: path)).count == 100)
    }

    @Test("ENOSPC, EIO and short writes at every I/O call: typed errors, and every acknowledged write survives",
          arguments: FaultInjectingFileSystem<PosixFileSystem>.Fault.allCases)
    func faultsAtEveryCall(_ fault: FaultInjectingFileSystem<PosixFileSystem>.Fault) throws {
        // Count the workload's mutating I/O calls once, then fail each in turn.
        /// Acknowledged writes, and the batch in flight when the workload stopped: a write that
        /// failed may or may not have reached the log, so after reopening either is correct.
        struct Ledger {
            var acknowledged: [String: [Float]?] = [:]
            var inFlight: [String: [Float]?] = [:]
        }
        func workload(_ store: CollectionStore, ledger: inout Ledger) throws {
            for step in 0..<12 {
                let batch = (0..<5).map { (id: "v\(step * 3 + $0)", vector: Self.vector(step * 5 + $0, version: step)) }
                ledger.inFlight = Dictionary(uniqueKeysWithValues: batch.map { ($0.id, Optional($0.vector)) })
                try store.upsert(batch)
                ledger.acknowledged.merge(ledger.inFlight) { $1 }
                ledger.inFlight = [:]
                if step % 4 == 1 {
                    ledger.inFlight = ["v\(step)": Optional<[Float]>.none]
                    try store.delete(["v\(step)"])
                    ledger.acknowledged.merge(ledger.inFlight) { $1 }
                    ledger.inFlight = [:]
                }
                if step % 5 == 2 { try store.checkpoint() }
            }
        }
        let probeDirectory = TemporaryDirectory()
        let counter = FaultInjectingFileSystem(fs)
        var ignored = Ledger()
        try workload(try CollectionStore.create(counter, directory: probeDirectory.file("c"), index: Self.configuration, shardCount: 2), ledger: &ignored)
        let totalCalls = counter.calls
        var sites = 0
        for failAt in 1...totalCalls {
            for persistent in [false, true] {
                let directory = TemporaryDirectory()
                let path = directory.file("c")
                let faulty = FaultInjectingFileSystem(fs)
                var ledger = Ledger()
                do {
                    let store = try CollectionStore.create(faulty, directory: path, index: Self.configuration, shardCount: 2)
                    faulty.setPlan(.init(failAt: failAt, fault: fault, persistent: persistent))
                    try workload(store, ledger: &ledger)
                    store.close()
                } catch let error as SemblanceError {
                    #expect([SemblanceError.Code.io, .storageUnavailable].contains(error.code), "call \(failAt): \(error)")
                } catch {
                    Issue.record("untyped error at call \(failAt): \(error)")
                }
                sites += 1
                // The fault clears; the reopened collection holds every acknowledged write.
                guard fs.fileExists(path + "/config.json") else { continue }
                let reopened: CollectionStore
                do {
                    reopened = try CollectionStore.open(fs, directory: path)
                } catch {
                    Issue.record("reopen after a fault at call \(failAt) (persistent \(persistent)) failed: \(error)")
                    continue
                }
                for (id, vector) in ledger.acknowledged {
                    let found = reopened.shards[reopened.shard(of: id)].get(id)
                    let allowed = [vector] + (ledger.inFlight[id].map { [$0] } ?? [])
                    #expect(allowed.contains(found), "call \(failAt) persistent \(persistent): \(id)")
                }
                reopened.close()
            }
        }
        print("\(fault): \(totalCalls) I/O calls in the workload, \(sites) fault sites tried")
        #expect(totalCalls > 40)
    }
}
