#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Draws HNSW node levels from a seeded SplitMix64 stream, so that the same inputs in the
/// same order build the same graph.
struct LevelGenerator: Sendable, Hashable {
    /// The generator's position; persisted so that a reopened index draws the same levels.
    private(set) var state: UInt64
    private let levelMultiplier: Double

    init(seed: UInt64, m: Int) {
        state = seed
        levelMultiplier = 1 / log(Double(m))
    }

    init(state: UInt64, m: Int) {
        self.init(seed: state, m: m)
    }

    /// The next level: ⌊−ln(U) · 1/ln(M)⌋ with U uniform in (0, 1], capped at 31.
    mutating func nextLevel() -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        let uniform = (Double(z >> 11) + 1) / Double(1 << 53)
        return min(Int(-log(uniform) * levelMultiplier), 31)
    }
}
