// semblance-storage-bench: the storage figures of docs/benchmarks.md.
//
//   swift run -c release --package-path Benchmarks semblance-storage-bench [group] [open] [--count N] [--seconds S]
//
// group: single-record durable upserts into 1 shard from 1, 2 and 8 tasks at once (group
//        commit shares frames and fsyncs among concurrent writers); then batches of 8 records
//        spread over 4 shards (each batch is all or nothing across its shards).
// open:  build an N × 384 collection (default 100,000), checkpoint, close; then time opening
//        it (pages + log replay, no graph rebuild) against the build; then change 1 % of the
//        records and report the bytes the next checkpoint writes against a full snapshot.
import Foundation
import Semblance

func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

func temporaryDirectory(_ label: String) -> String {
    let path = FileManager.default.temporaryDirectory.path + "/semblance-bench-\(label)-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The object files under `objects` (pages and commits) and their bytes.
func objectFiles(_ objects: String) -> (files: Int, bytes: Int64) {
    var files = 0
    var bytes: Int64 = 0
    let enumerator = FileManager.default.enumerator(atPath: objects)
    while let name = enumerator?.nextObject() as? String {
        guard name.count == 65, let size = (try? FileManager.default.attributesOfItem(atPath: objects + "/" + name))?[.size] as? NSNumber else { continue }
        files += 1
        bytes += size.int64Value
    }
    return (files, bytes)
}

func randomVector(_ dimension: Int, _ rng: inout some RandomNumberGenerator) -> [Float] {
    (0..<dimension).map { _ in Float.random(in: -1...1, using: &rng) }
}

/// Acknowledged upserts per second from `tasks` concurrent tasks, each call a batch of
/// `batch` new records, into a durable collection of `shards` shards.
func upsertRate(tasks: Int, shards: Int = 1, batch: Int = 1, duration: Double) async throws -> Double {
    let directory = temporaryDirectory("group")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let client = try await Client(directory: directory)
    let collection = try await client.createCollection("c", configuration: CollectionConfiguration(
        dimension: 16, metric: .cosine, shardCount: shards, checkpointPolicy: .manual))
    let deadline = ContinuousClock.now + .milliseconds(Int64(duration * 1000))
    let start = ContinuousClock.now
    let acknowledged = try await withThrowingTaskGroup(of: Int.self) { group in
        for t in 0..<tasks {
            group.addTask {
                var rng = SystemRandomNumberGenerator()
                var done = 0
                while ContinuousClock.now < deadline {
                    try await collection.upsert((0..<batch).map { VectorRecord(id: "t\(t)-\(done)-\($0)", vector: randomVector(16, &rng)) })
                    done += batch
                }
                return done
            }
        }
        return try await group.reduce(0, +)
    }
    let elapsed = seconds(since: start)
    await client.close()
    return Double(acknowledged) / elapsed
}

func benchmarkGroupCommit(duration: Double) async throws {
    print("Group commit: durable upserts (fsync before acknowledging), \(duration) s each\n")
    print("| writers | records per call | shards | acknowledged upserts/s | ratio to 1 writer |")
    print("|---|---|---|---|---|")
    let one = try await upsertRate(tasks: 1, duration: duration)
    print("| 1 task | 1 | 1 | \(String(format: "%.0f", one)) | 1.00× |")
    for tasks in [2, 8] {
        let many = try await upsertRate(tasks: tasks, duration: duration)
        print("| \(tasks) tasks | 1 | 1 | \(String(format: "%.0f", many)) | \(String(format: "%.2f", many / one))× |")
    }
    let spanningOne = try await upsertRate(tasks: 1, shards: 4, batch: 8, duration: duration)
    print("| 1 task | 8 | 4 | \(String(format: "%.0f", spanningOne)) | 1.00× |")
    let spanningMany = try await upsertRate(tasks: 8, shards: 4, batch: 8, duration: duration)
    print("| 8 tasks | 8 | 4 | \(String(format: "%.0f", spanningMany)) | \(String(format: "%.2f", spanningMany / spanningOne))× |")
    print("")
}

func benchmarkOpen(count: Int) async throws {
    let dimension = 384
    let directory = temporaryDirectory("open")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    print("Open versus build: \(count) × \(dimension) random vectors, cosine, 1 shard\n")
    var rng = SystemRandomNumberGenerator()
    let records = (0..<count).map { VectorRecord(id: "doc-\($0)", vector: randomVector(dimension, &rng)) }
    let configuration = CollectionConfiguration(dimension: dimension, metric: .cosine, checkpointPolicy: .manual)

    var start = ContinuousClock.now
    let client = try await Client(directory: directory)
    let collection = try await client.createCollection("c", configuration: configuration)
    for batch in stride(from: 0, to: count, by: 1000) {
        try await collection.upsert(Array(records[batch..<min(batch + 1000, count)]))
    }
    let build = seconds(since: start)
    start = ContinuousClock.now
    guard try await collection.checkpoint() != nil else { fatalError("no checkpoint") }
    let checkpoint = seconds(since: start)
    let full = objectFiles(directory + "/c/objects")
    await client.close()

    start = ContinuousClock.now
    let again = try await Client(directory: directory)
    let reopened = try await again.collection("c")
    let open = seconds(since: start)
    guard reopened.count == count else { fatalError("reopened with \(reopened.count) records") }

    // Change 1 %: re-upsert that many existing ids with new vectors, then checkpoint.
    let changes = count / 100
    try await reopened.upsert((0..<changes).map { VectorRecord(id: "doc-\($0 * 97 % count)", vector: randomVector(dimension, &rng)) })
    guard try await reopened.checkpoint() != nil else { fatalError("no checkpoint") }
    await again.close()
    // What the second checkpoint wrote: the object files it added (objects are never rewritten).
    let afterwards = objectFiles(directory + "/c/objects")
    let written = (files: afterwards.files - full.files, bytes: afterwards.bytes - full.bytes)

    print("| measure | value |")
    print("|---|---|")
    print("| build (logged, durable, batches of 1,000) | \(String(format: "%.2f", build)) s |")
    print("| first checkpoint (all pages) | \(String(format: "%.2f", checkpoint)) s, \(full.bytes / 1_048_576) MiB in \(full.files) objects |")
    print("| open (read and verify pages, no graph rebuild) | \(String(format: "%.3f", open)) s |")
    print("| build ÷ open | \(String(format: "%.0f", build / open))× |")
    print("| checkpoint after changing 1 % (\(changes) upserts) | \(written.bytes) bytes in \(written.files) new objects: \(String(format: "%.1f", Double(written.bytes) / Double(full.bytes) * 100)) % of a full snapshot (\(full.bytes) bytes) |")
    print("")
}

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? {
    arguments.firstIndex(of: name).flatMap { arguments.indices.contains($0 + 1) ? arguments[$0 + 1] : nil }
}
let count = option("--count").flatMap(Int.init) ?? 100_000
let duration = option("--seconds").flatMap(Double.init) ?? 3
let selected = Set(arguments.filter { !$0.hasPrefix("--") && Double($0) == nil })
if selected.isEmpty || selected.contains("group") { try await benchmarkGroupCommit(duration: duration) }
if selected.isEmpty || selected.contains("open") { try await benchmarkOpen(count: count) }
