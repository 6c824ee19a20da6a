import Foundation
import Semblance

/// Wall and process-CPU time of one pass over every query.
struct PassTiming: Sendable {
    let wallSeconds: Double
    let cpuSeconds: Double
}

/// Part 1: the same queries answered one `await search(query)` after another, against one
/// call of the batch `search(queries)`.
struct BatchVersusSingle: Sendable {
    let queries: Int
    let single: [PassTiming]
    let batch: [PassTiming]
    let singleRecall: Double
    let batchRecall: Double
    /// Whether the batch returned exactly the single-query answers (same ids, same order).
    let identicalAnswers: Bool

    func qps(_ passes: [PassTiming]) -> [Double] { passes.map { Double(queries) / $0.wallSeconds } }
    var singleQPS: Double { median(qps(single)) }
    var batchQPS: Double { median(qps(batch)) }
    /// batch ÷ single of each pass (the two runs of a pass are back to back).
    var passRatios: [Double] { zip(single, batch).map { $0.wallSeconds / $1.wallSeconds } }
    /// The median of the per-pass ratios: the headline figure.
    var ratio: Double { median(passRatios) }
    /// CPU seconds per wall second (≈ cores kept busy), median over passes.
    func coresBusy(_ passes: [PassTiming]) -> Double { median(passes.map { $0.cpuSeconds / $0.wallSeconds }) }
}

func measureBatchVersusSingle(
    _ collection: VectorCollection, queries: [[Float]], k: Int, ef: Int, passes: Int, recall: Recall
) async throws -> BatchVersusSingle {
    // Warm-up: fills the scratch pools and the caches, starts the pool threads.
    _ = try await searchOneByOne(collection, queries, k: k, ef: ef)
    _ = try await searchBatch(collection, queries, k: k, ef: ef)

    var single: [PassTiming] = [], batch: [PassTiming] = []
    var singleAnswers: [SearchResults] = [], batchAnswers: [SearchResults] = []
    for pass in 0..<passes {
        // Interleaved, and the one that goes first alternates, so that neither always runs
        // in the other's wake and a slow moment of the shared machine hits both.
        if pass % 2 == 1 {
            let b = try await searchBatch(collection, queries, k: k, ef: ef)
            batch.append(b.timing); batchAnswers = b.answers
        }
        let s = try await searchOneByOne(collection, queries, k: k, ef: ef)
        single.append(s.timing); singleAnswers = s.answers
        if pass % 2 == 0 {
            let b = try await searchBatch(collection, queries, k: k, ef: ef)
            batch.append(b.timing); batchAnswers = b.answers
        }
    }
    let identical = zip(singleAnswers, batchAnswers).allSatisfy { $0.ids == $1.ids }
    return BatchVersusSingle(
        queries: queries.count, single: single, batch: batch,
        singleRecall: recall.recall(singleAnswers, k: k), batchRecall: recall.recall(batchAnswers, k: k),
        identicalAnswers: identical && singleAnswers.count == batchAnswers.count)
}

/// One `await search(query)` after another, from a task of the global executor.
func searchOneByOne(
    _ collection: VectorCollection, _ queries: [[Float]], k: Int, ef: Int
) async throws -> (timing: PassTiming, answers: [SearchResults]) {
    var answers: [SearchResults] = []
    answers.reserveCapacity(queries.count)
    let cpu = processCPUSeconds()
    let start = ContinuousClock.now
    for query in queries {
        answers.append(try await collection.search(query, k: k, ef: ef))
    }
    let wall = seconds(since: start)
    return (PassTiming(wallSeconds: wall, cpuSeconds: processCPUSeconds() - cpu), answers)
}

/// One call of the batch search.
func searchBatch(
    _ collection: VectorCollection, _ queries: [[Float]], k: Int, ef: Int
) async throws -> (timing: PassTiming, answers: [SearchResults]) {
    let cpu = processCPUSeconds()
    let start = ContinuousClock.now
    let answers = try await collection.search(queries, k: k, ef: ef)
    let wall = seconds(since: start)
    return (PassTiming(wallSeconds: wall, cpuSeconds: processCPUSeconds() - cpu), answers)
}
