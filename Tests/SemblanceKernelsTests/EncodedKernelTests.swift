import SemblanceKernels
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The kernels over compact encodings (bfloat16, float16, int8) and the encoding conversions.
// Every variant the CPU can run, including the fallbacks a CPU without F16C, AVX512_BF16 or
// AVX512_VNNI would take (`sk_kernels_using`), is checked against the scalar reference of the
// same encoding, and the scalar reference against a Double (float kernels) or exact Int64
// (int8 kernels) reference.

// MARK: - Helpers

/// One kernel table: a level and the optional features (sk_feature bits) it may use.
struct KernelVariant: Sendable, CustomStringConvertible {
    let level: Int32
    let features: UInt32
    let name: String

    var table: sk_kernel_table { sk_kernels_using(level, features) }
    var description: String { name }
}

/// The optional features each level's encoded kernels can use.
func levelFeatureMask(_ level: Int32) -> UInt32 {
    switch level {
    case Int32(SK_LEVEL_AVX2.rawValue): UInt32(SK_FEATURE_F16C.rawValue)
    case Int32(SK_LEVEL_AVX512.rawValue): UInt32(SK_FEATURE_AVX512_BF16.rawValue | SK_FEATURE_AVX512_VNNI.rawValue)
    default: 0
    }
}

/// Every distinct table the running CPU can execute: each supported level with every subset
/// of the optional features the CPU has.
let supportedVariants: [KernelVariant] = {
    var variants: [KernelVariant] = []
    for level in supportedLevels {
        for features in UInt32(0)..<8 {
            let name = String(cString: sk_kernels_using(level, features).variant)
            if !variants.contains(where: { $0.name == name }) {
                variants.append(KernelVariant(level: level, features: features, name: name))
            }
        }
    }
    return variants
}()

/// The scalar reference table (a computed property: a C struct of pointers is not Sendable).
var scalarTable: sk_kernel_table { sk_kernels(Int32(SK_LEVEL_SCALAR.rawValue)) }

/// Storage from a 64-byte-aligned allocation, so an offset of k elements gives a start that is
/// exactly k elements past a cache-line boundary.
final class AlignedBuffer<Element> {
    let base: UnsafeMutablePointer<Element>
    let count: Int

    init(count: Int, repeating value: Element) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Element>.stride, alignment: 64)
        base = raw.bindMemory(to: Element.self, capacity: count)
        base.initialize(repeating: value, count: count)
    }

    deinit { UnsafeMutableRawPointer(base).deallocate() }
}

enum HalfEncoding: String, CaseIterable, CustomStringConvertible {
    case bf16, f16

    var description: String { rawValue }

    func encode(_ x: Float) -> UInt16 {
        var x = x, code: UInt16 = 0
        switch self {
        case .bf16: scalarTable.f32_to_bf16!(&x, &code, 1)
        case .f16: scalarTable.f32_to_f16!(&x, &code, 1)
        }
        return code
    }

    func decode(_ code: UInt16) -> Float {
        var code = code, x: Float = 0
        switch self {
        case .bf16: scalarTable.bf16_to_f32!(&code, &x, 1)
        case .f16: scalarTable.f16_to_f32!(&code, &x, 1)
        }
        return x
    }

    func l2sq(_ table: sk_kernel_table) -> sk_u16_fn {
        switch self {
        case .bf16: table.l2sq_bf16!
        case .f16: table.l2sq_f16!
        }
    }

    func dot(_ table: sk_kernel_table) -> sk_u16_fn {
        switch self {
        case .bf16: table.dot_bf16!
        case .f16: table.dot_f16!
        }
    }
}

extension SplitMix64 {
    mutating func nextInt(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    mutating func nextSign() -> Float { next() & 1 == 0 ? 1 : -1 }
}

/// Test data in one of three distributions: centred in [−1, 1) (dot products cancel), positive
/// in [0, 4) (large sums), and extreme: zeros of both signs, large and tiny magnitudes
/// (bfloat16 subnormals, every float16 exponent including subnormals), equal components.
enum Distribution: String, CaseIterable, CustomStringConvertible {
    case centred, positive, extreme

    var description: String { rawValue }

    /// A pair of codes (a[i], b[i]).
    func pair(_ encoding: HalfEncoding, _ rng: inout SplitMix64) -> (UInt16, UInt16) {
        switch self {
        case .centred: return (encoding.encode(rng.nextFloat(-1, 1)), encoding.encode(rng.nextFloat(-1, 1)))
        case .positive: return (encoding.encode(rng.nextFloat(0, 4)), encoding.encode(rng.nextFloat(0, 4)))
        case .extreme:
            let a = extremeCode(encoding, &rng)
            return (a, rng.next() % 4 == 0 ? a : extremeCode(encoding, &rng))
        }
    }

    private func extremeCode(_ encoding: HalfEncoding, _ rng: inout SplitMix64) -> UInt16 {
        let category = rng.next() % 8
        switch (encoding, category) {
        case (_, 0): return 0x0000  // +0
        case (_, 1): return 0x8000  // −0
        case (.bf16, 2):  // large: sums stay far below float32 overflow (2^102 · 1024 · 4)
            let x = rng.nextSign() * Float(sign: .plus, exponent: rng.nextInt(10...49), significand: rng.nextFloat(1, 2))
            return encoding.encode(x)
        case (.bf16, 3):  // tiny, down into the subnormals (below 2^−126)
            let x = rng.nextSign() * Float(sign: .plus, exponent: -rng.nextInt(100...133), significand: rng.nextFloat(1, 2))
            return encoding.encode(x)
        case (.f16, 2):  // a subnormal half
            return UInt16(truncatingIfNeeded: rng.next()) & 0x83ff
        case (.f16, 3):  // large: exponent 25...30 (up to 65504)
            let exponent = UInt16(rng.nextInt(25...30)) << 10
            return (UInt16(truncatingIfNeeded: rng.next()) & 0x83ff) | exponent
        case (.f16, _):  // any finite half (not exponent 31)
            var code = UInt16(truncatingIfNeeded: rng.next())
            if code & 0x7c00 == 0x7c00 { code &= 0xbfff }
            return code
        default:
            return encoding.encode(rng.nextFloat(-8, 8))
        }
    }
}

/// Double-precision reference sums over decoded components (the products are exact in
/// Double, and also in float32, so only a kernel's additions can round).
struct EncodedReference {
    var l2sq = 0.0
    var dot = 0.0
    var absDot = 0.0  // Σ|a_i·b_i|: the scale of a dot product's rounding error
    var absSum = 0.0  // Σ(|a_i| + |b_i|)
    var count = 0

