/// How far a distance over code rows can be from the exact distance over the float32
/// originals they encode: what lets re-scoring skip candidates that cannot reach the top k
/// (``GraphView/rescored(_:query:code:k:keep:originals:scratch:)``).
///
/// The bounds are worst cases, not estimates, with u the unit roundoff of the codes
/// (float16 2⁻¹¹, bfloat16 2⁻⁸) and n the dimension:
/// - float16, bfloat16: each code is `x(1 + ε) + η` with |ε| ≤ u and |η| ≤ h (float16's
///   subnormal step 2⁻²⁵; bfloat16 2⁻¹²⁶, covering kernels that flush subnormals), so a
///   row's error has length at most `u‖x‖ + h√n`; with `A`, `B` bounds on the originals'
///   lengths (from the code rows' lengths) and `ea`, `eb` on the errors, a dot is off by at
///   most `A·eb + ea·B + ea·eb`, and a squared distance `c` over codes by `2√c·δ + 3δ²`
///   with δ = ea + eb.
/// - int8: a residual is `s·q + e` with |eᵢ| ≤ s/2, so the residuals' dot is off by at most
///   `sa·sb/2 · (‖qa‖₁ + ‖qb‖₁ + n/2)` (the codes' ℓ1 norms are in the row headers), and a
///   squared distance by twice that. (The codec rounds `r · fl(127/L)` while `s = fl(L/127)`,
///   so |eᵢ| can exceed s/2 by a few float32 ulps of rᵢ: the rounding term below covers it.)
/// Each adds float32 rounding, of the kernels' sums and of the stored norms: `(n + 64)·2⁻²¹`
/// times the size of the terms summed; bfloat16 also `2n·2⁻¹²⁶` for a dot kernel that
/// flushes subnormal partial sums (AVX512_BF16's vdpbf16ps).
extension DistanceFunction {
    /// The length of a 16-bit code row, as ``errorBound(query:queryNorm:row:codeDistance:)``
    /// takes it for the query; 0 for other encodings, whose bound does not need it.
    func codeNorm(_ row: UnsafeRawPointer) -> Float {
        guard encoding == .float16 || encoding == .bfloat16 else { return 0 }
        let codes = row.assumingMemoryBound(to: UInt16.self)
        let norm = max(0, halfDot(codes, codes, dimension)).squareRoot()
        // A bfloat16 dot kernel may flush squares and partial sums below 2⁻¹²⁶ (vdpbf16ps):
        // at most 2n of them are lost from ‖x‖².
        return encoding == .bfloat16 ? norm + (2 * Float(dimension)).squareRoot() * 0x1p-63 : norm
    }

    /// The most that `codeDistance`, this function's distance between the query's code row
    /// `query` (of length `queryNorm`, from ``codeNorm(_:)``) and the code row `row`, differs
    /// from the exact distance between the originals they encode. Infinity when the code
    /// distance is not finite (a float16 code that overflowed), so that such a candidate is
    /// always re-scored.
    func errorBound(query: UnsafeRawPointer, queryNorm: Float, row: UnsafeRawPointer, codeDistance: Float) -> Float {
        guard codeDistance.isFinite else { return .infinity }
        let n = Double(dimension)
        let rounding = (n + 64) * 0x1p-21
        let bound: Double
        switch encoding {
        case .float32:
            return 0
        case .float16, .bfloat16:
            let (u, h) = encoding == .float16 ? (0x1p-11, 0x1p-25) : (0x1p-8, 0x1p-126)
            let absolute = h * n.squareRoot()
            let a = (Double(queryNorm) + absolute) / (1 - u)
            let b = (Double(codeNorm(row)) + absolute) / (1 - u)
            let ea = u * a + absolute, eb = u * b + absolute
            if euclidean {
                let length = Double(max(0, codeDistance)).squareRoot()
                let delta = ea + eb
                bound = 2 * length * delta + 3 * delta * delta + rounding * (length + delta) * (length + delta)
            } else {
                bound = a * eb + ea * b + ea * eb + rounding * a * b
            }
        case .int8:
            let sa = Double(query.load(as: Float.self)), sb = Double(row.load(as: Float.self))
            let l1a = Double(query.load(fromByteOffset: 12, as: Float.self))
            let l1b = Double(row.load(fromByteOffset: 12, as: Float.self))
            let residualDot = sa * sb / 2 * (l1a + l1b + n / 2)
            let ra = Double(query.load(fromByteOffset: 4, as: Float.self)).squareRoot()
            let rb = Double(row.load(fromByteOffset: 4, as: Float.self)).squareRoot()
            if euclidean {
                bound = 2 * residualDot + rounding * (ra + rb) * (ra + rb)
            } else {
                let c = Double(centreNormSquared).squareRoot()
                bound = residualDot + rounding * (ra + c) * (rb + c)
            }
        }
        let flushed = encoding == .bfloat16 ? 2 * n * 0x1p-126 : 0
        return Float((bound + flushed) * (1 + 0x1p-20))
    }
}
