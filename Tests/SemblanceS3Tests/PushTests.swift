import Foundation
import Testing
@testable import Semblance
@testable import SemblanceS3

/// `push` to a real S3-protocol server (moto).
@Suite("Pushing commits to object storage")
struct PushTests {
    static let configuration = CollectionConfiguration(dimension: 4, metric: .squaredEuclidean, shardCount: 2, m: 8, efConstruction: 32,
                                                       checkpointPolicy: .manual)

    static func records(_ range: Range<Int>, prefix: String = "r") -> [VectorRecord] {
        range.map { VectorRecord(id: "\(prefix)\($0)", vector: [Float($0), 1, 0, 0]) }
    }

    /// Every object under `<name>/objects/` matches the hash it is named by.
    static func remoteObjectsAreWhole(_ store: S3ObjectStore, _ name: String) async throws -> Int {
        let listed = try await store.list(prefix: name + "/objects/")
        for entry in listed {
            let hash = try #require(RemoteObjects.hash(key: entry.key, root: name + "/"), "\(entry.key)")
            let object = try #require(try await store.get(entry.key))
            #expect(ObjectHash(of: object.bytes) == hash, "\(entry.key)")
        }
        return listed.count
    }

    @Test("a push uploads the objects the remote lacks, then moves the ref; again it uploads nothing; a fast-forward uploads only what is new")
    func pushAndFastForward() async throws {
        let store = try await S3TestServer.bucket()
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let docs = try await client.createCollection("docs", configuration: Self.configuration)
        let empty = await #expect(throws: SemblanceError.self) { try await docs.push(to: store) }
        #expect(empty?.code == .invalidArgument, "nothing committed")
        try await docs.upsert(Self.records(0..<5000))
        let first = try await docs.commit(message: "first")

        let pushed = try await docs.push(to: store)
        #expect(pushed.commit == first.id && pushed.previousCommit == nil)
        #expect(pushed.uploadedObjects > 3 && pushed.presentObjects == 0 && pushed.uploadedBytes > 0)
        #expect(try await store.get("docs/refs/heads/main")?.bytes == Array((first.id + "\n").utf8))
        #expect(try await store.get("docs/config.json")?.bytes == Array(try Data(contentsOf: URL(fileURLWithPath: folder.file("docs/config.json")))))
        #expect(try await Self.remoteObjectsAreWhole(store, "docs") == pushed.uploadedObjects)

        let again = try await docs.push(to: store)
        #expect(again.previousCommit == first.id && again.uploadedObjects == 0)

        try await docs.upsert(Self.records(5000..<5010))
        let second = try await docs.commit(message: "second")
        try await docs.upsert(Self.records(500..<510))  // logged, not committed: not pushed
        let forward = try await docs.push(to: store)
        #expect(forward.previousCommit == first.id && forward.commit == second.id)
        #expect(forward.uploadedObjects > 0 && forward.presentObjects > 0, "only the pages the second commit changed: \(forward)")
        #expect(forward.uploadedObjects < pushed.uploadedObjects)
        #expect(try await Self.remoteObjectsAreWhole(store, "docs") == pushed.uploadedObjects + forward.uploadedObjects)
        await client.close()
    }

    @Test("a push that is not a fast-forward is refused and changes no ref; with force it replaces the branch; another collection under the name is refused")
    func notAFastForward() async throws {
        let store = try await S3TestServer.bucket()
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let docs = try await client.createCollection("docs", configuration: Self.configuration)
        try await docs.upsert(Self.records(0..<20))
        let first = try await docs.commit(message: "first")
        try await docs.upsert(Self.records(20..<40))
        let second = try await docs.commit(message: "second")
        try await docs.push(to: store)

        try await docs.reset(to: first.id)
        try await docs.upsert(Self.records(0..<5, prefix: "other"))
        let diverged = try await docs.commit(message: "diverged")
        let refused = await #expect(throws: SemblanceError.self) { try await docs.push(to: store) }
        #expect(refused?.code == .pushRejected)
        #expect(refused?.message.contains("not a fast-forward") == true, "\(String(describing: refused))")
        #expect(try await store.get("docs/refs/heads/main")?.bytes == Array((second.id + "\n").utf8))
        let forced = try await docs.push(to: store, force: true)
        #expect(forced.previousCommit == second.id && forced.commit == diverged.id)

        // Another collection, created under the same name elsewhere.
        let elsewhere = TemporaryDirectory()
        let other = try await Client(directory: elsewhere.path)
        let impostor = try await other.createCollection("docs", configuration: Self.configuration)
        try await impostor.upsert(Self.records(0..<3))
        try await impostor.commit(message: "impostor")
        let foreign = await #expect(throws: SemblanceError.self) { try await impostor.push(to: store) }
        #expect(foreign?.code == .pushRejected)
        #expect(foreign?.message.contains("another collection") == true)
        await other.close()
        await client.close()
    }