    mutating func add(_ x: Double, _ y: Double) {
        l2sq += (x - y) * (x - y)
        dot += x * y
        absDot += abs(x * y)
        absSum += abs(x) + abs(y)
        count += 1
    }

    /// vdpbf16ps (the AVX512_BF16 dot product) treats subnormal bfloat16 inputs as zero and
    /// flushes subnormal float32 results: a term with a subnormal factor loses less than
    /// 2^−126 times the other factor, each of the n flushed additions less than 2^−126.
    var flushSlack: Double { 0x1p-126 * (absSum + Double(count)) }

    /// Underflow: in float32 a product, square or sum below 2^−126 is rounded to the
    /// subnormal grid, an absolute error of up to 2^−150 per operation, which no relative
    /// bound covers (the extreme data has terms far below it). Two operations per component,
    /// and twice that when two float32 results are compared.
    var underflowSlack: Double { 0x1p-148 * Double(count) }
}

let seedNote = "replay with SEMBLANCE_KERNELS_SEED=0x\(String(testSeed, radix: 16))"

// MARK: - Accuracy of the bfloat16 and float16 kernels

/// The tolerances, relative to the scale of each sum's rounding error (Σ d_i² for l2sq,
/// Σ|a_i·b_i| for dot; an error relative to a dot product that cancels would be unbounded):
/// - against the Double reference, 1e-5 (as the float32 kernels): the worst case of a
///   sequential float32 sum is (n − 1)·2^−24 ≈ 6e-5 at n = 1024, but that needs every
///   rounding in the same direction; random data errs like √n·2^−24 (≈ 2e-6), the variants
///   with many accumulators less. 1e-5 still catches any wrong, lost or doubled term larger
///   than 1e-5 of the scale;
/// - a variant against the scalar reference: twice that, 2e-5, as both err;
/// - plus `underflowSlack`, n·2^−148 (float32 underflow, see EncodedReference), and for
///   dot_bf16 `flushSlack` (flushed subnormals in vdpbf16ps).
@Suite("Encoded kernel accuracy")
struct EncodedKernelAccuracyTests {
    static let maxDimension = 1024
    static let offsets = [0, 1, 2, 3]
    static let tolerance = 1e-5
    static let pairTolerance = 2e-5

    @Test("bfloat16 and float16 l2sq and dot, n = 1...1024, unaligned starts, against the scalar reference",
          arguments: supportedVariants)
    func halfKernels(variant: KernelVariant) {
        let table = variant.table
        let scalarTable = scalarTable
        for (e, encoding) in HalfEncoding.allCases.enumerated() {
            for (d, distribution) in Distribution.allCases.enumerated() {
                let seed = testSeed &+ 0x100 &+ UInt64(16 * e + d)
                var rng = SplitMix64(seed: seed)
                let count = Self.maxDimension + 8
                let a = AlignedBuffer<UInt16>(count: count, repeating: 0)
                let b = AlignedBuffer<UInt16>(count: count, repeating: 0)
                for i in 0..<count { (a.base[i], b.base[i]) = distribution.pair(encoding, &rng) }
                let da = (0..<count).map { Double(encoding.decode(a.base[$0])) }
                let db = (0..<count).map { Double(encoding.decode(b.base[$0])) }

                var failures: [String] = []
                var failureCount = 0
                var checks = 0
                for offA in Self.offsets {
                    for offB in Self.offsets {
                        let pa = UnsafePointer(a.base + offA), pb = UnsafePointer(b.base + offB)
                        var ref = EncodedReference()
                        for n in 1...Self.maxDimension {
                            ref.add(da[offA + n - 1], db[offB + n - 1])
                            let tiny = ref.underflowSlack
                            let slack = (encoding == .bf16 ? ref.flushSlack : 0) + tiny
                            let l2 = Double(encoding.l2sq(table)(pa, pb, n))
                            let l2Scalar = Double(encoding.l2sq(scalarTable)(pa, pb, n))
                            let dot = Double(encoding.dot(table)(pa, pb, n))
                            let dotScalar = Double(encoding.dot(scalarTable)(pa, pb, n))
                            let ok =
                                abs(l2 - l2Scalar) <= Self.pairTolerance * ref.l2sq + tiny
                                && abs(l2Scalar - ref.l2sq) <= Self.tolerance * ref.l2sq + tiny
                                && abs(l2 - ref.l2sq) <= Self.tolerance * ref.l2sq + tiny
                                && abs(dot - dotScalar) <= Self.pairTolerance * ref.absDot + slack
                                && abs(dotScalar - ref.dot) <= Self.tolerance * ref.absDot + tiny
                                && abs(dot - ref.dot) <= Self.tolerance * ref.absDot + slack
                            checks += 1
                            if !ok {  // also catches NaN
                                failureCount += 1
                                if failures.count < 6 {
                                    failures.append(
                                        "n=\(n) offA=\(offA) offB=\(offB): l2sq \(l2) scalar \(l2Scalar) ref \(ref.l2sq); "
                                            + "dot \(dot) scalar \(dotScalar) ref \(ref.dot) (Σ|ab| \(ref.absDot))")
                                }
                            }
                        }
                    }
                }
                #expect(checks == Self.offsets.count * Self.offsets.count * Self.maxDimension)
                #expect(
                    failureCount == 0,
                    """
                    \(variant) \(encoding) \(distribution), seed 0x\(String(seed, radix: 16)) (\(seedNote)): \
                    \(failureCount) failures, first: \(failures.joined(separator: "; "))
                    """)
            }
        }
    }

