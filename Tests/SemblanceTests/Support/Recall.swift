@testable import Semblance

/// Exact nearest neighbours by brute force in double precision, and recall against them.
enum Recall {
    /// The ids of the exact `k` nearest of `records` to `query`.
    static func exactNearest(
        _ query: [Float], among records: [(id: String, vector: [Float])], k: Int, metric: DistanceMetric
    ) -> [String] {
        let scored = records.map { ($0.id, distance(metric, query, $0.vector)) }
        return scored.sorted { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }.prefix(k).map(\.0)
    }

    static func distance(_ metric: DistanceMetric, _ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0, l2 = 0.0
        for i in 0..<a.count {
            let x = Double(a[i]), y = Double(b[i])
            dot += x * y; na += x * x; nb += y * y; l2 += (x - y) * (x - y)
        }
        switch metric {
        case .squaredEuclidean: return l2
        case .innerProduct: return -dot
        case .cosine: return 1 - dot / (na * nb).squareRoot()
        }
    }

    /// Mean recall@k of `index` over `queries`, against exact results over `records`.
    static func recall(
        of index: VectorIndex, queries: [[Float]], records: [(id: String, vector: [Float])], k: Int,
        ef: Int? = nil
    ) throws -> Double {
        try recall(queries: queries, records: records, k: k, metric: index.configuration.metric) { query in
            try index.search(query, k: k, ef: ef)
        }
    }

    /// Mean recall@k of `search` over `queries`, against the exact `k` nearest of `records`
    /// (the records a search may return: all of them, or those a filter matches).
    static func recall(
        queries: [[Float]], records: [(id: String, vector: [Float])], k: Int, metric: DistanceMetric,
        search: ([Float]) throws -> [SearchResult]
    ) rethrows -> Double {
        var total = 0.0
        for query in queries {
            let truth = Set(exactNearest(query, among: records, k: k, metric: metric))
            let found = try search(query).map(\.id)
            total += Double(found.filter { truth.contains($0) }.count) / Double(max(1, min(k, truth.count)))
        }
        return total / Double(queries.count)
    }
}
