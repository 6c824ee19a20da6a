import Foundation
import Testing
@testable import Semblance
@testable import SemblanceS3

/// Garbage collection of a collection in object storage (moto).
@Suite("Garbage collection in object storage")
struct RemoteGarbageTests {
    @Test("retention and the grace period over the remote's objects: a first run marks, a run with no grace deletes; a live lease keeps its commit, an expired one is deleted; a replica still opens")
    func collect() async throws {
        let store = try await S3TestServer.bucket()
        let folder = TemporaryDirectory()
        let writer = try await Client(directory: folder.path)
        let docs = try await writer.createCollection("docs", configuration: PushTests.configuration)
        var commits: [Commit] = []
        for round in 0..<3 {
            try await docs.upsert(PushTests.records(round * 2000..<(round + 1) * 2000))
            commits.append(try await docs.commit(message: "round \(round)"))
            try await docs.push(to: store)
        }
        // An object a losing push left: garbage from the start.
        let stray = Array(repeating: UInt8(7), count: 3000)
        let strayHash = ObjectHash(of: stray)
        _ = try await store.put("docs/objects/" + strayHash.hex.prefix(2) + "/" + strayHash.hex.dropFirst(2), stray, if: .always)
        // A reader's live lease on the first commit, and an expired one.
        let live = LeaseFile(expires: Date().timeIntervalSince1970 + 600, commits: [commits[0].id], process: 1)
        let expired = LeaseFile(expires: Date().timeIntervalSince1970 - 1, commits: [commits[1].id], process: 2)
        _ = try await store.put("docs/leases/live", Array(try JSONEncoder().encode(live)), if: .always)
        _ = try await store.put("docs/leases/expired", Array(try JSONEncoder().encode(expired)), if: .always)
        let before = try await store.list(prefix: "docs/objects/").count

        let marking = try await store.collectGarbage(collection: "docs", retention: RetentionPolicy(keepLast: 1), grace: 600)
        #expect(marking.deletedObjects == 0 && marking.pendingObjects > 0, "\(marking)")
        #expect(marking.keptCommits == 2 && marking.readerLeases == 1 && marking.leasedCommits == 1, "the head and the leased first commit: \(marking)")
        #expect(marking.prunedCommits == 1, "the second commit")
        #expect(try await store.get("docs/leases/expired") == nil, "the expired lease is deleted")
        #expect(try await store.get("docs/gc-pending") != nil)

        try await store.delete("docs/leases/live")
        let sweeping = try await store.collectGarbage(collection: "docs", retention: RetentionPolicy(keepLast: 1), grace: 0)
        #expect(sweeping.deletedObjects > marking.pendingObjects && sweeping.keptCommits == 1, "\(sweeping)")
        #expect(sweeping.pendingObjects == 0 && sweeping.freedBytes > 3000)
        #expect(try await store.get("docs/gc-pending") == nil)
        let after = try await store.list(prefix: "docs/objects/")
        #expect(after.count == before - sweeping.deletedObjects)
        #expect(!after.contains { $0.key.hasSuffix(strayHash.hex.dropFirst(2)) })
        #expect(try await PushTests.remoteObjectsAreWhole(store, "docs") == after.count)
        let grafts = try #require(try await store.get("docs/refs/grafts"))
        #expect(String(decoding: grafts.bytes, as: UTF8.self) == commits[2].id + "\n", "history now starts at the head")

        let cache = TemporaryDirectory()
        let replica = try await Client(objectStore: store, cacheDirectory: cache.path)
        let read = try await replica.collection("docs")
        #expect(read.count == 6000)
        #expect(try await read.history().map(\.id) == [commits[2].id])
        await replica.close()

        // The next push after a collection: the remote lacks what was deleted, nothing else.
        try await docs.upsert(PushTests.records(6000..<6100))
        let next = try await docs.commit(message: "round 3")
        let present = Set(try await store.list(prefix: "docs/objects/").compactMap { RemoteObjects.hash(key: $0.key, root: "docs/") })
        let nextHash = try #require(ObjectHash(hex: next.id))
        let expected = Set([nextHash] + (try docs.engine.files.commit(nextHash)).shards.flatMap(\.allObjects)).subtracting(present)
        let pushed = try await docs.push(to: store)
        #expect(pushed.commit == next.id)
        #expect(pushed.uploadedObjects == expected.count, "the new commit and its new pages, not what gc pruned: \(pushed)")
        #expect(try await PushTests.remoteObjectsAreWhole(store, "docs") > 0)

        let missing = await #expect(throws: SemblanceError.self) { try await store.collectGarbage(collection: "nothing") }
        #expect(missing?.code == .unknownCollection)
        let badGrace = await #expect(throws: SemblanceError.self) { try await store.collectGarbage(collection: "docs", grace: -1) }
        #expect(badGrace?.code == .invalidArgument)
        await writer.close()
    }
}
