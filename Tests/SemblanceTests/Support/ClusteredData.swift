/// Seeded synthetic clustered vectors, shaped like the benchmark's clustered sets: gaussian
/// clusters with skewed sizes and isotropic noise. Each vector knows its cluster, so a test
/// can delete one whole cluster.
struct ClusteredData {
    let dimension: Int
    let vectors: [[Float]]
    let clusters: [Int]
    let queries: [[Float]]
    let seed: UInt64

    init(count: Int, queries queryCount: Int, dimension: Int, clusters clusterCount: Int, seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let centres = (0..<clusterCount).map { _ in
            (0..<dimension).map { _ in 60 + 4 * rng.nextGaussian() }
        }
        // Skewed cluster sizes: weight ∝ 1 + u².
        let weights = (0..<clusterCount).map { _ in 1 + pow(Double.random(in: 0..<1, using: &rng), 2) * 4 }
        let total = weights.reduce(0, +)
        func drawCluster(_ rng: inout SeededGenerator) -> Int {
            var u = Double.random(in: 0..<total, using: &rng)
            for (i, w) in weights.enumerated() {
                u -= w
                if u < 0 { return i }
            }
            return clusterCount - 1
        }
        func draw(_ cluster: Int, _ rng: inout SeededGenerator) -> [Float] {
            centres[cluster].map { $0 + 6 * rng.nextGaussian() }
        }
        var vectors: [[Float]] = []
        var labels: [Int] = []
        for _ in 0..<count {
            let c = drawCluster(&rng)
            labels.append(c)
            vectors.append(draw(c, &rng))
        }
        self.queries = (0..<queryCount).map { _ in draw(drawCluster(&rng), &rng) }
        self.vectors = vectors
        self.clusters = labels
        self.dimension = dimension
        self.seed = seed
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
