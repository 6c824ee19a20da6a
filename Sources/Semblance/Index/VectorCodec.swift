import SemblanceKernels

/// The rows a compact ``VectorEncoding`` keeps beside the float32 originals, and how a
/// float32 vector becomes one.
///
/// Row layouts (every row padded with zeros to a multiple of 16 bytes):
/// - float16, bfloat16: `dimension` 16-bit codes.
/// - int8: the vector's residual `r = x − centre` (the index's trained centre, see
///   ``VectorIndex/centre``) as `scale: f32` (its largest magnitude ÷ 127, 0 for a zero
///   residual), `‖r‖²: f32`, `r·centre: f32`, the codes' ℓ1 norm `Σ|codeᵢ|: f32` (for the
///   error bound of ``DistanceFunction/errorBound(query:queryNorm:row:codeDistance:)``),
///   then `dimension` codes `round(rᵢ / scale)`, in −127...127. Distances follow from
///   residuals alone: ‖a − b‖² = ‖ra‖² + ‖rb‖² − 2 ra·rb, and a·b = ra·rb + ra·c + rb·c +
///   ‖c‖². Centring keeps the codes' resolution for the spread of the data rather than its
///   offset (data far from the origin would otherwise lose most of its distance to rounding).
struct VectorCodec: Sendable {
    let encoding: VectorEncoding
    let dimension: Int
    /// Bytes per code row; 0 for float32, whose search reads the originals.
    let rowBytes: Int

    /// Bytes before an int8 row's codes.
    static let int8HeaderBytes = 16

    init(encoding: VectorEncoding, dimension: Int) {
        self.encoding = encoding
        self.dimension = dimension
        let bytes: Int
        switch encoding {
        case .float32: bytes = 0
        case .float16, .bfloat16: bytes = 2 * dimension
        case .int8: bytes = Self.int8HeaderBytes + dimension
        }
        rowBytes = (bytes + 15) / 16 * 16
    }

    /// Whether searches read code rows (and re-score their best candidates with the originals).
    var isCompact: Bool { encoding != .float32 }

    /// Writes the code row of `vector` (`dimension` finite components) to `row`; `centre`
    /// (int8 only; empty: none) is subtracted first.
    func encode(_ vector: UnsafePointer<Float>, into row: UnsafeMutableRawPointer, centre: [Float]) {
        switch encoding {
        case .float32:
            return
        case .float16:
            sk_f32_to_f16(vector, row.assumingMemoryBound(to: UInt16.self), dimension)
        case .bfloat16:
            sk_f32_to_bf16(vector, row.assumingMemoryBound(to: UInt16.self), dimension)
        case .int8:
            centre.withUnsafeBufferPointer { centre in encodeInt8(vector, into: row, centre: centre) }
        }
    }

    private func encodeInt8(_ vector: UnsafePointer<Float>, into row: UnsafeMutableRawPointer, centre: UnsafeBufferPointer<Float>) {
        @inline(__always) func residual(_ i: Int) -> Float { centre.isEmpty ? vector[i] : vector[i] - centre[i] }
        var largest: Float = 0
        var squaredNorm = 0.0, alongCentre = 0.0
        for i in 0..<dimension {
            let r = residual(i)
            largest = max(largest, abs(r))
            squaredNorm += Double(r) * Double(r)
            if !centre.isEmpty { alongCentre += Double(r) * Double(centre[i]) }
        }
        // A residual too small to invert, or one that overflowed, is coded as zeros.
        let inverse = largest > 0 && (127 / largest).isFinite ? 127 / largest : 0
        row.storeBytes(of: inverse > 0 ? largest / 127 : 0, as: Float.self)
        row.storeBytes(of: Float(squaredNorm), toByteOffset: 4, as: Float.self)
        row.storeBytes(of: Float(alongCentre), toByteOffset: 8, as: Float.self)
        let codes = (row + Self.int8HeaderBytes).assumingMemoryBound(to: Int8.self)
        var l1 = 0
        for i in 0..<dimension {
            let code = (residual(i) * inverse).rounded()
            codes[i] = code.isNaN ? 0 : Int8(max(-127, min(127, code)))
            l1 += abs(Int(codes[i]))
        }
        // Exact in a Float: at most 127 × 2¹⁶ (the largest dimension) < 2²⁴.
        row.storeBytes(of: Float(l1), toByteOffset: 12, as: Float.self)
    }

    /// How many of a shard's first nodes the int8 centre is the mean of, at `nodes` nodes:
    /// the largest power of two up to `nodes`, at most ``int8TrainingNodes``. The centre is
    /// retrained (every code row re-encoded, in memory only) when the count reaches each
    /// power of two up to that, and by a rebuild; codes are never stored, so no page changes.
    static func trainingNodes(forNodeCount nodes: Int) -> Int {
        guard nodes > 0 else { return 0 }
        return min(int8TrainingNodes, 1 << (Int.bitWidth - 1 - nodes.leadingZeroBitCount))
    }

    /// The most nodes an int8 centre is trained on.
    static let int8TrainingNodes = 1024
}
