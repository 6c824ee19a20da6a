import Foundation
import Synchronization
import Testing
@testable import Semblance
@testable import SemblanceS3

/// Replicas: clients of a database root in object storage (moto), reading what was pushed.
@Suite("Replicas from object storage")
struct ReplicaTests {
    /// Counts the objects downloaded, and damages the first `damaged` object bodies it
    /// passes on, as a body cut or altered on the way would be.
    final class Watched: RemoteObjectStore {
        let store: S3ObjectStore
        private let state: Mutex<(objectGets: Int, damaged: Int)>
        init(_ store: S3ObjectStore, damaged: Int = 0) {
            self.store = store
            state = Mutex((0, damaged))
        }
        var objectGets: Int { state.withLock { $0.objectGets } }
        var location: String { store.location }
        func get(_ key: String) async throws(SemblanceError) -> RemoteObject? {
            guard var object = try await store.get(key) else { return nil }
            guard key.contains("/objects/") else { return object }
            let damage = state.withLock { s -> Bool in
                s.objectGets += 1
                guard s.damaged > 0 else { return false }
                s.damaged -= 1
                return true
            }
            if damage { object.bytes = Array(object.bytes.dropLast(1)) }
            return object
        }
        func put(_ key: String, _ bytes: [UInt8], if condition: RemoteWriteCondition) async throws(SemblanceError) -> String? {
            try await store.put(key, bytes, if: condition)
        }
        func list(prefix: String) async throws(SemblanceError) -> [RemoteListing] { try await store.list(prefix: prefix) }
        func folders(under prefix: String) async throws(SemblanceError) -> [String] { try await store.folders(under: prefix) }
        func delete(_ key: String) async throws(SemblanceError) { try await store.delete(key) }
    }

    @Test("a replica opens what was pushed, refreshes to the next push, and a second open from the same cache downloads no object")
    func openRefreshAndCache() async throws {
        let store = try await S3TestServer.bucket()
        let folder = TemporaryDirectory()
        let writer = try await Client(directory: folder.path)
        let docs = try await writer.createCollection("docs", configuration: PushTests.configuration)
        try await docs.upsert(PushTests.records(0..<5000))
        let first = try await docs.commit(message: "first")
        try await docs.push(to: store)

        let cache = TemporaryDirectory()
        let watched = Watched(store)
        let replica = try await Client(objectStore: watched, cacheDirectory: cache.path)
        #expect(replica.objectStore?.location == store.location)
        #expect(try await replica.listCollections() == ["docs"])
        let read = try await replica.collection("docs")
        #expect(read.isReadOnly && read.count == 5000)
        #expect(try await read.search([42, 1, 0, 0], k: 1).first?.id == "r42")
        #expect(try await read.history().map(\.id) == [first.id])
        let cold = watched.objectGets
        #expect(cold > 3)

        try await docs.upsert(PushTests.records(5000..<5020))
        try await docs.delete("r0")
        let second = try await docs.commit(message: "second")
        try await docs.upsert(PushTests.records(9000..<9010))  // not committed: not pushed
        try await docs.push(to: store)
        #expect(try await read.refresh())
        #expect(read.count == 5019 && !read.contains("r0") && read.contains("r5019") && !read.contains("r9000"))
        #expect(try await read.history().map(\.id) == [second.id, first.id])
        #expect(try await read.refresh() == false)
        let refreshed = watched.objectGets - cold
        #expect(refreshed > 0 && refreshed < cold, "only the new commit and its changed pages: \(refreshed) of \(cold)")
        await replica.close()

        let warm = Watched(store)
        let again = try await Client(objectStore: warm, cacheDirectory: cache.path)
        #expect(try await again.collection("docs").count == 5019)
        #expect(warm.objectGets == 0, "the cache had every object")
        await again.close()
        await writer.close()
    }

