import Foundation
import Testing
@testable import Semblance
@testable import SemblanceS3

/// Failures injected at the HTTP level (scripts/s3_fault_proxy.py in front of moto): they
/// are retried with backoff or end in a typed error, and never leave a corrupt replica.
@Suite("Object storage behind failures", .serialized)
struct FaultInjectionTests {
    @Test("a 500, a 503 SlowDown, a reset connection, a body cut short and a time-out in a row: the request is tried again and answers right")
    func retried() async throws {
        let proxy = try S3FaultProxy.shared.get()
        let store = try await proxy.bucket()
        let bytes = (0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        _ = try #require(try await store.put("docs/object", bytes, if: .always))
        try await proxy.inject(["500", "503", "reset", "truncate", "timeout"])
        #expect(try await store.get("docs/object")?.bytes == bytes)
        #expect(try await proxy.queued() == 0, "each fault met one try")

        try await proxy.inject(["reset", "503"])
        #expect(try await store.put("docs/other", bytes, if: .absent) != nil)
        try await proxy.inject(["timeout", "truncate"])
        #expect(try await store.list(prefix: "docs/").map(\.key) == ["docs/object", "docs/other"])
    }

    @Test("failures beyond the tries give .storageUnavailable naming the last one; nothing was written")
    func givesUp() async throws {
        let proxy = try S3FaultProxy.shared.get()
        var store = try await proxy.bucket()
        store.configuration.maximumAttempts = 3
        try await proxy.inject(["503", "503", "503"])
        let error = await #expect(throws: SemblanceError.self) { try await store.put("docs/x", [1, 2, 3], if: .absent) }
        #expect(error?.code == .storageUnavailable)
        #expect(error?.message.contains("SlowDown") == true, "\(String(describing: error))")
        #expect(error?.path == store.location + "/docs/x")
        #expect(try await store.get("docs/x") == nil)
    }

    @Test("a push and a replica's open through damaged answers: the push lands whole, the replica's cache holds only checked objects and it reads right")
    func noCorruptReplica() async throws {
        let proxy = try S3FaultProxy.shared.get()
        let store = try await proxy.bucket()
        let folder = TemporaryDirectory()
        let writer = try await Client(directory: folder.path)
        let docs = try await writer.createCollection("docs", configuration: PushTests.configuration)
        try await docs.upsert(PushTests.records(0..<3000))
        let commit = try await docs.commit(message: "one")
        // The ref's conditional write meets a cut answer: written, but the push did not
        // hear so; its retry's condition fails, and the push sees that it won all the same.
        try await proxy.inject(["reset", "500", "truncate"])
        let pushed = try await docs.push(to: store)
        #expect(pushed.commit == commit.id)
        #expect(try await PushTests.remoteObjectsAreWhole(store, "docs") == pushed.uploadedObjects)

        let cache = TemporaryDirectory()
        // Spread over the replica's first requests (the listing, config.json, the ref, the
        // grafts, the commit, the pages), fewer in a row than a request's tries.
        try await proxy.inject(["corrupt", "pass", "corrupt", "truncate", "pass", "corrupt", "reset", "pass", "corrupt", "corrupt"])
        let replica = try await Client(objectStore: store, cacheDirectory: cache.path)
        let read = try await replica.collection("docs")
        #expect(read.count == 3000)
        #expect(try await read.search([42, 1, 0, 0], k: 1).first?.id == "r42")
        let objects = cache.file("docs/objects")
        for path in try FileManager.default.subpathsOfDirectory(atPath: objects) where path.count == 65 {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: objects + "/" + path)))
            #expect(ObjectHash(of: bytes).hex == path.replacingOccurrences(of: "/", with: ""), "\(path)")
        }
        await replica.close()
        await writer.close()
    }

    @Test("the ref's write whose answer is lost: the retry finds the ref already moved to this push's head, and the push succeeds")
    func lostAnswerOfTheRefWrite() async throws {
        let proxy = try S3FaultProxy.shared.get()
        let store = try await proxy.bucket()
        let folder = TemporaryDirectory()
        let writer = try await Client(directory: folder.path)
        let docs = try await writer.createCollection("docs", configuration: PushTests.configuration)
        try await docs.upsert(PushTests.records(0..<10))
        try await docs.commit(message: "one")
        try await docs.push(to: store)
        try await docs.upsert(PushTests.records(10..<20))
        let second = try await docs.commit(message: "two")
        // Requests of this push: the config's put (refused: it is there) and get, the ref's
        // get, the listing, one upload per new object, then the ref's put, whose answer is
        // cut.
        let expectedUploads = try await Self.missingObjects(docs, store)
        try await proxy.inject(Array(repeating: "pass", count: 4 + expectedUploads) + ["truncate"])
        let pushed = try await docs.push(to: store)
        #expect(pushed.commit == second.id)
        #expect(try await proxy.queued() == 0)
        #expect(try await store.get("docs/refs/heads/main")?.bytes == Array((second.id + "\n").utf8))
        await writer.close()
    }

    /// How many objects a push of `docs` would upload to `store`.
    static func missingObjects(_ docs: VectorCollection, _ store: S3ObjectStore) async throws -> Int {
        let files = docs.engine.files
        let head = try #require(docs.engine.head)
        var needed = Set<ObjectHash>()
        for hash in try CommitHistory(files).reachable(from: [head], load: { (hash) throws(SemblanceError) in try files.commit(hash) }) {
            needed.insert(hash)
            needed.formUnion(try files.commit(hash).shards.flatMap(\.allObjects))
        }
        let present = Set(try await store.list(prefix: "docs/objects/").compactMap { RemoteObjects.hash(key: $0.key, root: "docs/") })
        return needed.subtracting(present).count
    }
}
