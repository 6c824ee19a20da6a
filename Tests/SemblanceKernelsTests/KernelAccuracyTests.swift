import SemblanceKernels
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Helpers

/// SplitMix64: a tiny, seeded, deterministic generator, so every failure can be replayed.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    mutating func nextFloat(_ lo: Float, _ hi: Float) -> Float {
        let unit = Float(next() >> 40) * (1.0 / Float(1 << 24))  // 24 random bits in [0, 1)
        return lo + (hi - lo) * unit
    }
}

/// The seed of the randomised tests: `SEMBLANCE_KERNELS_SEED` (decimal or 0x-hex) when set,
/// so a failure can be replayed or other data tried, else a fixed one.
let testSeed: UInt64 = {
    if let raw = getenv("SEMBLANCE_KERNELS_SEED") {
        let text = String(cString: raw)
        if text.hasPrefix("0x"), let v = UInt64(text.dropFirst(2), radix: 16) { return v }
        if let v = UInt64(text) { return v }
    }
    return 0x5EB1_A9CE_0000_0001
}()

let allLevels: [Int32] = [
    Int32(SK_LEVEL_SCALAR.rawValue), Int32(SK_LEVEL_PORTABLE.rawValue),
    Int32(SK_LEVEL_AVX2.rawValue), Int32(SK_LEVEL_AVX512.rawValue),
]

/// Every level the running CPU can execute.
let supportedLevels: [Int32] = allLevels.filter { sk_level_supported($0) != 0 }

enum Kernel: String, CaseIterable, CustomStringConvertible {
    case l2sq, dot, cosine

    var description: String { rawValue }

    func function(_ table: sk_kernel_table) -> sk_f32_fn {
        switch self {
        case .l2sq: table.l2sq!
        case .dot: table.dot!
        case .cosine: table.cosine!
        }
    }
}

/// Float storage from a 64-byte-aligned allocation, so an offset of k floats gives a start
/// that is exactly 4k bytes past a cache-line boundary.
final class AlignedFloats {
    let base: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: count)
        base.initialize(repeating: 0, count: count)
    }

    deinit { UnsafeMutableRawPointer(base).deallocate() }
}

/// Double-precision reference values for one pair of vectors.
struct Reference {
    var l2sq = 0.0
    var dot = 0.0
    var absDot = 0.0  // sum of |a_i * b_i|: the scale of the dot product's rounding error
    var normA = 0.0
    var normB = 0.0

    init(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) {
        for i in 0..<n {
            let x = Double(a[i]), y = Double(b[i])
            l2sq += (x - y) * (x - y)
            dot += x * y
            absDot += abs(x * y)
            normA += x * x
            normB += y * y
        }
    }

    var cosine: Double {
        normA == 0 || normB == 0 ? 1 : 1 - dot / (normA * normB).squareRoot()
    }

    /// The error of `value` as the accuracy tests measure it (the bound is 1e-5 for each):
    /// - l2sq: relative to the reference value;
    /// - dot: relative to sum(|a_i * b_i|), not to the dot product itself, because the dot
    ///   product can cancel to (near) zero while every float variant still rounds at the
    ///   scale of its terms, so an error relative to the result would be unbounded;
    /// - cosine: absolute, as the distance lies in [0, 2].
    func error(_ kernel: Kernel, _ value: Float) -> Double {
        let v = Double(value)
        switch kernel {
        case .l2sq: return l2sq == 0 ? abs(v) : abs(v - l2sq) / l2sq
        case .dot: return absDot == 0 ? abs(v) : abs(v - dot) / absDot
        case .cosine: return abs(v - cosine)
        }
    }
}

func levelName(_ level: Int32) -> String {
    String(cString: sk_kernels(level).name)
}

// MARK: - Accuracy

@Suite("Kernel accuracy")
struct KernelAccuracyTests {
    static let maxDimension = 1024
    static let offsets = [0, 1, 2, 3]
    static let tolerance = 1e-5

