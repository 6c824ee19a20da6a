import Foundation

/// The benchmark's vectors: clustered points (64 centres, Gaussian spread), the same for
/// every process and run, so that a child process can make the vectors its parent made.
enum BenchData {
    static let dimension = 128
    static let collection = "bench"

    /// SplitMix64: a fixed, seeded source of numbers.
    struct Random: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func gaussian() -> Float {
            let u = Double.random(in: Double.ulpOfOne..<1, using: &self)
            let v = Double.random(in: 0..<1, using: &self)
            return Float((-2 * log(u)).squareRoot() * cos(2 * Double.pi * v))
        }
    }

    static let centres: [[Float]] = {
        var random = Random(state: 7)
        return (0..<64).map { _ in (0..<dimension).map { _ in random.gaussian() } }
    }()

    /// The vector number `n` (any n ≥ 0): a centre plus noise, seeded by n.
    static func vector(_ n: Int) -> [Float] {
        var random = Random(state: UInt64(n) &* 0x2545_F491_4F6C_DD1D &+ 1)
        let centre = centres[n % centres.count]
        return centre.map { $0 + 0.35 * random.gaussian() }
    }
}

