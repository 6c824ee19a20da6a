import Dispatch
import Synchronization
@testable import Semblance

/// A collection's files read as an open reads them (the same code, no actors, no writes
/// taken): what a test checks after a crash, a fault or a close. It holds the collection's
/// lock until it is released (`close()`, or when it goes away).
final class OnDisk {
    let opened: CollectionStore.Opened

    init(_ fs: any FileSystem = PosixFileSystem(), _ directory: String) throws(SemblanceError) {
        opened = try CollectionStore.open(CollectionFiles.open(fs, directory: directory), branch: CollectionFiles.mainBranch)
    }

    var shards: [VectorIndex] { opened.shards.map(\.index) }
    var configuration: StoredConfiguration { opened.store.configuration }
    var head: ObjectHash? { opened.store.head }
    func shard(of id: String) -> Int { ShardRouting.shard(of: id, shardCount: configuration.shardCount) }

    /// Every live id with its vector.
    var vectors: [String: [Float]] {
        var found: [String: [Float]] = [:]
        for index in shards { for record in index.records { found[record.id] = record.vector } }
        return found
    }

    /// Every live record as "id=vector", sorted, for exact comparisons.
    var contents: [String] { shards.flatMap { $0.records.map { "\($0.id)=\($0.vector)" } }.sorted() }

    func close() {
        for shard in opened.shards { shard.close() }
        opened.store.release()
        opened.store.files.lock?.release()
    }
}

/// Runs async work from synchronous test code (a Dispatch thread, never a thread of the
/// cooperative pool that the work itself needs) and waits for it.
func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let done = DispatchSemaphore(value: 0)
    let result = Mutex<Result<T, any Error>?>(nil)
    Task {
        let outcome: Result<T, any Error>
        do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
        result.withLock { $0 = outcome }
        done.signal()
    }
    done.wait()
    return try result.withLock { $0! }.get()
}
