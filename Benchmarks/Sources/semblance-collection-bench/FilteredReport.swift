import Foundation
import Semblance

/// What the filtered part measured, printed as the table of docs/benchmarks.md and saved as JSON.
struct FilteredReport {
    let options: Options
    let dataset: Dataset
    let queries: Int
    let rows: [FilteredRow]
    let labels: FilterLabels
    let checks: FilteredChecks
    let buildSeconds: Double
    let loadBefore: [Double]
    let loadAfter: [Double]
    let autogroupNice: Int?
    let date = Date()

    private var unfiltered: FilteredRow { rows.first { $0.filterCase.kind == .unfiltered }! }

    /// QPS at `selectivity` ÷ unfiltered QPS, for a kind of filter.
    func ratio(_ kind: FilterCase.Kind, selectivity: Double = 0.01) -> Double? {
        rows.first { $0.filterCase == FilterCase(kind: kind, selectivity: selectivity) }.map { $0.qps / unfiltered.qps }
    }

    /// The same ratio within each pass (the two rows of a pass run minutes apart at most).
    func passRatios(_ kind: FilterCase.Kind, selectivity: Double = 0.01) -> [Double] {
        guard let row = rows.first(where: { $0.filterCase == FilterCase(kind: kind, selectivity: selectivity) }) else { return [] }
        return zip(row.passSeconds, unfiltered.passSeconds).map { $1 / $0 }
    }

    var markdown: String {
        let f = Report.format
        var out = """
        \(dataset.name): \(dataset.base.count) × \(dataset.dimension) \(dataset.metric), \(queries) queries, \
        k = \(options.k), ef = \(options.ef), M = 16, efConstruction = 200, in-memory collection (built in \
        \(f(buildSeconds, 1)) s), \(ProcessInfo.processInfo.activeProcessorCount) cores, kernels \
        \(DistanceKernels.best.variant), load \(loadBefore.map { f($0, 2) }.joined(separator: " ")) before, \
        \(loadAfter.map { f($0, 2) }.joined(separator: " ")) after\(autogroupNice.map { ", session autogroup nice \($0)" } ?? ""); \
        one `await search(query, k:ef:filter:)` after another, median of \(options.passes) interleaved passes \
        (latencies of the median pass); filter → set: median `count(where:)` time over the first 100 queries' filters

        | filter | selectivity | mean matches | strategy | recall@\(options.k) | worst query | queries/s | p50 (µs) | p99 (µs) | k results | filter → set (µs) |
        |---|---|---|---|---|---|---|---|---|---|---|

        """
        for row in rows {
            let c = row.filterCase
            out += "| \(c.kind.rawValue) | \(c.kind == .unfiltered ? "–" : c.percent) | \(f(row.meanMatches, 0)) | \(row.strategy) "
                + "| \(f(row.recall, 4)) | \(f(row.worstRecall, 2)) | \(f(row.qps, 0)) | \(f(row.latency.p50, 0)) "
                + "| \(f(row.latency.p99, 0)) | \(f(row.fullAnswers * 100, 1))% | \(row.matchSetMicroseconds.map { f($0, 0) } ?? "–") |\n"
        }
        out += "\nqueries/s at 1% ÷ unfiltered: "
        out += [FilterCase.Kind.uncorrelated, .correlated, .anticorrelated].compactMap { kind in
            ratio(kind).map { "\(kind.rawValue) \(f($0, 2)) (per pass \(passRatios(kind).map { f($0, 2) }.joined(separator: ", ")))" }
        }.joined(separator: "; ")
        let wrong = rows.map(\.wrongResults).reduce(0, +), partial = rows.map(\.partialAnswers).reduce(0, +)
        out += "\nresults outside the filter: \(wrong); partial answers: \(partial)"
        out += "\n\(checks.summary)\n"
        return out
    }

    var json: [String: Any] {
        let sizes = labels.clusterSizes.sorted()
        return [
            "benchmark": "semblance-collection-bench --part filtered",
            "command": RunRecord.command(options),
            "date": ISO8601DateFormatter().string(from: date),
            "machine": RunRecord.machine(loadBefore: loadBefore, loadAfter: loadAfter, autogroupNice: autogroupNice),
            "dataset": [
                "name": dataset.name, "n_base": dataset.base.count, "n_query": queries,
                "dim": dataset.dimension, "metric": "\(dataset.metric)",
                "recall_against": "exact cosine scan of the records that match each query's filter",
            ] as [String: Any],
            "parameters": [
                "k": options.k, "ef": options.ef, "m": 16, "ef_construction": 200, "passes": options.passes,
                "warm_up": "one pass of each case over the first 100 queries", "build_seconds": buildSeconds,
                "collection": "Client.inMemory(), 1 shard, built by one batch upsert of every base vector with its metadata",
            ] as [String: Any],
            "labels": [
                "bucket": "0..<\(FilterLabels.bucketCount), SplitMix64 hash of (seed + row number): uncorrelated with the vector",
                "cluster": "nearest (cosine) of \(FilterLabels.clusterCount) centroids = base rows picked by a seeded shuffle",
                "seed": String(FilterLabels.seed, radix: 16),
                "cluster_size_min": sizes.first ?? 0, "cluster_size_median": sizes.isEmpty ? 0 : sizes[sizes.count / 2],
                "cluster_size_max": sizes.last ?? 0,
                "uncorrelated_filter": "bucket < selectivity × 1000",
                "correlated_filter": "cluster in [the clusters whose centroids are nearest the query, taken until they hold ≥ selectivity × N records]",
                "anticorrelated_filter": "cluster in [the same, farthest centroids first]",
            ] as [String: Any],
            "checks": checks.json,
            "rows": rows.map { row -> [String: Any] in
                [
                    "filter": row.filterCase.kind.rawValue, "selectivity": row.filterCase.selectivity,
                    "mean_matches": row.meanMatches, "min_matches": row.matches.min() ?? 0, "max_matches": row.matches.max() ?? 0,
                    "strategy": row.strategy, "queries_scanned": row.scannedQueries,
                    "recall_at_k": row.recall, "worst_query_recall": row.worstRecall, "worst_query": row.worstQuery,
                    "qps": row.qps, "pass_seconds": row.passSeconds,
                    "p50_us": row.latency.p50, "p99_us": row.latency.p99, "mean_us": row.latency.mean,
                    "fraction_full_k_when_k_match": row.fullAnswers, "results_outside_filter": row.wrongResults,
                    "partial_answers": row.partialAnswers,
                    "count_where_median_us_first_queries": row.matchSetMicroseconds.map { $0 as Any } ?? NSNull(),
                ]
            },
            "qps_1_percent_over_unfiltered_per_pass": [
                "uncorrelated": passRatios(.uncorrelated), "correlated": passRatios(.correlated),
                "anticorrelated": passRatios(.anticorrelated),
            ] as [String: Any],
            "qps_1_percent_over_unfiltered": [
                "uncorrelated": ratio(.uncorrelated).map { $0 as Any } ?? NSNull(),
                "correlated": ratio(.correlated).map { $0 as Any } ?? NSNull(),
                "anticorrelated": ratio(.anticorrelated).map { $0 as Any } ?? NSNull(),
            ] as [String: Any],
        ]
    }

    func write(to url: URL) throws {
        let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try (data + Data("\n".utf8)).write(to: url)
    }
}