    @Test("a following replica catches up with pushes by itself")
    func following() async throws {
        let store = try await S3TestServer.bucket()
        let folder = TemporaryDirectory()
        let writer = try await Client(directory: folder.path)
        let docs = try await writer.createCollection("docs", configuration: PushTests.configuration)
        let cache = TemporaryDirectory()
        try await docs.upsert(PushTests.records(0..<10))
        try await docs.commit(message: "one")
        try await docs.push(to: store)
        let replica = try await Client(objectStore: store, cacheDirectory: cache.path, access: .following(every: 0.05))
        let read = try await replica.collection("docs")
        #expect(read.count == 10)
        try await docs.upsert(PushTests.records(10..<25))
        try await docs.commit(message: "two")
        try await docs.push(to: store)
        let deadline = ContinuousClock.now + .seconds(20)
        while read.count != 25 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(read.count == 25)
        await replica.close()
        await writer.close()
    }

    /// A bucket holding `docs`, 50 records in one commit, pushed.
    static func bucketWithOneCommit() async throws -> S3ObjectStore {
        let store = try await S3TestServer.bucket()
        let folder = TemporaryDirectory()
        let writer = try await Client(directory: folder.path)
        let docs = try await writer.createCollection("docs", configuration: PushTests.configuration)
        try await docs.upsert(PushTests.records(0..<50))
        try await docs.commit(message: "one")
        try await docs.push(to: store)
        await writer.close()
        return store
    }

    @Test("syncs of one cache take turns: a replica's open waits while another holds the cache's sync lock, then goes on")
    func syncsTakeTurns() async throws {
        let store = try await Self.bucketWithOneCommit()

        // Another process's sync, played by a lock taken here: flock locks belong to an open
        // file, so this one excludes the replica's as another process's would.
        let cache = TemporaryDirectory()
        let fs = PosixFileSystem()
        let held = try fs.lockExclusively(cache.file(".docs.sync-lock"))
        let cachePath = cache.path
        let opening = Task { () async throws -> Int in
            let replica = try await Client(objectStore: store, cacheDirectory: cachePath)
            let count = try await replica.collection("docs").count
            await replica.close()
            return count
        }
        try await Task.sleep(for: .milliseconds(800))
        #expect(!FileManager.default.fileExists(atPath: cache.file("docs/config.json")), "nothing synced while the lock is held")
        fs.close(held)
        #expect(try await opening.value == 50)
        #expect(FileManager.default.fileExists(atPath: cache.file("docs/refs/heads/main")))
    }

    @Test("a damaged download is tried again; one damaged every time is .corruptFile naming it and never enters the cache; refusals")
    func damageAndRefusals() async throws {
        let store = try await Self.bucketWithOneCommit()

        let healed = TemporaryDirectory()
        let twice = Watched(store, damaged: 2)
        #expect(try await Client(objectStore: twice, cacheDirectory: healed.path).collection("docs").count == 50)

        let cache = TemporaryDirectory()
        let always = Watched(store, damaged: .max)
        let replica = try await Client(objectStore: always, cacheDirectory: cache.path)
        let error = await #expect(throws: SemblanceError.self) { try await replica.collection("docs") }
        #expect(error?.code == .corruptFile)
        #expect(error?.path?.hasPrefix(store.location + "/docs/objects/") == true, "\(String(describing: error))")
        let cached = try FileManager.default.subpathsOfDirectory(atPath: cache.file("docs/objects")).filter { !$0.contains("/.") && $0.count > 3 }
        #expect(cached.isEmpty, "nothing damaged was kept: \(cached)")
        #expect(!FileManager.default.fileExists(atPath: cache.file("docs/refs/heads/main")))

        let unknown = await #expect(throws: SemblanceError.self) { try await replica.collection("nothing") }
        #expect(unknown?.code == .unknownCollection)
        let branch = await #expect(throws: SemblanceError.self) { try await Client(objectStore: store, cacheDirectory: healed.path).collection("docs", branch: "side") }
        #expect(branch?.code == .unknownRef)
        let writable = await #expect(throws: SemblanceError.self) { try await Client(objectStore: store, cacheDirectory: cache.path, access: .readWrite) }
        #expect(writable?.code == .invalidArgument)
        await replica.close()
    }
}
