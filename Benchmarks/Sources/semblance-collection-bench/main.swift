// semblance-collection-bench: the async API (Client / VectorCollection) on a real dataset.
//
//   BENCH_DATA=/path/to/data swift run -c release --package-path Benchmarks \
//       semblance-collection-bench --dataset minilm-debian-60751 [--passes N] [--ef EF] [--k K]
//       [--shards 1,2,4] [--wait-load L] [--wait-limit S] [--autogroup-nice N] [--out FILE]
//       [--part filtered [--queries N]]
//
// 1. Batch search against one query at a time: the same queries, 1 shard; single = one
//    `await search(query)` after another, batch = one `search(queries)` call.
// 2. One query at a time on 1, 2 and 4 shards: latency p50 / p99 / mean and queries/s.
// Every answer is graded (recall@k) against the dataset's exact neighbours. Collections are
// in memory (`Client.inMemory()`), so the disk plays no part. Prints markdown tables and
// writes Benchmarks/results/collection-<dataset>.json.
//
// `--part filtered` measures filtered search instead (FilteredRun.swift) and writes
// Benchmarks/results/filtered-<dataset>.json.
import Foundation
import Semblance

func log(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Runs on the global concurrent executor, not on the main actor: the single-query loops
/// call `search` from a pool thread, as a server's request task would.
func run(_ options: Options) async throws {
    log("loading \(options.dataset) from \(options.dataDirectory.path)")
    let dataset = try Dataset(name: options.dataset, in: options.dataDirectory)
    let recall = Recall(dataset, k: options.k)
    log("\(dataset.base.count) × \(dataset.dimension) \(dataset.metric), \(dataset.queries.count) queries, recall against \(recall.source)")

    let client = Client.inMemory()
    var collections: [BuiltCollection] = []
    for shards in options.shardCounts {
        let built = try await buildCollection(dataset, shards: shards, client: client)
        log("built \(shards) shard(s) in \(String(format: "%.1f", built.buildSeconds)) s")
        collections.append(built)
    }

    let session = try await MeasuringSession.begin(options)
    let one = collections.first { $0.shards == 1 }!
    let batch = try await measureBatchVersusSingle(
        one.collection, queries: dataset.queries, k: options.k, ef: options.ef, passes: options.passes, recall: recall)
    log("batch ÷ single: \(String(format: "%.2f", batch.ratio))×")
    let shards = try await measureShardLatency(
        collections, queries: dataset.queries, k: options.k, ef: options.ef, passes: options.passes, recall: recall)
    let loadAfter = try session.end()

    let report = Report(options: options, dataset: dataset, recallSource: recall.source, batch: batch, shards: shards,
                        loadBefore: session.loadBefore, loadAfter: loadAfter, autogroupNice: session.nice)
    print(report.markdown)
    try report.write(to: options.resultsFile)
    log("wrote \(options.resultsFile.path)")
    await client.close()
}

do {
    let options = try Options(arguments: Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
    switch options.part {
    case .collection: try await run(options)
    case .filtered: try await runFiltered(options)
    }
} catch {
    log("semblance-collection-bench: \(error)")
    exit(1)
}
