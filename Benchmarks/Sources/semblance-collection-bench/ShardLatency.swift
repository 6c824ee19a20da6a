import Foundation
import Semblance

/// Part 2: one query at a time, each timed alone, on collections of 1, 2, 4... shards.
struct ShardLatency: Sendable {
    let shards: Int
    let buildSeconds: Double
    /// Wall time of each pass over every query.
    let passSeconds: [Double]
    /// Process CPU time of each pass.
    let passCPUSeconds: [Double]
    /// The latencies of the median pass.
    let latency: LatencySummary
    let queries: Int
    let recall: Double

    var qps: Double { Double(queries) / median(passSeconds) }
    /// CPU seconds per wall second (≈ cores kept busy), median over passes.
    var coresBusy: Double { median(zip(passCPUSeconds, passSeconds).map { $0 / $1 }) }
}

/// Times `passes` passes per collection, interleaved across the collections (pass 1 of
/// each, then pass 2 of each, ...); latencies are those of each collection's median pass.
func measureShardLatency(
    _ collections: [BuiltCollection], queries: [[Float]], k: Int, ef: Int, passes: Int, recall: Recall
) async throws -> [ShardLatency] {
    for built in collections {  // warm-up
        _ = try await searchTimingEach(built.collection, queries, k: k, ef: ef)
    }
    var runs = [[TimedPass]](repeating: [], count: collections.count)
    for _ in 0..<passes {
        for (i, built) in collections.enumerated() {
            runs[i].append(try await searchTimingEach(built.collection, queries, k: k, ef: ef))
        }
    }
    return zip(collections, runs).map { built, passes in
        let middle = passes.sorted { $0.seconds < $1.seconds }[passes.count / 2]
        return ShardLatency(
            shards: built.shards, buildSeconds: built.buildSeconds, passSeconds: passes.map(\.seconds),
            passCPUSeconds: passes.map(\.cpuSeconds),
            latency: LatencySummary(microseconds: middle.microseconds), queries: queries.count,
            recall: recall.recall(middle.answers, k: k))
    }
}

struct TimedPass: Sendable {
    let seconds: Double
    let cpuSeconds: Double
    let microseconds: [Double]
    let answers: [SearchResults]
}

/// One `await search(query)` after another, each timed alone; `filters[i]`, when given, is
/// the filter of `queries[i]`.
func searchTimingEach(
    _ collection: VectorCollection, _ queries: [[Float]], k: Int, ef: Int, filters: [Filter?]? = nil
) async throws -> TimedPass {
    var answers: [SearchResults] = []
    var microseconds: [Double] = []
    answers.reserveCapacity(queries.count)
    microseconds.reserveCapacity(queries.count)
    let cpu = processCPUSeconds()
    let passStart = ContinuousClock.now
    for (i, query) in queries.enumerated() {
        let filter = filters.flatMap { $0[i] }
        let start = ContinuousClock.now
        let found = try await collection.search(query, k: k, ef: ef, filter: filter)
        microseconds.append(seconds(since: start) * 1e6)
        answers.append(found)
    }
    let wall = seconds(since: passStart)
    return TimedPass(seconds: wall, cpuSeconds: processCPUSeconds() - cpu, microseconds: microseconds, answers: answers)
}