    /// Every kernel of `level`, every dimension 1...1024, every pair of start offsets
    /// (0...3 floats past a 64-byte boundary, a and b equal and different), against the
    /// Double-precision reference. Two value distributions: centred (dot products cancel)
    /// and all positive (large sums, no cancellation).
    @Test("every kernel, n = 1...1024, unaligned starts, within 1e-5", arguments: supportedLevels)
    func accuracy(level: Int32) {
        let table = sk_kernels(level)
        #expect(table.level == level)
        let distributions = [("centred", Float(-1)...Float(1)), ("positive", Float(0)...Float(4))]
        for (index, (distribution, range)) in distributions.enumerated() {
            let seed = testSeed &+ UInt64(index)
            var rng = SplitMix64(seed: seed)
            let a = AlignedFloats(count: Self.maxDimension + 16)
            let b = AlignedFloats(count: Self.maxDimension + 16)
            for i in 0..<a.count {
                a.base[i] = rng.nextFloat(range.lowerBound, range.upperBound)
                b.base[i] = rng.nextFloat(range.lowerBound, range.upperBound)
            }

            var failures: [String] = []
            var failureCount = 0
            var worst: [Kernel: Double] = [:]
            for offA in Self.offsets {
                for offB in Self.offsets {
                    let pa = UnsafePointer(a.base + offA), pb = UnsafePointer(b.base + offB)
                    var ref = Reference(pa, pb, 0)
                    for n in 1...Self.maxDimension {
                        // Extend the reference by one component instead of recomputing it.
                        let x = Double(pa[n - 1]), y = Double(pb[n - 1])
                        ref.l2sq += (x - y) * (x - y)
                        ref.dot += x * y
                        ref.absDot += abs(x * y)
                        ref.normA += x * x
                        ref.normB += y * y
                        for kernel in Kernel.allCases {
                            let value = kernel.function(table)(pa, pb, n)
                            let err = ref.error(kernel, value)
                            worst[kernel] = max(worst[kernel] ?? 0, err)
                            if !(err <= Self.tolerance) {  // also catches NaN
                                failureCount += 1
                                if failures.count < 8 {
                                    failures.append(
                                        "\(kernel) n=\(n) offA=\(offA) offB=\(offB): got \(value), error \(err)")
                                }
                            }
                        }
                    }
                }
            }
            let seedText = "0x" + String(seed, radix: 16)
            #expect(
                failureCount == 0,
                """
                level \(levelName(level)), \(distribution) data, seed \(seedText) \
                (replay with SEMBLANCE_KERNELS_SEED=0x\(String(testSeed, radix: 16))): \
                \(failureCount) failures, first: \(failures.joined(separator: "; "))
                """)
            if failureCount > 0 {
                print("SemblanceKernelsTests: seed \(seedText) failed, worst errors \(worst)")
            }
        }
    }

    /// The scalar reference itself agrees with the Double reference, and every faster level
    /// agrees with the scalar one (at the typical embedding sizes).
    @Test("every level agrees with the scalar variant", arguments: supportedLevels)
    func matchesScalar(level: Int32) {
        let scalar = sk_kernels(Int32(SK_LEVEL_SCALAR.rawValue))
        let table = sk_kernels(level)
        var rng = SplitMix64(seed: testSeed &+ 17)
        for n in [1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 128, 384, 768, 1536] {
            let a = (0..<n).map { _ in rng.nextFloat(-1, 1) }
            let b = (0..<n).map { _ in rng.nextFloat(-1, 1) }
            let ref = Reference(a, b, n)
            for kernel in Kernel.allCases {
                let s = kernel.function(scalar)(a, b, n)
                let v = kernel.function(table)(a, b, n)
                #expect(ref.error(kernel, s) <= 1e-5, "scalar \(kernel) n=\(n) seed 0x\(String(testSeed, radix: 16))")
                #expect(ref.error(kernel, v) <= 1e-5, "\(levelName(level)) \(kernel) n=\(n) seed 0x\(String(testSeed, radix: 16))")
                // Between two float variants: twice the bound of each against the reference.
                let scale = switch kernel {
                case .l2sq: ref.l2sq
                case .dot: ref.absDot
                case .cosine: 1.0
                }
                let diff = abs(Double(v) - Double(s)) / max(scale, 1e-30)
                #expect(diff <= 2e-5, "\(levelName(level)) vs scalar, \(kernel) n=\(n): \(v) vs \(s)")
            }
        }
    }

    /// No variant reads a byte outside [a, a + n): the vectors are put right against an
    /// inaccessible page, ending at it and starting just after it; an over-read would crash.
    @Test("no read outside the vectors (guard pages)", arguments: supportedLevels)
    func guardPages(level: Int32) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard let region = mmap(nil, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            region != MAP_FAILED
        else {
            Issue.record("mmap failed")
            return
        }
        defer { munmap(region, 3 * page) }
        // [guard][data][guard]
        #expect(mprotect(region, page, PROT_NONE) == 0)
        #expect(mprotect(region + 2 * page, page, PROT_NONE) == 0)
        let floatsPerPage = page / MemoryLayout<Float>.stride
        let data = (region + page).bindMemory(to: Float.self, capacity: floatsPerPage)
        var rng = SplitMix64(seed: testSeed &+ 29)
        for i in 0..<floatsPerPage { data[i] = rng.nextFloat(-1, 1) }

        let table = sk_kernels(level)
        var failures: [String] = []
        for n in 1...200 {
            let atStart = UnsafePointer(data)  // right after the leading guard page
            let atEnd = UnsafePointer(data + floatsPerPage - n)  // right before the trailing one
            let ref = Reference(atStart, atEnd, n)
            for kernel in Kernel.allCases {
                let v1 = kernel.function(table)(atStart, atEnd, n)
                let v2 = kernel.function(table)(atEnd, atStart, n)
                if !(ref.error(kernel, v1) <= 1e-5 && ref.error(kernel, v2) <= 1e-5) {
                    failures.append("\(kernel) n=\(n): \(v1), \(v2)")
                }
            }
        }
        #expect(
            failures.isEmpty,
            "\(levelName(level)) seed 0x\(String(testSeed &+ 29, radix: 16)): \(failures.count) wrong, first: \(failures.prefix(6))")
    }
}

