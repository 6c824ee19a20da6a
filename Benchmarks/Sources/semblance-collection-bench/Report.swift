import Foundation
import Semblance

/// Everything one run measured, printed as the tables of docs/benchmarks.md and saved as JSON.
struct Report {
    let options: Options
    let dataset: Dataset
    let recallSource: String
    let batch: BatchVersusSingle
    let shards: [ShardLatency]
    let loadBefore: [Double]
    let loadAfter: [Double]
    /// The session's autogroup nice value during the measurements (nil: no autogroup).
    let autogroupNice: Int?
    let date = Date()

    static func format(_ value: Double, _ digits: Int = 0) -> String {
        let text = String(format: "%.\(digits)f", value)
        guard digits == 0, value >= 10_000 else { return text }
        var grouped = ""
        for (i, c) in text.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { grouped.append(",") }
            grouped.append(c)
        }
        return String(grouped.reversed())
    }

    var markdown: String {
        let f = Self.format
        var out = """
        \(dataset.name): \(dataset.base.count) × \(dataset.dimension) \(dataset.metric), \(dataset.queries.count) queries, \
        k = \(options.k), ef = \(options.ef), in-memory collections, \(ProcessInfo.processInfo.activeProcessorCount) cores, \
        kernels \(DistanceKernels.best.variant), load \(loadBefore.map { f($0, 2) }.joined(separator: " ")) before, \
        \(loadAfter.map { f($0, 2) }.joined(separator: " ")) after\(autogroupNice.map { ", session autogroup nice \($0)" } ?? ""); \
        recall against \(recallSource)

        Batch search against one query at a time, 1 shard (median of \(options.passes) interleaved passes):

        | search | queries/s | cores busy (CPU s ÷ wall s) | recall@\(options.k) |
        |---|---|---|---|
        | one `await search(query)` after another | \(f(batch.singleQPS, 0)) | \(f(batch.coresBusy(batch.single), 2)) | \(f(batch.singleRecall, 4)) |
        | one batch `search(queries)` | \(f(batch.batchQPS, 0)) | \(f(batch.coresBusy(batch.batch), 2)) | \(f(batch.batchRecall, 4)) |
        | batch ÷ single | **\(f(batch.ratio, 2))×** | | |

        per-pass ratios: \(batch.passRatios.map { f($0, 2) }.joined(separator: ", ")); \
        batch answers identical to single: \(batch.identicalAnswers)

        One query at a time by shard count (median of \(options.passes) interleaved passes; latencies of the median pass):

        | shards | build (s) | queries/s | p50 (µs) | p99 (µs) | mean (µs) | cores busy | recall@\(options.k) |
        |---|---|---|---|---|---|---|---|

        """
        for s in shards {
            out += "| \(s.shards) | \(f(s.buildSeconds, 1)) | \(f(s.qps, 0)) | \(f(s.latency.p50, 0)) | \(f(s.latency.p99, 0)) "
                + "| \(f(s.latency.mean, 0)) | \(f(s.coresBusy, 2)) | \(f(s.recall, 4)) |\n"
        }
        return out
    }

    var json: [String: Any] {
        func passes(_ p: [PassTiming]) -> [[String: Double]] {
            p.map { ["wall_seconds": $0.wallSeconds, "cpu_seconds": $0.cpuSeconds, "qps": Double(batch.queries) / $0.wallSeconds] }
        }
        return [
            "benchmark": "semblance-collection-bench",
            "command": RunRecord.command(options),
            "date": ISO8601DateFormatter().string(from: date),
            "machine": RunRecord.machine(loadBefore: loadBefore, loadAfter: loadAfter, autogroupNice: autogroupNice),
            "dataset": [
                "name": dataset.name, "n_base": dataset.base.count, "n_query": dataset.queries.count,
                "dim": dataset.dimension, "metric": "\(dataset.metric)", "recall_against": recallSource,
            ] as [String: Any],
            "parameters": [
                "k": options.k, "ef": options.ef, "m": 16, "ef_construction": 200, "passes": options.passes,
                "collections": "Client.inMemory(), built by one batch upsert of every base vector",
            ] as [String: Any],
            "batch_vs_single": [
                "shards": 1,
                "single": [
                    "how": "await collection.search(query, k:ef:) for one query after another",
                    "qps_median": batch.singleQPS, "cores_busy_median": batch.coresBusy(batch.single),
                    "recall_at_k": batch.singleRecall, "passes": passes(batch.single),
                ] as [String: Any],
                "batch": [
                    "how": "one call of await collection.search(queries, k:ef:)",
                    "qps_median": batch.batchQPS, "cores_busy_median": batch.coresBusy(batch.batch),
                    "recall_at_k": batch.batchRecall, "passes": passes(batch.batch),
                ] as [String: Any],
                "ratio_batch_over_single_median_of_passes": batch.ratio,
                "ratio_batch_over_single_of_medians": batch.batchQPS / batch.singleQPS,
                "ratio_per_pass": batch.passRatios,
                "identical_answers": batch.identicalAnswers,
            ] as [String: Any],
            "shards": shards.map { s -> [String: Any] in
                [
                    "shards": s.shards, "build_seconds": s.buildSeconds, "qps": s.qps,
                    "p50_us": s.latency.p50, "p99_us": s.latency.p99, "mean_us": s.latency.mean,
                    "recall_at_k": s.recall, "pass_seconds": s.passSeconds, "pass_cpu_seconds": s.passCPUSeconds,
                    "cores_busy_median": s.coresBusy,
                ]
            },
        ]
    }

    func write(to url: URL) throws {
        let data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try (data + Data("\n".utf8)).write(to: url)
    }
}