    /// Non-finite codes propagate: a NaN component makes both distances NaN, an infinite one
    /// (against finite, positive components) makes them infinite; n = 0 gives 0.
    @Test("NaN and inf propagate, n = 0 gives 0", arguments: supportedVariants)
    func nonFinite(variant: KernelVariant) {
        let table = variant.table
        let specials: [(HalfEncoding, nan: UInt16, inf: UInt16, one: UInt16)] = [
            (.bf16, 0x7fc0, 0x7f80, 0x3f80), (.f16, 0x7e00, 0x7c00, 0x3c00),
        ]
        for (encoding, nan, inf, one) in specials {
            for n in [1, 7, 16, 31, 32, 33, 64, 100, 129] {
                for position in Set([0, n / 2, n - 1]) {
                    var a = [UInt16](repeating: one, count: n)
                    let b = [UInt16](repeating: one, count: n)
                    a[position] = nan
                    #expect(encoding.l2sq(table)(a, b, n).isNaN, "\(variant) \(encoding) l2sq n=\(n) NaN at \(position)")
                    #expect(encoding.dot(table)(a, b, n).isNaN, "\(variant) \(encoding) dot n=\(n) NaN at \(position)")
                    a[position] = inf
                    #expect(encoding.l2sq(table)(a, b, n) == .infinity, "\(variant) \(encoding) l2sq n=\(n) inf at \(position)")
                    #expect(encoding.dot(table)(a, b, n) == .infinity, "\(variant) \(encoding) dot n=\(n) inf at \(position)")
                }
            }
            let one1 = [one]
            #expect(encoding.l2sq(table)(one1, one1, 0) == 0)
            #expect(encoding.dot(table)(one1, one1, 0) == 0)
        }
        let byte: [Int8] = [5]
        #expect(table.l2sq_i8!(byte, byte, 0) == 0)
        #expect(table.dot_i8!(byte, byte, 0) == 0)
    }

    /// l2sq(a, a) is exactly 0 and a dot product with a zero vector exactly 0, in every encoding.
    @Test("self-distance 0, dot with zero 0", arguments: supportedVariants)
    func selfAndZero(variant: KernelVariant) {
        let table = variant.table
        var rng = SplitMix64(seed: testSeed &+ 0x200)
        for n in [1, 2, 5, 8, 15, 16, 17, 31, 33, 64, 100, 128, 384, 768, 1536] {
            for encoding in HalfEncoding.allCases {
                let a = (0..<n).map { _ in encoding.encode(rng.nextFloat(-3, 3)) }
                let zero = [UInt16](repeating: 0, count: n)
                #expect(encoding.l2sq(table)(a, a, n) == 0, "\(variant) \(encoding) n=\(n)")
                #expect(encoding.dot(table)(a, zero, n) == 0, "\(variant) \(encoding) n=\(n)")
            }
            let c = (0..<n).map { _ in max(-127, Int8(truncatingIfNeeded: rng.next())) }
            #expect(table.l2sq_i8!(c, c, n) == 0, "\(variant) int8 n=\(n)")
            #expect(table.dot_i8!(c, [Int8](repeating: 0, count: n), n) == 0, "\(variant) int8 n=\(n)")
        }
    }
}

// MARK: - int8 kernels: exact

@Suite("int8 kernels")
struct Int8KernelTests {
    /// The exact sums, in Int64.
    static func exact(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, _ n: Int) -> (l2sq: Int64, dot: Int64) {
        var l2sq: Int64 = 0, dot: Int64 = 0
        for i in 0..<n {
            let x = Int64(a[i]), y = Int64(b[i])
            l2sq += (x - y) * (x - y)
            dot += x * y
        }
        return (l2sq, dot)
    }