    /// Moves the remote ref itself just before the push's conditional write of it, as a
    /// second writer pushing at that moment would.
    struct Interposed: RemoteObjectStore {
        let store: S3ObjectStore
        let otherHead: String
        var location: String { store.location }
        func get(_ key: String) async throws(SemblanceError) -> RemoteObject? { try await store.get(key) }
        func list(prefix: String) async throws(SemblanceError) -> [RemoteListing] { try await store.list(prefix: prefix) }
        func folders(under prefix: String) async throws(SemblanceError) -> [String] { try await store.folders(under: prefix) }
        func delete(_ key: String) async throws(SemblanceError) { try await store.delete(key) }
        func put(_ key: String, _ bytes: [UInt8], if condition: RemoteWriteCondition) async throws(SemblanceError) -> String? {
            if key.hasSuffix("refs/heads/main") { _ = try await store.put(key, Array((otherHead + "\n").utf8), if: .always) }
            return try await store.put(key, bytes, if: condition)
        }
    }

    @Test("of two writers pushing at once one wins: the loser gets .pushRejected and the remote ref is the winner's")
    func racingWriters() async throws {
        let store = try await S3TestServer.bucket()
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let docs = try await client.createCollection("docs", configuration: Self.configuration)
        try await docs.upsert(Self.records(0..<20))
        let base = try await docs.commit(message: "base")
        try await docs.push(to: store)
        await client.close()

        // A second writer: a copy of the directory, the same collection, its own commits.
        let copy = TemporaryDirectory()
        try FileManager.default.removeItem(atPath: copy.path)
        try FileManager.default.copyItem(atPath: folder.path, toPath: copy.path)
        var heads: [String] = []
        var writers: [Client] = []
        for (index, path) in [folder.path, copy.path].enumerated() {
            let writer = try await Client(directory: path)
            let collection = try await writer.collection("docs")
            try await collection.upsert(Self.records(0..<10, prefix: "w\(index)-"))
            heads.append(try await collection.commit(message: "writer \(index)").id)
            writers.append(writer)
        }
        let collections = [try await writers[0].collection("docs"), try await writers[1].collection("docs")]
        let outcomes = await withTaskGroup(of: (Int, Result<PushReport, SemblanceError>).self) { group in
            for index in 0..<2 {
                group.addTask {
                    do throws(SemblanceError) { return (index, .success(try await collections[index].push(to: store))) } catch { return (index, .failure(error)) }
                }
            }
            var outcomes: [(Int, Result<PushReport, SemblanceError>)] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes.sorted { $0.0 < $1.0 }
        }
        let winners = outcomes.filter { if case .success = $0.1 { true } else { false } }.map(\.0)
        #expect(winners.count == 1, "\(outcomes)")
        for (_, outcome) in outcomes { if case .failure(let error) = outcome { #expect(error.code == .pushRejected, "\(error)") } }
        let winner = try #require(winners.first)
        #expect(try await store.get("docs/refs/heads/main")?.bytes == Array((heads[winner] + "\n").utf8))

        // Deterministically: the ref moves between the push's read of it and its write.
        let loser = 1 - winner
        let interposed = Interposed(store: store, otherHead: base.id)
        _ = try await collections[winner].push(to: store)
        let lost = await #expect(throws: SemblanceError.self) { try await collections[loser].push(to: interposed, force: true) }
        #expect(lost?.code == .pushRejected)
        #expect(lost?.message.contains("another push moved the remote branch") == true, "\(String(describing: lost))")
        #expect(try await store.get("docs/refs/heads/main")?.bytes == Array((base.id + "\n").utf8), "the other writer's ref stands")
        for writer in writers { await writer.close() }
    }
}

@Suite("Pushing each commit")
struct PushEachCommitTests {
    @Test("with pushCommits(to:), each user commit is pushed as it is made; a failed push leaves the commit made and says so; nil stops it")
    func pushesEachCommit() async throws {
        let store = try await S3TestServer.bucket()
        let folder = TemporaryDirectory()
        let client = try await Client(directory: folder.path)
        let docs = try await client.createCollection("docs", configuration: PushTests.configuration)
        docs.pushCommits(to: store)
        try await docs.upsert(PushTests.records(0..<10))
        let first = try await docs.commit(message: "one")
        #expect(try await store.get("docs/refs/heads/main")?.bytes == Array((first.id + "\n").utf8))
        try await docs.upsert(PushTests.records(10..<20))
        try await docs.checkpoint()
        try await docs.upsert(PushTests.records(20..<30))
        let third = try await docs.commit(message: "three")
        #expect(try await store.get("docs/refs/heads/main")?.bytes == Array((third.id + "\n").utf8))

        // Another writer's ref, moved in between: this commit stays here, its push fails.
        docs.pushCommits(to: PushTests.Interposed(store: store, otherHead: first.id))
        try await docs.upsert(PushTests.records(30..<40))
        let error = await #expect(throws: SemblanceError.self) { try await docs.commit(message: "four") }
        #expect(error?.code == .pushRejected)
        #expect(error?.message.hasPrefix("committed ") == true, "\(String(describing: error))")
        #expect(try await docs.history().first?.message == "four")

        docs.pushCommits(to: nil)
        try await docs.upsert(PushTests.records(40..<50))
        try await docs.commit(message: "five")
        #expect(try await store.get("docs/refs/heads/main")?.bytes == Array((first.id + "\n").utf8), "no longer pushed")
        await client.close()
    }
}
