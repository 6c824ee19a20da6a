import Foundation
import Semblance

/// The metadata every base record gets in the filtered benchmark:
///
/// - `bucket`: 0..<1000 from a hash of the row number, so it has nothing to do with the
///   vector (filters on it are *uncorrelated* with any query);
/// - `cluster`: which of 1,000 centroids (base rows picked by a seeded generator) is nearest
///   by cosine, so a cluster's records lie close together (filters on the clusters nearest
///   a query are *correlated* with it, on the farthest ones *anti-correlated*).
struct FilterLabels: Sendable {
    static let bucketCount = 1000
    static let clusterCount = 1000
    static let seed: UInt64 = 0x5EB1_A4CE_F11E_2ED0

    /// Per base row.
    let bucket: [Int]
    /// Per base row.
    let cluster: [Int]
    /// Records per cluster.
    let clusterSizes: [Int]
    /// The base rows that serve as centroids, in cluster order.
    let centroidRows: [Int]
    /// Per query, every cluster by the distance of its centroid, nearest first.
    let clusterOrder: [[Int]]

    init(base: UnitVectors, queries: UnitVectors) {
        bucket = (0..<base.count).map { Int(SeededRandom.mix(Self.seed &+ UInt64($0)) % UInt64(Self.bucketCount)) }
        var random = SeededRandom(seed: Self.seed)
        centroidRows = Array(Array(0..<base.count).shuffled(using: &random).prefix(Self.clusterCount))
        let centroids = UnitVectors(centroidRows.map { base.row($0) })

        let assigned = ConcurrentSlots<Int>(count: base.count, initial: 0)
        DispatchQueue.concurrentPerform(iterations: base.count) { row in
            assigned.set(row, centroids.nearest(to: base.row(row)))
        }
        cluster = assigned.values
        var sizes = [Int](repeating: 0, count: Self.clusterCount)
        for c in cluster { sizes[c] += 1 }
        clusterSizes = sizes

        let orders = ConcurrentSlots<[Int]>(count: queries.count, initial: [])
        DispatchQueue.concurrentPerform(iterations: queries.count) { q in
            let distances = centroids.cosineDistances(to: queries.row(q))
            orders.set(q, distances.indices.sorted { (distances[$0], $0) < (distances[$1], $1) })
        }
        clusterOrder = orders.values
    }

    /// The metadata of base row `row`.
    func metadata(_ row: Int) -> Metadata {
        .object(["bucket": .int(Int64(bucket[row])), "cluster": .int(Int64(cluster[row]))])
    }
}
