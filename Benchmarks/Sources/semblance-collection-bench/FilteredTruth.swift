import Foundation

/// The exact answers under every filter: per query, one cosine scan of the whole base, then
/// for each case the `k` nearest of the rows its filter matches.
struct FilteredTruth: Sendable {
    /// [case][query]: the nearest matching base rows, nearest first (ties: lower row first).
    let nearest: [[[Int]]]
    /// [case][query]: how many base records the filter matches.
    let matches: [[Int]]

    /// `filters[c][q]` is the filter of case `c` for query `q`.
    init(base: UnitVectors, queries: UnitVectors, filters: [[QueryFilter]], labels: FilterLabels, k: Int) {
        let perQuery = ConcurrentSlots<(nearest: [[Int]], matches: [Int])>(count: queries.count, initial: ([], []))
        DispatchQueue.concurrentPerform(iterations: queries.count) { q in
            let distances = base.cosineDistances(to: queries.row(q))
            var nearest: [[Int]] = [], matches: [Int] = []
            for caseFilters in filters {
                let filter = caseFilters[q]
                var best: [(distance: Float, row: Int)] = []  // ascending, at most k
                var count = 0
                for row in distances.indices where filter.contains(row, labels) {
                    count += 1
                    let candidate = (distance: distances[row], row: row)
                    if best.count == k {
                        guard candidate < best[k - 1] else { continue }
                        best.removeLast()
                    }
                    let at = best.firstIndex { candidate < $0 } ?? best.count
                    best.insert(candidate, at: at)
                }
                nearest.append(best.map(\.row))
                matches.append(count)
            }
            perQuery.set(q, (nearest, matches))
        }
        let rows = perQuery.values
        nearest = filters.indices.map { c in rows.map { $0.nearest[c] } }
        matches = filters.indices.map { c in rows.map { $0.matches[c] } }
    }
}