    /// Tolerance 0: every variant equals the scalar reference, which equals the exact sum;
    /// l2sq over codes −128...127, dot over its domain −127...127 (the same codes, −128 made −127).
    @Test("int8 l2sq and dot, n = 1...1024, unaligned starts, exactly the scalar reference", arguments: supportedVariants)
    func exactSums(variant: KernelVariant) {
        let table = variant.table
        let scalarTable = scalarTable
        let maxDimension = 1024
        let offsets = [0, 1, 2, 3]
        for distribution in ["uniform", "extreme"] {
            let seed = testSeed &+ 0x300 &+ (distribution == "uniform" ? 0 : 1)
            var rng = SplitMix64(seed: seed)
            let count = maxDimension + 8
            let a = AlignedBuffer<Int8>(count: count, repeating: 0)
            let b = AlignedBuffer<Int8>(count: count, repeating: 0)
            let extremes: [Int8] = [-128, 127, -127, 0, 1, -1]
            for i in 0..<count {
                if distribution == "uniform" {
                    a.base[i] = Int8(truncatingIfNeeded: rng.next())
                    b.base[i] = Int8(truncatingIfNeeded: rng.next())
                } else {
                    a.base[i] = extremes[Int(rng.next() % 6)]
                    b.base[i] = extremes[Int(rng.next() % 6)]
                }
            }
            let da = AlignedBuffer<Int8>(count: count, repeating: 0)
            let db = AlignedBuffer<Int8>(count: count, repeating: 0)
            for i in 0..<count {
                da.base[i] = max(-127, a.base[i])
                db.base[i] = max(-127, b.base[i])
            }
            var failures: [String] = []
            for offA in offsets {
                for offB in offsets {
                    let pa = UnsafePointer(a.base + offA), pb = UnsafePointer(b.base + offB)
                    let pda = UnsafePointer(da.base + offA), pdb = UnsafePointer(db.base + offB)
                    var l2sq: Int64 = 0, dot: Int64 = 0
                    for n in 1...maxDimension {
                        let x = Int64(pa[n - 1]), y = Int64(pb[n - 1])
                        l2sq += (x - y) * (x - y)
                        dot += Int64(pda[n - 1]) * Int64(pdb[n - 1])
                        let v = (table.l2sq_i8!(pa, pb, n), table.dot_i8!(pda, pdb, n))
                        let s = (scalarTable.l2sq_i8!(pa, pb, n), scalarTable.dot_i8!(pda, pdb, n))
                        if v != s || Int64(s.0) != l2sq || Int64(s.1) != dot, failures.count < 6 {
                            failures.append("n=\(n) offA=\(offA) offB=\(offB): \(v) scalar \(s) exact \((l2sq, dot))")
                        }
                    }
                }
            }
            #expect(
                failures.isEmpty,
                "\(variant) int8 \(distribution), seed 0x\(String(seed, radix: 16)) (\(seedNote)): \(failures)")
        }
    }

    /// At the limits in SemblanceKernels.h the sums are still exact: dot up to n = 133,144
    /// (int32, codes −127...127), l2sq up to n = 66,051 (uint32, codes −128...127), with the
    /// worst-case codes; beyond them every variant returns the same value, the exact sum
    /// modulo 2^32.
    @Test("int8 sums exact up to the stated limits, equal modulo 2^32 beyond", arguments: supportedVariants)
    func limits(variant: KernelVariant) {
        let table = variant.table
        let count = 200_003 + 1
        let a = AlignedBuffer<Int8>(count: count, repeating: 0)
        let b = AlignedBuffer<Int8>(count: count, repeating: 0)
        let da = AlignedBuffer<Int8>(count: count, repeating: 0)
        let db = AlignedBuffer<Int8>(count: count, repeating: 0)
        for (x, y): (Int8, Int8) in [(-128, -128), (-128, 127), (127, -128), (127, 127)] {
            let (dx, dy) = (max(-127, x), max(-127, y))
            a.base.update(repeating: x, count: count)
            b.base.update(repeating: y, count: count)
            da.base.update(repeating: dx, count: count)
            db.base.update(repeating: dy, count: count)
            let pa = UnsafePointer(a.base + 1), pb = UnsafePointer(b.base)  // a unaligned
            let pda = UnsafePointer(da.base + 1), pdb = UnsafePointer(db.base)
            for n in [65_535, 65_536, 66_051, 66_052, 133_144, 133_145, 200_003] {
                let exact = Int64(n) * (Int64(x) - Int64(y)) * (Int64(x) - Int64(y))
                let exactDot = Int64(n) * Int64(dx) * Int64(dy)
                let l2sq = table.l2sq_i8!(pa, pb, n), dot = table.dot_i8!(pda, pdb, n)
                #expect(l2sq == scalarTable.l2sq_i8!(pa, pb, n), "\(variant) l2sq (\(x), \(y)) n=\(n)")
                #expect(dot == scalarTable.dot_i8!(pda, pdb, n), "\(variant) dot (\(dx), \(dy)) n=\(n)")
                #expect(UInt64(l2sq) == UInt64(truncatingIfNeeded: exact) & 0xffff_ffff, "\(variant) l2sq mod 2^32 n=\(n)")
                #expect(Int32(truncatingIfNeeded: exactDot) == dot, "\(variant) dot mod 2^32 n=\(n)")
                if n <= 66_051 { #expect(Int64(l2sq) == exact, "\(variant) l2sq (\(x), \(y)) n=\(n)") }
                if n <= 133_144 { #expect(Int64(dot) == exactDot, "\(variant) dot (\(dx), \(dy)) n=\(n)") }
            }
        }
    }
}

// MARK: - Bounds

@Suite("Encoded kernels: no read outside the vectors")
struct EncodedGuardPageTests {
    /// The vectors are put right against an inaccessible page, ending at it and starting just
    /// after it; an over-read would crash.
    @Test("guard pages", arguments: supportedVariants)
    func guardPages(variant: KernelVariant) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard let region = mmap(nil, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            region != MAP_FAILED
        else {
            Issue.record("mmap failed")
            return
        }
        defer { munmap(region, 3 * page) }
        #expect(mprotect(region, page, PROT_NONE) == 0)
        #expect(mprotect(region + 2 * page, page, PROT_NONE) == 0)
        var rng = SplitMix64(seed: testSeed &+ 0x400)
        let table = variant.table
        var failures: [String] = []

        let codes = (region + page).bindMemory(to: UInt16.self, capacity: page / 2)
        let codeCount = page / 2
        for encoding in HalfEncoding.allCases {
            for i in 0..<codeCount { codes[i] = encoding.encode(rng.nextFloat(-1, 1)) }
            for n in 1...200 {
                let atStart = UnsafePointer(codes), atEnd = UnsafePointer(codes + codeCount - n)
                for (x, y) in [(atStart, atEnd), (atEnd, atStart)] {
                    var ref = EncodedReference()
                    for i in 0..<n { ref.add(Double(encoding.decode(x[i])), Double(encoding.decode(y[i]))) }
                    let l2 = Double(encoding.l2sq(table)(x, y, n)), dot = Double(encoding.dot(table)(x, y, n))
                    if !(abs(l2 - ref.l2sq) <= 1e-5 * ref.l2sq + ref.underflowSlack
                        && abs(dot - ref.dot) <= 1e-5 * ref.absDot + ref.flushSlack + ref.underflowSlack)
                    {
                        failures.append("\(encoding) n=\(n): \(l2), \(dot)")
                    }
                }
            }
        }
        // Codes in −127...127, the domain of dot_i8 (l2sq_i8 takes −128 too: see exactSums).
        let bytes = (region + page).bindMemory(to: Int8.self, capacity: page)
        for i in 0..<page { bytes[i] = max(-127, Int8(truncatingIfNeeded: rng.next())) }
        for n in 1...300 {
            let atStart = UnsafePointer(bytes), atEnd = UnsafePointer(bytes + page - n)
            for (x, y) in [(atStart, atEnd), (atEnd, atStart)] {
                let exact = Int8KernelTests.exact(x, y, n)
                if Int64(table.l2sq_i8!(x, y, n)) != exact.l2sq || Int64(table.dot_i8!(x, y, n)) != exact.dot {
                    failures.append("int8 n=\(n)")
                }
            }
        }
        #expect(failures.isEmpty, "\(variant) seed 0x\(String(testSeed &+ 0x400, radix: 16)): \(failures.count) wrong, first: \(failures.prefix(6))")
    }
}

// MARK: - Conversions

/// The float32 → bfloat16 rule, written independently of the C code: keep the top 16 bits,
/// round up when the rest is above half, or exactly half and the kept part is odd (a carry
/// into the exponent is right, up to inf); a NaN becomes its top half with the quiet bit.
func bf16Reference(_ x: Float) -> UInt16 {
    let bits = x.bitPattern
    if x.isNaN { return UInt16(bits >> 16) | 0x0040 }
    let kept = bits >> 16, rest = bits & 0xffff
    if rest > 0x8000 || (rest == 0x8000 && kept & 1 == 1) { return UInt16(kept + 1) }
    return UInt16(kept)
}

/// The float16 → float32 rule for NaN codes (vcvtph2ps): quiet, payload kept.
func f16NaNReference(_ code: UInt16) -> UInt32 {
    (UInt32(code & 0x8000) << 16) | 0x7fc0_0000 | (UInt32(code & 0x03ff) << 13)
}

/// nil when the arrays are equal, else how many elements differ and the first few (so that
/// a failure does not print arrays of 65,536 elements).
func mismatches<T: Equatable>(_ got: [T], _ expected: [T]) -> String? {
    guard got.count == expected.count else { return "\(got.count) elements, expected \(expected.count)" }
    let wrong = got.indices.filter { got[$0] != expected[$0] }
    if wrong.isEmpty { return nil }
    return "\(wrong.count) differ, first: " + wrong.prefix(4).map { "[\($0)] \(got[$0]) vs \(expected[$0])" }.joined(separator: ", ")
}

@Suite("Encoding conversions")
struct ConversionTests {
    static func encode(_ fn: sk_encode16_fn, _ values: [Float]) -> [UInt16] {
        var out = [UInt16](repeating: 0xdead, count: values.count)
        fn(values, &out, values.count)
        return out
    }

    static func decode(_ fn: sk_decode16_fn, _ codes: [UInt16]) -> [UInt32] {
        var out = [Float](repeating: 0, count: codes.count)
        fn(codes, &out, codes.count)
        return out.map(\.bitPattern)
    }

    /// Hand-computed bit patterns: ties to even, overflow, subnormals, NaN, inf, signed zero.
    @Test func float32ToFloat16Cases() {
        let cases: [(UInt32, UInt16, String)] = [
            (0x0000_0000, 0x0000, "+0"), (0x8000_0000, 0x8000, "−0"),
            (0x3f80_0000, 0x3c00, "1"), (0xc000_0000, 0xc000, "−2"),
            (0x3f80_1000, 0x3c00, "1 + 2^−11: tie, to even (down)"),
            (0x3f80_1001, 0x3c01, "just above the tie"),
            (0x3f80_3000, 0x3c02, "1 + 3·2^−11: tie, to even (up)"),
            (0x477f_e000, 0x7bff, "65504, the largest half"),
            (0x477f_efff, 0x7bff, "just below 65520"),
            (0x477f_f000, 0x7c00, "65520: tie between 65504 and 2^16, to even: inf"),
            (0x501502f9, 0x7c00, "1e10 overflows"), (0x7f80_0000, 0x7c00, "inf"), (0xff80_0000, 0xfc00, "−inf"),
            (0x3880_0000, 0x0400, "2^−14, the smallest normal"),
            (0x387f_e000, 0x0400, "2^−14 − 2^−25: tie between 0x3ff and 0x400, to even"),
            (0x387f_c000, 0x03ff, "2^−14 − 2^−24, the largest subnormal"),
            (0x3380_0000, 0x0001, "2^−24, the smallest subnormal"),
            (0x3300_0000, 0x0000, "2^−25: tie between 0 and 2^−24, to even"),
            (0x3300_0001, 0x0001, "just above 2^−25"),
            (0x33c0_0000, 0x0002, "3·2^−25: tie, to even (up)"),
            (0xb380_0000, 0x8001, "−2^−24"), (0x2edb_e6ff, 0x0000, "1e-10"), (0xaedb_e6ff, 0x8000, "−1e-10"),
            (0x0000_0001, 0x0000, "float32 subnormal"),
            (0x7fc0_0000, 0x7e00, "quiet NaN"), (0xffc0_0000, 0xfe00, "−NaN"),
            (0x7f80_0001, 0x7e00, "signalling NaN, payload below the kept bits: quiet"),
            (0x7f80_2000, 0x7e01, "NaN payload kept (top bits)"),
        ]
        for variant in supportedVariants {
            let got = Self.encode(variant.table.f32_to_f16!, cases.map { Float(bitPattern: $0.0) })
            for (i, (input, expected, label)) in cases.enumerated() {
                #expect(
                    got[i] == expected,
                    "\(variant) f32→f16 \(label): 0x\(String(input, radix: 16)) gave 0x\(String(got[i], radix: 16))")
            }
        }
        // The public function.
        var out = [UInt16](repeating: 0, count: cases.count)
        sk_f32_to_f16(cases.map { Float(bitPattern: $0.0) }, &out, cases.count)
        #expect(mismatches(out, cases.map(\.1)) == nil, "public function")
    }

    @Test func float32ToBFloat16Cases() {
        let cases: [(UInt32, UInt16, String)] = [
            (0x0000_0000, 0x0000, "+0"), (0x8000_0000, 0x8000, "−0"), (0x3f80_0000, 0x3f80, "1"),
            (0x3f80_8000, 0x3f80, "tie, to even (down)"), (0x3f81_8000, 0x3f82, "tie, to even (up)"),
            (0x3f80_8001, 0x3f81, "just above the tie"), (0x3f80_7fff, 0x3f80, "just below the tie"),
            (0xbf81_8000, 0xbf82, "negative tie"),
            (0x7f7f_7fff, 0x7f7f, "rounds down to the largest bfloat16"),
            (0x7f7f_8000, 0x7f80, "tie above the largest bfloat16, to even: inf"),
            (0x7f7f_ffff, 0x7f80, "the largest float32 rounds to inf"),
            (0x7f80_0000, 0x7f80, "inf"), (0xff80_0000, 0xff80, "−inf"),
            (0x0000_8000, 0x0000, "subnormal tie, to even (down)"), (0x0001_8000, 0x0002, "subnormal tie (up)"),
            (0x007f_ffff, 0x0080, "the largest subnormal rounds to the smallest normal"),
            (0x7fc0_0000, 0x7fc0, "quiet NaN"), (0xffc0_0001, 0xffc0, "−NaN"),
            (0x7f80_0001, 0x7fc0, "NaN with its payload only in the low half: still NaN"),
            (0x7fbf_ffff, 0x7fff, "signalling NaN: quieted, not rounded to inf"),
        ]
        for variant in supportedVariants {
            let got = Self.encode(variant.table.f32_to_bf16!, cases.map { Float(bitPattern: $0.0) })
            for (i, (input, expected, label)) in cases.enumerated() {
                #expect(
                    got[i] == expected,
                    "\(variant) f32→bf16 \(label): 0x\(String(input, radix: 16)) gave 0x\(String(got[i], radix: 16))")
                #expect(bf16Reference(Float(bitPattern: input)) == expected, "reference rule, \(label)")
            }
        }
        var out = [UInt16](repeating: 0, count: cases.count)
        sk_f32_to_bf16(cases.map { Float(bitPattern: $0.0) }, &out, cases.count)
        #expect(mismatches(out, cases.map(\.1)) == nil, "public function")
    }

    /// All 65,536 float16 codes: hand-computed anchors, then every variant bit-identical to the
    /// scalar decoding, which matches Swift's Float16 for every non-NaN code and the vcvtph2ps
    /// rule for NaNs; and encoding a decoded code gives the code back.
    @Test func float16ToFloat32Exhaustive() {
        let anchors: [(UInt16, UInt32)] = [
            (0x0000, 0x0000_0000), (0x8000, 0x8000_0000), (0x0001, 0x3380_0000), (0x8001, 0xb380_0000),
            (0x03ff, 0x387f_c000), (0x0400, 0x3880_0000), (0x3c00, 0x3f80_0000), (0xc000, 0xc000_0000),
            (0x3555, 0x3eaa_a000), (0x7bff, 0x477f_e000), (0x7c00, 0x7f80_0000), (0xfc00, 0xff80_0000),
            (0x7e00, 0x7fc0_0000), (0x7d00, 0x7fe0_0000), (0x7c01, 0x7fc0_2000), (0xfe00, 0xffc0_0000),
        ]
        let allCodes = (0...0xffff).map { UInt16($0) }
        let scalar = Self.decode(scalarTable.f16_to_f32!, allCodes)
        for (code, bits) in anchors {
            #expect(scalar[Int(code)] == bits, "f16 0x\(String(code, radix: 16)) → 0x\(String(scalar[Int(code)], radix: 16))")
        }
        var wrong: [String] = []
        for code in allCodes {
            let isNaN = code & 0x7c00 == 0x7c00 && code & 0x03ff != 0
            #if !(os(macOS) && arch(x86_64))
            let expected = isNaN ? f16NaNReference(code) : Float(Float16(bitPattern: code)).bitPattern
            #else
            let expected = isNaN ? f16NaNReference(code) : scalar[Int(code)]
            #endif
            if scalar[Int(code)] != expected { wrong.append("0x\(String(code, radix: 16))") }
        }
        #expect(wrong.isEmpty, "scalar f16→f32 wrong for \(wrong.count) codes: \(wrong.prefix(8))")

        for variant in supportedVariants {
            #expect(mismatches(Self.decode(variant.table.f16_to_f32!, allCodes), scalar) == nil, "\(variant) f16→f32")
            let back = Self.encode(variant.table.f32_to_f16!, scalar.map { Float(bitPattern: $0) })
            let roundTrip = allCodes.filter { code in
                let isNaN = code & 0x7c00 == 0x7c00 && code & 0x03ff != 0
                return back[Int(code)] != (isNaN ? code | 0x0200 : code)
            }
            #expect(roundTrip.isEmpty, "\(variant) f16→f32→f16 changed \(roundTrip.count) codes")
        }
        var out = [Float](repeating: 0, count: allCodes.count)
        sk_f16_to_f32(allCodes, &out, allCodes.count)
        #expect(mismatches(out.map(\.bitPattern), scalar) == nil)
    }

    @Test func bfloat16ToFloat32Exhaustive() {
        let allCodes = (0...0xffff).map { UInt16($0) }
        let expected = allCodes.map { UInt32($0) << 16 }
        for variant in supportedVariants {
            #expect(mismatches(Self.decode(variant.table.bf16_to_f32!, allCodes), expected) == nil, "\(variant) bf16→f32")
            let back = Self.encode(variant.table.f32_to_bf16!, expected.map { Float(bitPattern: $0) })
            let changed = allCodes.filter { code in
                let isNaN = code & 0x7f80 == 0x7f80 && code & 0x007f != 0
                return back[Int(code)] != (isNaN ? code | 0x0040 : code)
            }
            #expect(changed.isEmpty, "\(variant) bf16→f32→bf16 changed \(changed.count) codes")
        }
        var out = [Float](repeating: 0, count: allCodes.count)
        sk_bf16_to_f32(allCodes, &out, allCodes.count)
        #expect(mismatches(out.map(\.bitPattern), expected) == nil)
    }

    /// Floats that stress the encoders: every float16 rounding boundary (each half, the
    /// midpoint to the next one and its neighbours, both signs), every bfloat16 code and its
    /// midpoints, special values, and random bit patterns (NaNs included).
    static func stressFloats() -> [Float] {
        var values: [Float] = []
        for code in UInt16(0)..<0x7c00 {
            let x = HalfEncoding.f16.decode(code)
            let next = code == 0x7bff ? 65536 : HalfEncoding.f16.decode(code + 1)
            let mid = (x + next) / 2  // exact: 12 significant bits
            for v in [x, mid, mid.nextDown, mid.nextUp] { values.append(v); values.append(-v) }
        }
        for code in UInt32(0)..<0x1_0000 {
            let bits = code << 16
            values.append(Float(bitPattern: bits | 0x8000))
            values.append(Float(bitPattern: bits | 0x7fff))
            values.append(Float(bitPattern: bits | 0x8001))
        }
        values += [0, -0.0, .infinity, -.infinity, .nan, -.nan, .signalingNaN, .greatestFiniteMagnitude,
                   .leastNormalMagnitude, .leastNonzeroMagnitude, 65504, 65519.996, 65520, 1e-8, -1e-8]
        var rng = SplitMix64(seed: testSeed &+ 0x500)
        for _ in 0..<100_000 { values.append(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))) }
        return values
    }

    /// Every variant's encoders (vcvtps2ph in the F16C and AVX-512 ones) give the scalar bits,
    /// for the whole stress set at once and for every length 0...40 at offsets 0...3 (tails).
    /// The scalar float16 encoder agrees with Swift's Float16 for every non-NaN value.
    @Test func encodersMatchScalar() {
        let values = Self.stressFloats()
        let f16 = Self.encode(scalarTable.f32_to_f16!, values)
        let bf16 = Self.encode(scalarTable.f32_to_bf16!, values)
        #if !(os(macOS) && arch(x86_64))
        let disagreeing = values.indices.filter { !values[$0].isNaN && Float16(values[$0]).bitPattern != f16[$0] }
        #expect(disagreeing.isEmpty, "f32→f16 differs from Float16 for \(disagreeing.count) values: \(disagreeing.prefix(5).map { values[$0] })")
        #endif
        let bf16Wrong = values.indices.filter { bf16Reference(values[$0]) != bf16[$0] }
        #expect(bf16Wrong.isEmpty, "f32→bf16 differs from the rule for \(bf16Wrong.prefix(5).map { values[$0].bitPattern })")
        #expect(values.indices.allSatisfy { !values[$0].isNaN || (f16[$0] & 0x7e00 == 0x7e00) }, "a NaN stays a quiet NaN")

        for variant in supportedVariants {
            let table = variant.table
            #expect(mismatches(Self.encode(table.f32_to_f16!, values), f16) == nil, "\(variant) f32→f16")
            #expect(mismatches(Self.encode(table.f32_to_bf16!, values), bf16) == nil, "\(variant) f32→bf16")
            for offset in 0...3 {
                for n in 0...40 {
                    let slice = Array(values[(1000 + offset)..<(1000 + offset + n)])
                    #expect(Self.encode(table.f32_to_f16!, slice) == Array(f16[(1000 + offset)..<(1000 + offset + n)]))
                    let codes = Array(f16[(5000 + offset)..<(5000 + offset + n)])
                    #expect(Self.decode(table.f16_to_f32!, codes) == Self.decode(scalarTable.f16_to_f32!, codes))
                }
            }
        }
        var out = [UInt16](repeating: 0, count: values.count)
        sk_f32_to_f16(values, &out, values.count)
        #expect(mismatches(out, f16) == nil)
        sk_f32_to_bf16(values, &out, values.count)
        #expect(mismatches(out, bf16) == nil)
    }

    /// Round trips lose at most half a unit in the last place of the encoding: relative 2^−11
    /// for normal float16 values (11 significant bits), absolute 2^−25 below 2^−14 (the
    /// subnormal spacing is 2^−24), relative 2^−8 for bfloat16 (8 significant bits) over the
    /// whole float32 range. Values from 65520 up become inf.
    @Test func roundTripBounds() {
        var rng = SplitMix64(seed: testSeed &+ 0x600)
        var f16Inputs: [Float] = [], bf16Inputs: [Float] = []
        for _ in 0..<50_000 {
            f16Inputs.append(rng.nextSign() * Float(sign: .plus, exponent: rng.nextInt(-30...15), significand: rng.nextFloat(1, 2)))
            bf16Inputs.append(rng.nextSign() * Float(sign: .plus, exponent: rng.nextInt(-126...126), significand: rng.nextFloat(1, 1.99)))
        }
        var f16Codes = [UInt16](repeating: 0, count: f16Inputs.count), back = [Float](repeating: 0, count: f16Inputs.count)
        sk_f32_to_f16(f16Inputs, &f16Codes, f16Inputs.count)
        sk_f16_to_f32(f16Codes, &back, f16Codes.count)
        for (x, y) in zip(f16Inputs, back) {
            let error = abs(Double(y) - Double(x))
            if abs(x) >= 65520 {
                #expect(y.isInfinite && y.sign == x.sign, "f16 round trip of \(x)")
            } else if abs(x) < 0x1p-14 {
                #expect(error <= 0x1p-25, "f16 round trip of \(x): \(y)")
            } else {
                #expect(error <= 0x1p-11 * Double(abs(x)), "f16 round trip of \(x): \(y)")
            }
        }
        var bf16Codes = [UInt16](repeating: 0, count: bf16Inputs.count)
        back = [Float](repeating: 0, count: bf16Inputs.count)
        sk_f32_to_bf16(bf16Inputs, &bf16Codes, bf16Inputs.count)
        sk_bf16_to_f32(bf16Codes, &back, bf16Codes.count)
        for (x, y) in zip(bf16Inputs, back) {
            #expect(abs(Double(y) - Double(x)) <= 0x1p-8 * Double(abs(x)), "bf16 round trip of \(x): \(y)")
        }
    }
}