// MARK: - Dispatch

@Suite("Kernel dispatch")
struct KernelDispatchTests {
    @Test func bestLevelIsTheHighestSupported() {
        let best = sk_best_level()
        #expect(best == supportedLevels.max())
        #expect(sk_best_level() == best)  // cached, stable
        #expect(sk_level_supported(best) != 0)
        #expect(sk_level_supported(best + 1) == 0)
        #expect(sk_level_supported(-1) == 0)
        // Scalar and portable exist everywhere; the levels are nested.
        #expect(sk_level_supported(Int32(SK_LEVEL_SCALAR.rawValue)) != 0)
        #expect(sk_level_supported(Int32(SK_LEVEL_PORTABLE.rawValue)) != 0)
        #expect(supportedLevels == Array(allLevels.prefix(supportedLevels.count)))
        #if arch(x86_64)
        print("SemblanceKernelsTests: best level \(levelName(best)); supported: \(supportedLevels.map(levelName))")
        #else
        #expect(best == Int32(SK_LEVEL_PORTABLE.rawValue))
        #endif
    }

    @Test("each supported level returns its own table", arguments: supportedLevels)
    func supportedLevelTable(level: Int32) {
        let table = sk_kernels(level)
        #expect(table.level == level)
        #expect(levelName(level) == ["scalar", "portable", "avx2", "avx512"][Int(level)])
    }

