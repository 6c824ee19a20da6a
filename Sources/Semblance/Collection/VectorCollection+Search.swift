import Foundation
import Synchronization

extension VectorCollection {
    /// The `k` nearest live records to `query`, nearest first.
    ///
    /// Runs on the latest published snapshot, never waiting for writers; with several shards
    /// each shard is searched by its own child task and the hits are merged.
    /// - Parameters:
    ///   - query: a vector of the collection's dimension.
    ///   - k: how many results at most (≥ 1).
    ///   - ef: the beam width (default: the configuration's `defaultEf`, at least `k`).
    ///   - filter: search only among records that match (see ``Filter``). At least `k`
    ///     matching records means `k` results, whatever the filter's selectivity: small
    ///     matching sets are scanned exactly, larger ones searched in the graph.
    ///   - ids: search only among these ids.
    ///   - maxDistance: drop hits farther than this.
    ///   - deadline: stop at this instant and return the best found so far, marked
    ///     ``SearchResults/isPartial``. Cancelling the calling task does the same.
    ///   - includeVectors: return each hit's stored vector.
    ///   - includeMetadata: return each hit's metadata.
    /// - Throws: `.invalidArgument` (k ≤ 0, ef ≤ 0, NaN maxDistance), `.dimensionMismatch`,
    ///   `.nonFiniteComponent`, `.zeroVector`.
    public func search(
        _ query: [Float], k: Int = 10, ef: Int? = nil, filter: Filter? = nil, ids: Set<String>? = nil, maxDistance: Float? = nil,
        deadline: ContinuousClock.Instant? = nil, includeVectors: Bool = false, includeMetadata: Bool = false
    ) async throws(SemblanceError) -> SearchResults {
        try await search(query, options: SearchOptions(k: k, ef: ef, filter: filter, ids: ids, maxDistance: maxDistance,
                                                       deadline: deadline, includeVectors: includeVectors, includeMetadata: includeMetadata))
    }

    /// The nearest live records to `query`, as `options` say (see the labelled form).
    public func search(_ query: [Float], options: SearchOptions) async throws(SemblanceError) -> SearchResults {
        let k = options.k
        try options.validate(metric: configuration.metric)
        let start = ContinuousClock.now
        let snapshot = snapshot()
        let results: SearchResults
        if snapshot.shards.count == 1 {
            results = CollectionSnapshot.merge([try snapshot.search(query, shard: 0, options: options)], k: k)
        } else {
            let parts = await withTaskGroup(of: (Int, Result<ShardHits, SemblanceError>).self) { group in
                for shard in snapshot.shards.indices {
                    group.addTask {
                        (shard, Result { () throws(SemblanceError) in try snapshot.search(query, shard: shard, options: options) })
                    }
                }
                var parts = [Result<ShardHits, SemblanceError>?](repeating: nil, count: snapshot.shards.count)
                for await (shard, part) in group { parts[shard] = part }
                return parts
            }
            var hits: [ShardHits] = []
            for part in parts { hits.append(try part!.get()) }
            results = CollectionSnapshot.merge(hits, k: k)
        }
        metrics.searches.increment()
        metrics.searchDuration.recordInterval(since: start)
        return results
    }

    /// Searches many queries at once on every core; the answer for `queries[i]` is at `[i]`.
    ///
    /// All queries are checked first. Workers (one per core) take queries from a shared
    /// counter and search each over every shard; they yield every millisecond or so, so
    /// other tasks keep running. Cancellation or the deadline stops the remaining queries,
    /// whose results come back empty and partial.
    public func search(
        _ queries: [[Float]], k: Int = 10, ef: Int? = nil, filter: Filter? = nil, ids: Set<String>? = nil, maxDistance: Float? = nil,
        deadline: ContinuousClock.Instant? = nil, includeVectors: Bool = false, includeMetadata: Bool = false
    ) async throws(SemblanceError) -> [SearchResults] {
        try await search(queries, options: SearchOptions(k: k, ef: ef, filter: filter, ids: ids, maxDistance: maxDistance,
                                                         deadline: deadline, includeVectors: includeVectors, includeMetadata: includeMetadata))
    }

    /// Many queries at once on every core, as `options` say (see the labelled form).
    public func search(_ queries: [[Float]], options: SearchOptions) async throws(SemblanceError) -> [SearchResults] {
        let (k, deadline) = (options.k, options.deadline)
        let snapshot = snapshot()
        guard !queries.isEmpty else { return [] }
        // Check every query and the options before any work: a bad one fails the batch.
        for (i, query) in queries.enumerated() {
            do { try snapshot.shards[0].validate(vector: query, role: "query") } catch {
                throw SemblanceError(error.code, "query \(i): \(error.message)")
            }
        }
        try options.validate(metric: configuration.metric)
        let start = ContinuousClock.now
        let next = WorkCounter()
        let workers = min(queries.count, ProcessInfo.processInfo.activeProcessorCount)
        let answers = await withTaskGroup(of: [(Int, SearchResults)].self) { group in
            for _ in 0..<workers {
                group.addTask {
                    var done: [(Int, SearchResults)] = []
                    var lastYield = ContinuousClock.now
                    while true {
                        let i = next.take()
                        guard i < queries.count else { break }
                        if SearchBudget(deadline: deadline).isSpent {
                            done.append((i, SearchResults(hits: [], isPartial: true)))
                            continue
                        }
                        var parts: [ShardHits] = []
                        for shard in snapshot.shards.indices {
                            // Checked above: the search cannot throw.
                            if let part = try? snapshot.search(queries[i], shard: shard, options: options) { parts.append(part) }
                        }
                        done.append((i, CollectionSnapshot.merge(parts, k: k)))
                        if ContinuousClock.now - lastYield > .milliseconds(1) {
                            await Task.yield()
                            lastYield = .now
                        }
                    }
                    return done
                }
            }
            var answers = [SearchResults](repeating: SearchResults(hits: []), count: queries.count)
            for await done in group {
                for (i, results) in done { answers[i] = results }
            }
            return answers
        }
        metrics.searches.increment(by: queries.count)
        metrics.batchSearchDuration.recordInterval(since: start)
        return answers
    }
}

/// Hands out the next query number to the workers of a batch search.
final class WorkCounter: Sendable {
    private let next = Atomic<Int>(0)
    func take() -> Int { next.wrappingAdd(1, ordering: .relaxed).oldValue }
}
