import Foundation
import Semblance

/// What the child processes of the benchmark do (`semblance-readers-bench --role ...`).
enum Roles {
    /// A line on standard output, written at once (the parent reads it while this runs).
    static func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

    /// Nanoseconds since 1970: the one clock that two processes on a machine share.
    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1e9) }

    /// Upserts batches of 100 new vectors (numbers from `first`) until `seconds` pass;
    /// prints `batches <n>`.
    static func writer(directory: String, seconds: Double, first: Int) async throws {
        let client = try await Client(directory: directory)
        let collection = try await client.collection(BenchData.collection)
        let end = ContinuousClock.now + .seconds(seconds)
        var batches = 0
        while ContinuousClock.now < end {
            try await importBatch(batches, from: first, into: collection)
            batches += 1
        }
        await client.close()
        say("batches \(batches)")
    }

    /// Upserts the batch number `batch` of 100 new vectors, numbered from `first`.
    static func importBatch(_ batch: Int, from first: Int, into collection: VectorCollection) async throws {
        let numbers = (first + batch * 100)..<(first + (batch + 1) * 100)
        try await collection.upsert(numbers.map { VectorRecord(id: "w\($0)", vector: BenchData.vector($0)) })
    }

    /// Searches query after query (k 10, the default ef) for `seconds`, on a reader that
    /// follows the writer every 0.1 s; prints `queries <n> behind <seconds>`.
    static func reader(directory: String, seconds: Double) async throws {
        let client = try await Client(directory: directory, access: .following(every: 0.1))
        let collection = try await client.collection(BenchData.collection)
        say("ready")
        let queries = try await searchLoop(collection, seconds: seconds)
        let behind = collection.staleness.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 } ?? 0
        await client.close()
        say("queries \(queries) behind \(behind)")
    }

    /// Queries searched one after another for `seconds`.
    static func searchLoop(_ collection: VectorCollection, seconds: Double) async throws -> Int {
        let queries = (0..<1000).map { BenchData.vector(10_000_000 + $0) }
        let end = ContinuousClock.now + .seconds(seconds)
        var done = 0
        while ContinuousClock.now < end {
            _ = try await collection.search(queries[done % queries.count], k: 10)
            done += 1
        }
        return done
    }

    /// Upserts `count` single records `lag-<i>`, 20 ms apart; prints `ack <i> <ns>` when
    /// each upsert has returned.
    static func lagWriter(directory: String, count: Int) async throws {
        let client = try await Client(directory: directory)
        let collection = try await client.collection(BenchData.collection)
        for i in 0..<count {
            try await collection.upsert(id: "lag-\(i)", vector: BenchData.vector(20_000_000 + i))
            say("ack \(i) \(now())")
            try await Task.sleep(for: .milliseconds(20))
        }
        await client.close()
    }

    /// Follows the writer every `interval` seconds and polls (every 0.2 ms) for `lag-<i>`
    /// in turn; prints `seen <i> <ns>` for each, once it answers with it.
    static func lagReader(directory: String, count: Int, interval: Double) async throws {
        let client = try await Client(directory: directory, access: .following(every: interval))
        let collection = try await client.collection(BenchData.collection)
        say("ready")
        for i in 0..<count {
            while !collection.contains("lag-\(i)") { usleep(200) }
            say("seen \(i) \(now())")
        }
        await client.close()
    }
}
