#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Draws HNSW node levels from a seeded SplitMix64 stream, so that the same inputs in the
/// same order build the same graph.
struct LevelGenerator: Sendable, Hashable {
    private var random: SplitMix64
    private let levelMultiplier: Double

    /// The generator's position; persisted so that a reopened index draws the same levels.
    var state: UInt64 { random.state }

    init(seed: UInt64, m: Int) {
        random = SplitMix64(state: seed)
        levelMultiplier = 1 / log(Double(m))
    }

    init(state: UInt64, m: Int) {
        self.init(seed: state, m: m)
    }

    /// The next level: ⌊−ln(U) · 1/ln(M)⌋ with U uniform in (0, 1], capped at 31.
    mutating func nextLevel() -> Int {
        let z = random.next()
        let uniform = (Double(z >> 11) + 1) / Double(1 << 53)
        return min(Int(-log(uniform) * levelMultiplier), 31)
    }
}