    /// An unsupported or out-of-range level falls back to the best supported level below it,
    /// and the returned kernels run.
    @Test(arguments: [-5, -1, 0, 1, 2, 3, 4, 99] as [Int32])
    func unsupportedLevelFallsBack(level: Int32) {
        let best = sk_best_level()
        let table = sk_kernels(level)
        let expected = min(max(level, 0), best)
        #expect(table.level == expected)
        #expect(sk_level_supported(table.level) != 0)
        let a: [Float] = (0..<37).map { Float($0) * 0.25 - 3 }
        let b: [Float] = (0..<37).map { 2 - Float($0) * 0.125 }
        let ref = Reference(a, b, a.count)
        for kernel in Kernel.allCases {
            #expect(ref.error(kernel, kernel.function(table)(a, b, a.count)) <= 1e-5)
        }
    }
}

// MARK: - Special values

@Suite("Kernel special cases")
struct KernelSpecialCaseTests {
    static let dimensions = [1, 2, 5, 8, 15, 16, 17, 31, 33, 64, 100, 128, 384, 768, 1536]

    @Test("cosine of a zero vector is 1", arguments: supportedLevels)
    func cosineOfZeroVector(level: Int32) {
        let table = sk_kernels(level)
        var rng = SplitMix64(seed: testSeed &+ 1)
        for n in Self.dimensions {
            let zero = [Float](repeating: 0, count: n)
            let a = (0..<n).map { _ in rng.nextFloat(-1, 1) }
            #expect(table.cosine!(zero, a, n) == 1, "\(levelName(level)) n=\(n)")
            #expect(table.cosine!(a, zero, n) == 1, "\(levelName(level)) n=\(n)")
            #expect(table.cosine!(zero, zero, n) == 1, "\(levelName(level)) n=\(n)")
            #expect(table.dot!(zero, a, n) == 0)
            #expect(table.l2sq!(zero, zero, n) == 0)
        }
        // n = 0: both norms are 0.
        let one: [Float] = [1]
        #expect(table.cosine!(one, one, 0) == 1)
        #expect(table.l2sq!(one, one, 0) == 0)
        #expect(table.dot!(one, one, 0) == 0)
    }

    @Test("cosine(a, a) ≈ 0, cosine(a, -a) ≈ 2, l2sq(a, a) == 0", arguments: supportedLevels)
    func selfDistances(level: Int32) {
        let table = sk_kernels(level)
        var rng = SplitMix64(seed: testSeed &+ 2)
        for n in Self.dimensions {
            let a = (0..<n).map { _ in rng.nextFloat(-1, 1) }
            let negA = a.map { -$0 }
            let scaled = a.map { $0 * 3 }  // same direction, other length
            #expect(abs(table.cosine!(a, a, n)) <= 1e-6, "\(levelName(level)) n=\(n) seed 0x\(String(testSeed, radix: 16))")
            #expect(abs(table.cosine!(a, scaled, n)) <= 1e-5, "\(levelName(level)) n=\(n)")
            #expect(abs(table.cosine!(a, negA, n) - 2) <= 1e-6, "\(levelName(level)) n=\(n)")
            #expect(table.l2sq!(a, a, n) == 0, "\(levelName(level)) n=\(n)")
            #expect(table.l2sq!(a, negA, n) > 0)
        }
    }

    /// Orthogonal vectors: cosine distance 1, dot 0, l2sq the sum of the squared norms.
    @Test("orthogonal vectors", arguments: supportedLevels)
    func orthogonal(level: Int32) {
        let table = sk_kernels(level)
        for n in [2, 16, 33, 128, 769] {
            let a = (0..<n).map { $0 % 2 == 0 ? Float(1) : 0 }
            let b = (0..<n).map { $0 % 2 == 0 ? Float(0) : 2 }
            #expect(table.dot!(a, b, n) == 0)
            #expect(table.cosine!(a, b, n) == 1)
            #expect(table.l2sq!(a, b, n) == Float((n + 1) / 2) + 4 * Float(n / 2))
        }
    }
}
