import Foundation
import Semblance

/// The exact neighbours that answers are graded against, and the grading.
struct Recall {
    /// Per query, the exact nearest base ids, nearest first (at least k of them).
    let truth: [[Int]]
    /// "groundtruth.ivecs" or "exact scan".
    let source: String

    /// The dataset's ground truth when it has one, else an exact scan of the base.
    init(_ dataset: Dataset, k: Int) {
        if let groundTruth = dataset.groundTruth, groundTruth.allSatisfy({ $0.count >= k }) {
            truth = groundTruth
            source = "groundtruth.ivecs"
        } else {
            truth = Self.exactScan(dataset, k: k)
            source = "exact scan"
        }
    }

    /// recall@k: |returned top-k ∩ true top-k| / k, averaged over the queries. Result ids
    /// are base row numbers written as strings.
    func recall(_ answers: [SearchResults], k: Int) -> Double {
        precondition(answers.count == truth.count)
        var sum = 0.0
        for (answer, exact) in zip(answers, truth) {
            let expected = Set(exact.prefix(k))
            let found = Set(answer.prefix(k).compactMap { Int($0.id) })
            sum += Double(found.intersection(expected).count) / Double(k)
        }
        return sum / Double(truth.count)
    }

    /// The k nearest base rows of every query by brute force (ties: lower row first), both
    /// cores in use.
    private static func exactScan(_ dataset: Dataset, k: Int) -> [[Int]] {
        let base = dataset.base, queries = dataset.queries, metric = dataset.metric
        let rows = ConcurrentSlots<[Int]>(count: queries.count, initial: [])
        DispatchQueue.concurrentPerform(iterations: queries.count) { q in
            let query = metric == .cosine ? normalized(queries[q]) : queries[q]
            var scored: [(distance: Float, row: Int)] = []
            scored.reserveCapacity(base.count)
            for (row, vector) in base.enumerated() {
                scored.append((distance(query, metric == .cosine ? normalized(vector) : vector, metric), row))
            }
            scored.sort { ($0.distance, $0.row) < ($1.distance, $1.row) }
            rows.set(q, scored.prefix(k).map(\.row))
        }
        return rows.values
    }

    private static func distance(_ a: [Float], _ b: [Float], _ metric: DistanceMetric) -> Float {
        var sum: Float = 0
        switch metric {
        case .squaredEuclidean:
            for i in a.indices { let d = a[i] - b[i]; sum += d * d }
            return sum
        case .cosine, .innerProduct:
            for i in a.indices { sum += a[i] * b[i] }
            return -sum
        }
    }

    private static func normalized(_ v: [Float]) -> [Float] {
        let norm = v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        return v.map { Float(Double($0) / norm) }
    }
}
