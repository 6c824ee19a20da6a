import Foundation

/// SplitMix64: a fixed, seeded source of numbers, the same on every run and in every process.
public struct SeededRandom: RandomNumberGenerator {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A standard normal sample (Box–Muller).
    public mutating func gaussian() -> Float {
        let u = Double.random(in: Double.ulpOfOne..<1, using: &self)
        let v = Double.random(in: 0..<1, using: &self)
        return Float((-2 * log(u)).squareRoot() * cos(2 * Double.pi * v))
    }
}

/// Clustered vectors (64 centres, Gaussian spread 0.35), vector `n` the same for every
/// process and run, so that a child process can make the vectors its parent made.
public struct ClusteredVectors: Sendable {
    public let dimension: Int
    private let centres: [[Float]]

    public init(dimension: Int) {
        self.dimension = dimension
        var random = SeededRandom(state: 7)
        centres = (0..<64).map { _ in (0..<dimension).map { _ in random.gaussian() } }
    }

    /// The vector number `n` (any n ≥ 0): a centre plus noise, seeded by n.
    public func vector(_ n: Int) -> [Float] {
        var random = SeededRandom(state: UInt64(n) &* 0x2545_F491_4F6C_DD1D &+ 1)
        return centres[n % centres.count].map { $0 + 0.35 * random.gaussian() }
    }
}
