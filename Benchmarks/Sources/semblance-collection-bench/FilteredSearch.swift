import Foundation
import Semblance

/// One row of the filtered table: a filter case searched for every query, one `await search`
/// after another, timed and graded against the exact filtered answers.
struct FilteredRow: Sendable {
    let filterCase: FilterCase
    /// Wall time of each pass over every query.
    let passSeconds: [Double]
    /// The latencies of the median pass.
    let latency: LatencySummary
    /// Per query, how many base records match.
    let matches: [Int]
    /// recall@k: |returned ∩ exact| / min(k, matches), averaged over the queries with a match.
    let recall: Double
    /// The lowest recall of any one query, and that query's number (the first of equals).
    let worstRecall: Double
    let worstQuery: Int
    /// Of the queries with at least k matches, the fraction that got k results.
    let fullAnswers: Double
    /// Returned records that do not match the filter (should be 0).
    let wrongResults: Int
    /// Answers marked partial (should be 0: no deadline is set).
    let partialAnswers: Int
    /// Queries whose matching set the engine scans exactly rather than searching the graph.
    let scannedQueries: Int
    /// The median time of `count(where:)` for this case's filters, in microseconds: the cost
    /// of turning a filter into its set of records, which every filtered search pays first
    /// (nil when unfiltered).
    var matchSetMicroseconds: Double?

    var queries: Int { matches.count }
    var qps: Double { Double(queries) / median(passSeconds) }
    var meanMatches: Double { Double(matches.reduce(0, +)) / Double(queries) }

    /// "scan", "graph", or "scan 40% / graph 60%".
    var strategy: String {
        if filterCase.kind == .unfiltered || scannedQueries == 0 { return "graph" }
        if scannedQueries == queries { return "scan" }
        let scanned = Int((Double(scannedQueries) / Double(queries) * 100).rounded())
        return "scan \(scanned)% / graph \(100 - scanned)%"
    }

    /// Whether the engine scans a matching set of this size exactly: the rule of
    /// `VectorIndex.searchAllowed` (Sources/Semblance/Index/VectorIndex+Search.swift), at
    /// most 4,096 records or at most 5 % of the live ones.
    static func scans(matches: Int, live: Int) -> Bool { matches <= VectorIndex.exactScanLimit(live: live) }
}

/// Times `passes` passes of every case, interleaved (pass 1 of each case, then pass 2 ...),
/// after a warm-up pass of each over the first `warmUp` queries; grades the answers of each
/// case's median pass. Then times `count(where:)` over the first `warmUp` queries' filters.
func measureFiltered(
    _ collection: VectorCollection, queries: [[Float]], cases: [FilterCase], filters: [[QueryFilter]],
    truth: FilteredTruth, labels: FilterLabels, k: Int, ef: Int, passes: Int, warmUp: Int = 100
) async throws -> [FilteredRow] {
    let engineFilters = filters.map { $0.map(\.filter) }
    let warm = min(warmUp, queries.count)
    for c in cases.indices {
        _ = try await searchTimingEach(collection, Array(queries.prefix(warm)), k: k, ef: ef,
                                       filters: Array(engineFilters[c].prefix(warm)))
    }
    var runs = [[TimedPass]](repeating: [], count: cases.count)
    for pass in 0..<passes {
        for c in cases.indices {
            runs[c].append(try await searchTimingEach(collection, queries, k: k, ef: ef, filters: engineFilters[c]))
        }
        log("pass \(pass + 1) of \(passes): " + cases.indices.map {
            "\($0 == 0 ? "" : " ")\(Report.format(Double(queries.count) / runs[$0][pass].seconds, 0))"
        }.joined(separator: ","))
    }
    let live = collection.count
    return cases.indices.map { c in
        let middle = runs[c].sorted { $0.seconds < $1.seconds }[runs[c].count / 2]
        var row = grade(middle, case: cases[c], filters: filters[c], nearest: truth.nearest[c], matches: truth.matches[c],
                        passSeconds: runs[c].map(\.seconds), labels: labels, k: k, live: live)
        row.matchSetMicroseconds = matchSetMicroseconds(collection, engineFilters[c].prefix(warm).compactMap { $0 })
        return row
    }
}

/// The median time of `count(where:)` over `filters`, in microseconds; nil for none.
private func matchSetMicroseconds(_ collection: VectorCollection, _ filters: [Filter]) -> Double? {
    guard !filters.isEmpty else { return nil }
    var microseconds: [Double] = []
    var total = 0
    for filter in filters {
        let start = ContinuousClock.now
        total += collection.count(where: filter)
        microseconds.append(seconds(since: start) * 1e6)
    }
    precondition(total >= 0)  // keeps the counts from being optimised away
    return median(microseconds)
}

private func grade(
    _ pass: TimedPass, case filterCase: FilterCase, filters: [QueryFilter], nearest: [[Int]], matches: [Int],
    passSeconds: [Double], labels: FilterLabels, k: Int, live: Int
) -> FilteredRow {
    var recallSum = 0.0, graded = 0, worst = 1.0, worstQuery = 0
    var eligible = 0, full = 0, wrong = 0, partial = 0, scanned = 0
    for (q, answer) in pass.answers.enumerated() {
        let rows = answer.prefix(k).compactMap { Int($0.id) }
        wrong += rows.filter { !filters[q].contains($0, labels) }.count
        if answer.isPartial { partial += 1 }
        if filterCase.kind != .unfiltered && FilteredRow.scans(matches: matches[q], live: live) { scanned += 1 }
        if matches[q] >= k {
            eligible += 1
            if answer.count >= k { full += 1 }
        }
        guard matches[q] > 0 else { continue }
        let recall = Double(Set(rows).intersection(nearest[q]).count) / Double(min(k, matches[q]))
        recallSum += recall
        if recall < worst { worst = recall; worstQuery = q }
        graded += 1
    }
    return FilteredRow(
        filterCase: filterCase, passSeconds: passSeconds, latency: LatencySummary(microseconds: pass.microseconds),
        matches: matches, recall: graded == 0 ? 1 : recallSum / Double(graded), worstRecall: worst, worstQuery: worstQuery,
        fullAnswers: eligible == 0 ? 1 : Double(full) / Double(eligible), wrongResults: wrong, partialAnswers: partial,
        scannedQueries: scanned)
}
