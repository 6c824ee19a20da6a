import Semblance

/// Vectors scaled to length 1 and laid end to end in one array, for exact cosine scans
/// (cosine distance = 1 − dot product of unit vectors).
struct UnitVectors: Sendable {
    let dimension: Int
    let count: Int
    private let values: [Float]

    init(_ rows: [[Float]]) {
        dimension = rows.first?.count ?? 0
        count = rows.count
        var values: [Float] = []
        values.reserveCapacity(count * dimension)
        for row in rows {
            let norm = row.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
            values.append(contentsOf: row.map { Float(Double($0) / norm) })
        }
        self.values = values
    }

    /// Row `i`.
    func row(_ i: Int) -> [Float] { Array(values[i * dimension..<(i + 1) * dimension]) }

    /// The cosine distance from the unit vector `query` to every row, in row order.
    func cosineDistances(to query: [Float]) -> [Float] {
        precondition(query.count == dimension)
        let kernels = DistanceKernels.best
        return values.withUnsafeBufferPointer { all in
            query.withUnsafeBufferPointer { q in
                (0..<count).map { 1 - kernels.dotProduct(q.baseAddress!, all.baseAddress! + $0 * dimension, count: dimension) }
            }
        }
    }

    /// The row nearest to `query` (the lowest row among equals).
    func nearest(to query: [Float]) -> Int {
        let distances = cosineDistances(to: query)
        var best = 0
        for i in distances.indices where distances[i] < distances[best] { best = i }
        return best
    }
}
