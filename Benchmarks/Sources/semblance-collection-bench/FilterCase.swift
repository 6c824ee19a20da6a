import Semblance

/// One row of the filtered table: what kind of filter, aiming at what fraction of the base.
struct FilterCase: Sendable, Hashable {
    enum Kind: String, Sendable {
        /// No filter at all: the baseline.
        case unfiltered
        /// `bucket < s · 1000`: the same records whatever the query.
        case uncorrelated
        /// `cluster in [...]`, the clusters nearest the query, about s · N records.
        case correlated
        /// `cluster in [...]`, the clusters farthest from the query, about s · N records.
        case anticorrelated
    }

    let kind: Kind
    /// The fraction of the base the filter aims to match (1 when unfiltered).
    let selectivity: Double

    static let selectivities = [1.0, 0.1, 0.01, 0.001]

    /// The rows of the table. Anti-correlated starts at 10 %: at 100 % it is the correlated filter.
    static let all: [FilterCase] = [FilterCase(kind: .unfiltered, selectivity: 1)]
        + selectivities.map { FilterCase(kind: .uncorrelated, selectivity: $0) }
        + selectivities.map { FilterCase(kind: .correlated, selectivity: $0) }
        + selectivities.dropFirst().map { FilterCase(kind: .anticorrelated, selectivity: $0) }

    /// "100%", "10%", "1%", "0.1%".
    var percent: String {
        let p = selectivity * 100
        return p == p.rounded() ? "\(Int(p))%" : "\(p)%"
    }

    /// The filter of query `q`, for the engine and for the exact scan.
    func filter(forQuery q: Int, labels: FilterLabels) -> QueryFilter {
        let base = labels.bucket.count
        switch kind {
        case .unfiltered:
            return QueryFilter(filter: nil, selection: .all)
        case .uncorrelated:
            let below = Int((selectivity * Double(FilterLabels.bucketCount)).rounded())
            return QueryFilter(filter: .less("bucket", .int(Int64(below))), selection: .bucketBelow(below))
        case .correlated, .anticorrelated:
            let order: [Int] = kind == .correlated ? labels.clusterOrder[q] : labels.clusterOrder[q].reversed()
            let target = selectivity * Double(base)
            var chosen: [Int] = [], covered = 0
            for c in order where Double(covered) < target {
                chosen.append(c)
                covered += labels.clusterSizes[c]
            }
            var member = [Bool](repeating: false, count: FilterLabels.clusterCount)
            for c in chosen { member[c] = true }
            return QueryFilter(filter: .in("cluster", chosen.map { .int(Int64($0)) }), selection: .clusters(member))
        }
    }
}

/// The records one query's filter matches: as the engine is asked (`filter`), and as the
/// exact scan tests them (`contains`).
struct QueryFilter: Sendable {
    enum Selection: Sendable {
        case all
        case bucketBelow(Int)
        /// Membership per cluster number.
        case clusters([Bool])
    }

    let filter: Filter?
    let selection: Selection

    func contains(_ row: Int, _ labels: FilterLabels) -> Bool {
        switch selection {
        case .all: true
        case .bucketBelow(let bound): labels.bucket[row] < bound
        case .clusters(let member): member[labels.cluster[row]]
        }
    }
}
