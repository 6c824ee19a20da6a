import Foundation
import Semblance

/// `--part filtered`: filtered search on real embeddings.
///
/// Every base record gets `bucket` (uncorrelated with its vector) and `cluster` (its nearest
/// of 1,000 centroids) metadata (FilterLabels.swift). Each query is searched unfiltered and
/// under filters aiming at 100 %, 10 %, 1 % and 0.1 % of the base: uncorrelated
/// (`bucket < s · 1000`), correlated (the clusters nearest the query) and anti-correlated
/// (the farthest ones) (FilterCase.swift). Answers are graded against an exact scan of the
/// matching records (FilteredTruth.swift). Cosine datasets only.
func runFiltered(_ options: Options) async throws {
    log("loading \(options.dataset) from \(options.dataDirectory.path)")
    let dataset = try Dataset(name: options.dataset, in: options.dataDirectory)
    guard dataset.metric == .cosine else { throw BenchError("--part filtered needs a cosine dataset, \(dataset.name) is \(dataset.metric)") }
    let queries = Array(dataset.queries.prefix(options.queryLimit ?? dataset.queries.count))
    log("\(dataset.base.count) × \(dataset.dimension) \(dataset.metric), \(queries.count) queries")

    var start = ContinuousClock.now
    let base = UnitVectors(dataset.base), unitQueries = UnitVectors(queries)
    let labels = FilterLabels(base: base, queries: unitQueries)
    let sizes = labels.clusterSizes.sorted()
    log("labelled \(base.count) records in \(Report.format(seconds(since: start), 1)) s; \(FilterLabels.clusterCount) clusters of "
        + "\(sizes.first!)–\(sizes.last!) records (median \(sizes[sizes.count / 2]))")
    let cases = FilterCase.all
    let filters = cases.map { c in queries.indices.map { c.filter(forQuery: $0, labels: labels) } }
    start = .now
    let truth = FilteredTruth(base: base, queries: unitQueries, filters: filters, labels: labels, k: options.k)
    log("exact filtered answers in \(Report.format(seconds(since: start), 1)) s")

    let client = Client.inMemory()
    let built = try await buildCollection(dataset, shards: 1, client: client, metadata: (0..<base.count).map(labels.metadata))
    log("built the collection in \(Report.format(built.buildSeconds, 1)) s")
    let checks = FilteredChecks(dataset: dataset, collection: built.collection, cases: cases, filters: filters,
                                truth: truth, labels: labels, k: options.k)
    log(checks.summary)

    let session = try await MeasuringSession.begin(options)
    let rows = try await measureFiltered(
        built.collection, queries: queries, cases: cases, filters: filters, truth: truth, labels: labels,
        k: options.k, ef: options.ef, passes: options.passes)
    let loadAfter = try session.end()

    let report = FilteredReport(
        options: options, dataset: dataset, queries: queries.count, rows: rows, labels: labels, checks: checks,
        buildSeconds: built.buildSeconds, loadBefore: session.loadBefore, loadAfter: loadAfter, autogroupNice: session.nice)
    print(report.markdown)
    try report.write(to: options.resultsFile)
    log("wrote \(options.resultsFile.path)")
    await client.close()
}
