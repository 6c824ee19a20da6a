import Foundation
import Testing
@testable import Semblance
@testable import SemblanceS3

/// `verify` of a collection in object storage, through a replica's cache.
@Suite("Verifying a collection in object storage")
struct RemoteVerifyTests {
    /// A bucket holding `docs` with two branches and a tag, pushed.
    static func pushed() async throws -> (store: S3ObjectStore, folder: TemporaryDirectory, objects: Int) {
        let store = try await S3TestServer.bucket()
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let docs = try await client.createCollection("docs", configuration: PushTests.configuration)
        try await docs.upsert(PushTests.records(0..<2000))
        try await docs.commit(message: "first")
        try await docs.createTag("v1")
        try await docs.createBranch("side")
        let side = try await client.collection("docs", branch: "side")
        try await side.upsert(PushTests.records(5000..<5100))
        try await side.commit(message: "side")
        try await docs.delete("r1")
        try await docs.commit(message: "second")
        try await docs.push(to: store)
        try await side.push(to: store)
        await client.close()
        return (store, folder, try await store.list(prefix: "docs/objects/").count)
    }

    @Test("a sound remote collection: every object downloaded and checked, every branch and tag walked, nothing named by the cache")
    func sound() async throws {
        let (store, folder, objects) = try await Self.pushed()
        let local = try await Client.verify("docs", in: folder.path)
        let replica = try await Client(objectStore: store, cacheDirectory: TemporaryDirectory().path)
        let report = try await replica.verify("docs")
        #expect(report.isSound, "\(report.problems)")
        #expect(report.directory == store.location + "/docs")
        #expect(report.branches == 2 && report.commits == 3 && report.objects == objects && report.logs == 0, "\(report)")
        #expect(report.unreachableObjects == 0 && report.pages == local.pages && report.vectors == local.vectors, "\(report) against \(local)")
        #expect(try await replica.listCollections() == ["docs"])
        #expect(try await replica.collection("docs").count == 1999, "the replica still opens its branch")
        let missing = await #expect(throws: SemblanceError.self) { try await replica.verify("nothing") }
        #expect(missing?.code == .unknownCollection)
        await replica.close()
    }

    @Test("a damaged object and a missing one are problems naming their keys; the damaged one never enters the cache")
    func damage() async throws {
        let (store, _, _) = try await Self.pushed()
        let keys = try await store.list(prefix: "docs/objects/").map(\.key).sorted()
        let commitKeys = try await {
            var found: [String] = []
            for key in keys where try await store.get(key)?.bytes.first == UInt8(ascii: "{") { found.append(key) }
            return found
        }()
        let pageKeys = keys.filter { !commitKeys.contains($0) }
        let damaged = try #require(pageKeys.first)
        let deleted = try #require(pageKeys.last)
        _ = try await store.put(damaged, Array("not the page".utf8), if: .always)
        try await store.delete(deleted)

        let cache = TemporaryDirectory()
        let replica = try await Client(objectStore: store, cacheDirectory: cache.path)
        let report = try await replica.verify("docs")
        #expect(!report.isSound)
        let files = Set(report.problems.map(\.file))
        #expect(files.contains(store.location + "/" + damaged), "\(report.problems)")
        #expect(files.contains(store.location + "/" + deleted), "\(report.problems)")
        #expect(report.problems.allSatisfy { !$0.file.contains(cache.path) && !$0.message.contains(cache.path) }, "\(report.problems)")
        #expect(report.problems.filter { $0.file == store.location + "/" + damaged }.count == 1, "reported once")
        let hash = try #require(RemoteObjects.hash(key: damaged, root: "docs/"))
        #expect(!FileManager.default.fileExists(atPath: cache.file("docs/objects/" + hash.hex.prefix(2) + "/" + hash.hex.dropFirst(2))))
        await replica.close()
    }

    @Test("with a warm cache: objects damaged or gone in the bucket are its problems though the cache holds good copies; the cache's own damage is not")
    func warmCache() async throws {
        let (store, _, _) = try await Self.pushed()
        let cache = TemporaryDirectory()
        let replica = try await Client(objectStore: store, cacheDirectory: cache.path)
        #expect(try await replica.verify("docs").isSound, "a first verify fills the cache")
        let keys = try await store.list(prefix: "docs/objects/").map(\.key).sorted()
        func cached(_ key: String) throws -> String {
            let hash = try #require(RemoteObjects.hash(key: key, root: "docs/"))
            return cache.file("docs/objects/" + hash.hex.prefix(2) + "/" + hash.hex.dropFirst(2))
        }
        #expect(try keys.allSatisfy { FileManager.default.fileExists(atPath: try cached($0)) })

        // Damage in the cache only: the bucket is what is checked, and it is sound.
        let local = try cached(keys[0])
        try FileManager.default.removeItem(atPath: local)
        try Data("damaged here".utf8).write(to: URL(fileURLWithPath: local))
        let bucketSound = try await replica.verify("docs")
        #expect(bucketSound.isSound, "\(bucketSound.problems)")

        // Damage in the bucket, with good copies in the cache: the bucket's problems.
        _ = try await store.put(keys[1], Array("damaged there".utf8), if: .always)
        try await store.delete(keys[2])
        let report = try await replica.verify("docs")
        let files = Set(report.problems.map(\.file))
        #expect(files.contains(store.location + "/" + keys[1]) && files.contains(store.location + "/" + keys[2]), "\(report.problems)")
        #expect(report.problems.allSatisfy { !$0.file.contains(cache.path) && !$0.message.contains(cache.path) }, "\(report.problems)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.contains(".verify-") }
        #expect(leftovers.isEmpty, "the scratch folder is removed: \(leftovers)")
        await replica.close()
    }
}
