import Foundation
import Testing
@testable import Semblance
@testable import SemblanceS3

/// Tags on object storage: pushed with the history they name, read by replicas.
@Suite("Tags in object storage")
struct RemoteTagTests {
    @Test("a push takes the tags of the pushed history (not others); a replica reads them, and one pushed later; a tag moved remotely is refused without force")
    func tagsGoWithTheHistory() async throws {
        let store = try await S3TestServer.bucket()
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let docs = try await client.createCollection("docs", configuration: PushTests.configuration)
        try await docs.upsert(PushTests.records(0..<300))
        let first = try await docs.commit(message: "first")
        try await docs.createTag("v1")
        try await docs.createBranch("side")
        let side = try await client.collection("docs", branch: "side")
        try await side.upsert(PushTests.records(900..<910))
        let sideCommit = try await side.commit(message: "side")
        try await side.createTag("side-tag")
        try await docs.upsert(PushTests.records(300..<400))
        let second = try await docs.commit(message: "second")

        let pushed = try await docs.push(to: store)
        #expect(pushed.tags == ["v1"], "side-tag names no commit of main's history")
        #expect(try await store.get("docs/refs/tags/v1")?.bytes == Array((first.id + "\n").utf8))
        #expect(try await store.get("docs/refs/tags/side-tag") == nil)

        let cache = TemporaryDirectory()
        let replica = try await Client(objectStore: store, cacheDirectory: cache.path)
        let read = try await replica.collection("docs")
        #expect(read.count == 400)
        #expect(try read.tags().map(\.name) == ["v1"])
        #expect(try await read.snapshot(at: "v1").count == 300)
        #expect(try await read.snapshot(at: "V1").count == 300, "a tag's name in another case is the same tag")

        // A tag made after the push: a second push of the same head takes it; the replica
        // reads it when asked for it.
        try await docs.createTag("v2")
        let tagOnly = try await docs.push(to: store)
        #expect(tagOnly.previousCommit == second.id && tagOnly.tags == ["v2"] && tagOnly.uploadedObjects == 0)
        #expect(try await read.snapshot(at: "v2").count == 400)
        #expect(try await docs.push(to: store).tags.isEmpty, "the remote has them now")

        // The side branch pushed: its tag goes with it.
        #expect(try await side.push(to: store).tags == ["side-tag"])
        #expect(try await read.snapshot(at: "side-tag").count == 310)
        #expect(try await read.diff(from: "v1", to: "side-tag").added.count == 10)
        #expect(try await read.snapshot(at: "side").count == 310, "another branch of the bucket, by name")

        // Another writer's tag of the same name, on another commit: refused, then forced.
        _ = try await store.put("docs/refs/tags/v2", Array((sideCommit.id + "\n").utf8), if: .matching(try #require(try await store.get("docs/refs/tags/v2")).etag))
        let refused = await #expect(throws: SemblanceError.self) { try await docs.push(to: store) }
        #expect(refused?.code == .pushRejected && refused?.message.contains("v2") == true, "\(String(describing: refused))")
        #expect(try await store.get("docs/refs/tags/v2")?.bytes == Array((sideCommit.id + "\n").utf8), "unchanged")
        #expect(try await docs.push(to: store, force: true).tags == ["v2"])
        #expect(try await store.get("docs/refs/tags/v2")?.bytes == Array((second.id + "\n").utf8))

        // A tag deleted remotely is gone from the replica when asked for.
        try await store.delete("docs/refs/tags/v1")
        let gone = await #expect(throws: SemblanceError.self) { try await read.snapshot(at: "v1") }
        #expect(gone?.code == .unknownRef)
        await replica.close()
        await client.close()
    }

    @Test("a remote garbage collection keeps a tagged commit that retention alone would drop")
    func remoteCollectionKeepsTags() async throws {
        let store = try await S3TestServer.bucket()
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let docs = try await client.createCollection("docs", configuration: PushTests.configuration)
        try await docs.upsert(PushTests.records(0..<200))
        try await docs.commit(message: "first")
        try await docs.createTag("v1")
        for batch in 1...3 {
            try await docs.upsert(PushTests.records(batch * 1000..<(batch * 1000 + 50)))
            try await docs.commit(message: "batch \(batch)")
        }
        try await docs.push(to: store)
        let report = try await store.collectGarbage(collection: "docs", retention: RetentionPolicy(keepLast: 1), grace: 0)
        #expect(report.keptCommits == 2, "the head and the tagged commit: \(report)")
        let replica = try await Client(objectStore: store, cacheDirectory: TemporaryDirectory().path)
        #expect(try await replica.collection("docs").snapshot(at: "v1").count == 200)
        await replica.close()
        await client.close()
    }
}
