// semblance-storage-bench: the storage figures of docs/benchmarks.md.
//
//   swift run -c release --package-path Benchmarks semblance-storage-bench [group] [open] [--count N] [--seconds S]
//
// group: single-record durable upserts from 1 task, then from 8 tasks at once (group commit
//        shares frames and fsyncs among concurrent writers).
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

func randomVector(_ dimension: Int, _ rng: inout some RandomNumberGenerator) -> [Float] {
    (0..<dimension).map { _ in Float.random(in: -1...1, using: &rng) }
}

/// Acknowledged single-record upserts per second from `tasks` concurrent tasks.
func upsertRate(tasks: Int, duration: Double) async throws -> (rate: Double, frames: Int) {
    let directory = temporaryDirectory("group")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let collection = try DurableCollection.create(directory: directory + "/c", index: IndexConfiguration(dimension: 16, metric: .cosine),
                                                  shardCount: 1, policy: .manual)
    let deadline = ContinuousClock.now + .milliseconds(Int64(duration * 1000))
    let start = ContinuousClock.now
    let acknowledged = try await withThrowingTaskGroup(of: Int.self) { group in
        for t in 0..<tasks {
            group.addTask {
                var rng = SystemRandomNumberGenerator()
                var done = 0
                while ContinuousClock.now < deadline {
                    try await collection.upsert([(id: "t\(t)-\(done)", vector: randomVector(16, &rng))])
                    done += 1
                }
                return done
            }
        }
        return try await group.reduce(0, +)
    }
    let elapsed = seconds(since: start)
    await collection.close()
    return (Double(acknowledged) / elapsed, acknowledged)
}

func benchmarkGroupCommit(duration: Double) async throws {
    print("Group commit: single-record upserts, durability .durable (fsync before acknowledging), \(duration) s each\n")
    print("| writers | acknowledged upserts/s | ratio to 1 writer |")
    print("|---|---|---|")
    let one = try await upsertRate(tasks: 1, duration: duration)
    print("| 1 task | \(String(format: "%.0f", one.rate)) | 1.00× |")
    for tasks in [2, 8] {
        let many = try await upsertRate(tasks: tasks, duration: duration)
        print("| \(tasks) tasks | \(String(format: "%.0f", many.rate)) | \(String(format: "%.2f", many.rate / one.rate))× |")
    }
    print("")
}

func benchmarkOpen(count: Int) async throws {
    let dimension = 384
    let directory = temporaryDirectory("open")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/c"
    print("Open versus build: \(count) × \(dimension) random vectors, cosine, 1 shard\n")
    var rng = SystemRandomNumberGenerator()
    let records = (0..<count).map { (id: "doc-\($0)", vector: randomVector(dimension, &rng)) }

    var start = ContinuousClock.now
    let collection = try DurableCollection.create(directory: path, index: IndexConfiguration(dimension: dimension, metric: .cosine),
                                                  shardCount: 1, policy: .manual)
    for batch in stride(from: 0, to: count, by: 1000) {
        try await collection.upsert(Array(records[batch..<min(batch + 1000, count)]))
    }
    let build = seconds(since: start)
    start = ContinuousClock.now
    let full = try await collection.checkpoint(message: "full")
    let checkpoint = seconds(since: start)
    await collection.close()

    start = ContinuousClock.now
    let reopened = try DurableCollection.open(directory: path, policy: .manual)
    let open = seconds(since: start)
    guard reopened.count == count else { fatalError("reopened with \(reopened.count) records") }

    // Change 1 %: re-upsert that many existing ids with new vectors, then checkpoint.
    let changes = count / 100
    try await reopened.upsert((0..<changes).map { (id: "doc-\($0 * 97 % count)", vector: randomVector(dimension, &rng)) })
    let incremental = try await reopened.checkpoint(message: "1 %")
    await reopened.close()

    print("| measure | value |")
    print("|---|---|")
    print("| build (logged, durable, batches of 1,000) | \(String(format: "%.2f", build)) s |")
    print("| first checkpoint (all pages) | \(String(format: "%.2f", checkpoint)) s, \(full.bytesWritten / 1_048_576) MiB in \(full.objectsWritten) objects |")
    print("| open (read and verify pages, no graph rebuild) | \(String(format: "%.3f", open)) s |")
    print("| build ÷ open | \(String(format: "%.0f", build / open))× |")
    print("| checkpoint after changing 1 % (\(changes) upserts) | \(incremental.bytesWritten) bytes in \(incremental.objectsWritten) of \(incremental.objects) objects: \(String(format: "%.1f", Double(incremental.bytesWritten) / Double(incremental.bytes) * 100)) % of a full snapshot (\(incremental.bytes) bytes) |")
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
