import BenchVectors

/// The benchmark's vectors: clustered 128-d points, the same for every process and run.
enum BenchData {
    static let dimension = 128
    static let collection = "bench"
    static let vectors = ClusteredVectors(dimension: dimension)

    /// The vector number `n` (any n ≥ 0).
    static func vector(_ n: Int) -> [Float] { vectors.vector(n) }
}