// MARK: - Dispatch of the encoded kernels

@Suite("Encoded kernel dispatch")
struct EncodedDispatchTests {
    /// The x86 flags the kernel of each optional feature needs, as the kernel reports them.
    static let cpuinfoFlags: [(UInt32, String)] = [
        (UInt32(SK_FEATURE_F16C.rawValue), "f16c"),
        (UInt32(SK_FEATURE_AVX512_BF16.rawValue), "avx512_bf16"),
        (UInt32(SK_FEATURE_AVX512_VNNI.rawValue), "avx512_vnni"),
    ]

    static func expectedVariantName(_ level: Int32, _ features: UInt32) -> String {
        var name = ["scalar", "portable", "avx2", "avx512"][Int(level)]
        if features & UInt32(SK_FEATURE_F16C.rawValue) != 0 { name += "+f16c" }
        if features & UInt32(SK_FEATURE_AVX512_BF16.rawValue) != 0 { name += "+bf16" }
        if features & UInt32(SK_FEATURE_AVX512_VNNI.rawValue) != 0 { name += "+vnni" }
        return name
    }

    /// sk_kernels(level) uses exactly the optional features the CPU has and the level can use,
    /// never one the CPU lacks; the name says which.
    @Test("each level picks exactly the features the CPU has", arguments: supportedLevels)
    func bestFeatures(level: Int32) {
        let cpu = sk_cpu_features()
        let table = sk_kernels(level)
        #expect(table.level == level)
        #expect(table.features & ~cpu == 0, "uses a feature the CPU lacks")
        #expect(table.features == cpu & levelFeatureMask(level))
        #expect(String(cString: table.variant) == Self.expectedVariantName(level, table.features))
        #expect(String(cString: sk_kernels_using(level, ~0).variant) == String(cString: table.variant))
        for features in UInt32(0)..<8 {
            let restricted = sk_kernels_using(level, features)
            #expect(restricted.level == level)
            #expect(restricted.features == features & cpu & levelFeatureMask(level))
            #expect(String(cString: restricted.variant) == Self.expectedVariantName(level, restricted.features))
            #expect(String(cString: restricted.name) == String(cString: table.name))
        }
        print("SemblanceKernelsTests: level \(levelName(level)) encoded variant \(String(cString: table.variant))")
    }

