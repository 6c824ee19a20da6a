import SemblanceKernels

/// The float32 distance kernels chosen for the running CPU.
///
/// The variant (AVX-512, AVX2+FMA, or a portable auto-vectorised loop) is detected once;
/// every call after that is a direct call through a C function pointer.
public struct DistanceKernels: Sendable {
    /// The instruction-set variant the kernels use.
    public enum Variant: Int, Sendable, CaseIterable, CustomStringConvertible {
        /// A plain sequential loop: the reference the other variants are tested against.
        case scalar = 0
        /// Auto-vectorised for the baseline of any CPU (SSE2 on x86-64, NEON on ARM).
        case portable = 1
        /// x86-64 AVX2 and FMA.
        case avx2 = 2
        /// x86-64 AVX-512 (F, BW, VL and DQ).
        case avx512 = 3
        public var description: String {
            switch self {
            case .scalar: "scalar"
            case .portable: "portable"
            case .avx2: "avx2+fma"
            case .avx512: "avx512"
            }
        }
        /// Whether the running CPU can run this variant.
        public var isSupported: Bool { sk_level_supported(Int32(rawValue)) != 0 }
    }

    /// The fastest kernels the running CPU supports.
    public static let best = DistanceKernels(variant: Variant(rawValue: Int(sk_best_level())) ?? .scalar)

    /// The variant in use.
    public let variant: Variant
    let l2sq: RawKernel
    let dot: RawKernel
    let cosine: RawKernel
    let l2sqBFloat16: HalfKernel
    let dotBFloat16: HalfKernel
    let l2sqFloat16: HalfKernel
    let dotFloat16: HalfKernel
    let dotInt8: Int8Kernel

    /// The kernels of `variant`, or of the best supported variant below it.
    public init(variant: Variant) {
        let table = sk_kernels(Int32(variant.rawValue))
        self.variant = Variant(rawValue: Int(table.level)) ?? .scalar
        // The C table always fills every pointer.
        l2sq = table.l2sq!
        dot = table.dot!
        cosine = table.cosine!
        l2sqBFloat16 = table.l2sq_bf16!
        dotBFloat16 = table.dot_bf16!
        l2sqFloat16 = table.l2sq_f16!
        dotFloat16 = table.dot_f16!
        dotInt8 = table.dot_i8!
    }

    /// Σ (aᵢ − bᵢ)².
    public func squaredEuclidean(_ a: [Float], _ b: [Float]) -> Float { call(l2sq, a, b) }
    /// Σ aᵢ·bᵢ (not negated).
    public func dotProduct(_ a: [Float], _ b: [Float]) -> Float { call(dot, a, b) }
    /// 1 − cosine similarity; 1 when either vector is zero.
    public func cosineDistance(_ a: [Float], _ b: [Float]) -> Float { call(cosine, a, b) }

    /// Σ (aᵢ − bᵢ)² over `count` components at raw addresses (no alignment needed; 64-byte
    /// alignment is fastest).
    public func squaredEuclidean(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        l2sq(a, b, count)
    }
    /// Σ aᵢ·bᵢ over `count` components at raw addresses.
    public func dotProduct(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        dot(a, b, count)
    }
    /// 1 − cosine similarity over `count` components at raw addresses.
    public func cosineDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        cosine(a, b, count)
    }

    /// The distance under `metric`, lower = more similar, between vectors of equal length.
    public func distance(_ metric: DistanceMetric, _ a: [Float], _ b: [Float]) -> Float {
        switch metric {
        case .squaredEuclidean: squaredEuclidean(a, b)
        case .innerProduct: -dotProduct(a, b)
        case .cosine: cosineDistance(a, b)
        }
    }

    private func call(_ kernel: RawKernel, _ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "vectors of different lengths: \(a.count) and \(b.count)")
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in kernel(pa.baseAddress, pb.baseAddress, a.count) }
        }
    }
}

/// A C distance kernel: (a, b, component count) -> distance.
typealias RawKernel = @convention(c) (UnsafePointer<Float>?, UnsafePointer<Float>?, Int) -> Float
/// A C kernel over 16-bit codes (bfloat16 or float16), summed in float32.
typealias HalfKernel = @convention(c) (UnsafePointer<UInt16>?, UnsafePointer<UInt16>?, Int) -> Float
/// The exact int8 dot product kernel.
typealias Int8Kernel = @convention(c) (UnsafePointer<Int8>?, UnsafePointer<Int8>?, Int) -> Int32
