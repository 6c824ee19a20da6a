@testable import Semblance

/// The library's SplitMix64 with its seed kept, so every random test input is reproducible.
/// Tests print the seed in their failure messages.
struct SeededGenerator: RandomNumberGenerator {
    private var random: SplitMix64
    let seed: UInt64

    init(seed: UInt64) {
        self.seed = seed
        random = SplitMix64(state: seed)
    }

    mutating func next() -> UInt64 { random.next() }

    /// A standard normal sample (Box–Muller).
    mutating func nextGaussian() -> Float {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &self)
        let u2 = Double.random(in: 0..<1, using: &self)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