    /// Levels the CPU cannot run fall back as sk_kernels does, with features it has only.
    @Test(arguments: [-5, -1, 4, 99] as [Int32])
    func unsupportedLevel(level: Int32) {
        let table = sk_kernels_using(level, ~0)
        #expect(table.level == min(max(level, 0), sk_best_level()))
        #expect(table.features & ~sk_cpu_features() == 0)
        #expect(sk_level_supported(table.level) != 0)
    }

    /// The feature bits agree with the kernel's view of the CPU (/proc/cpuinfo on Linux; the
    /// kernel clears a flag whose register state the OS does not save).
    @Test func featuresMatchCPUInfo() throws {
        #if os(Linux) && arch(x86_64)
        guard let file = fopen("/proc/cpuinfo", "r") else { return }
        defer { fclose(file) }
        var flags: Set<Substring> = []
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        while getline(&line, &capacity, file) > 0 {
            let text = String(cString: line!)
            if text.hasPrefix("flags") {
                flags = Set(text.split(separator: ":", maxSplits: 1).last?.split(separator: " ").map { $0.trimmingSuffix() } ?? [])
                break
            }
        }
        free(line)
        try #require(!flags.isEmpty)
        let cpu = sk_cpu_features()
        for (bit, flag) in Self.cpuinfoFlags {
            #expect((cpu & bit != 0) == flags.contains(Substring(flag)), "\(flag)")
        }
        print("SemblanceKernelsTests: optional features \(Self.cpuinfoFlags.filter { cpu & $0.0 != 0 }.map(\.1))")
        #else
        #expect(sk_cpu_features() & ~UInt32(7) == 0)
        #endif
    }
}

extension Substring {
    fileprivate func trimmingSuffix() -> Substring {
        var s = self
        while let last = s.last, last.isWhitespace { s = s.dropLast() }
        return s
    }
}
