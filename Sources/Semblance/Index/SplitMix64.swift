/// SplitMix64 (Steele, Lea & Flood): a tiny seeded generator whose whole state is one word,
/// so it can be persisted. Drives the HNSW level draws; the tests reuse it for their inputs.
struct SplitMix64: RandomNumberGenerator, Sendable, Hashable {
    /// The generator's position: the same state gives the same stream.
    private(set) var state: UInt64

    init(state: UInt64) { self.state = state }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
