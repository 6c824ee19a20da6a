import SemblanceKernels

/// The distance of the index's metric over raw rows of one encoding:
/// `bias + sign · kernel(a, b)`. Cosine runs the dot kernel on unit vectors (1 − a·b);
/// inner product negates the dot. Over int8 rows (``VectorCodec``) the residuals' dot is
/// the codes' exact dot times both scales, and the distances follow from it and the rows'
/// stored norms and projections on the centre.
struct DistanceFunction {
    let encoding: VectorEncoding
    let float32: RawKernel
    let half: HalfKernel
    /// The dot kernel of 16-bit codes, for the lengths of their rows (``codeNorm(_:)``).
    let halfDot: HalfKernel
    let int8: Int8Kernel
    let euclidean: Bool
    let dimension: Int
    let bias: Float
    let sign: Float
    /// ‖centre‖² of int8 rows.
    let centreNormSquared: Float

    init(metric: DistanceMetric, dimension: Int, kernels: DistanceKernels, encoding: VectorEncoding = .float32,
         centreNormSquared: Float = 0) {
        self.encoding = encoding
        self.centreNormSquared = centreNormSquared
        self.dimension = dimension
        euclidean = metric == .squaredEuclidean
        int8 = kernels.dotInt8
        switch metric {
        case .squaredEuclidean: (bias, sign) = (0, 1)
        case .innerProduct: (bias, sign) = (0, -1)
        case .cosine: (bias, sign) = (1, -1)
        }
        float32 = euclidean ? kernels.l2sq : kernels.dot
        halfDot = encoding == .float16 ? kernels.dotFloat16 : kernels.dotBFloat16
        half = euclidean ? (encoding == .float16 ? kernels.l2sqFloat16 : kernels.l2sqBFloat16) : halfDot
    }

    @inline(__always)
    func callAsFunction(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer) -> Float {
        switch encoding {
        case .float32:
            return bias + sign * float32(a.assumingMemoryBound(to: Float.self), b.assumingMemoryBound(to: Float.self), dimension)
        case .float16, .bfloat16:
            return bias + sign * half(a.assumingMemoryBound(to: UInt16.self), b.assumingMemoryBound(to: UInt16.self), dimension)
        case .int8:
            let header = VectorCodec.int8HeaderBytes
            let codes = int8((a + header).assumingMemoryBound(to: Int8.self), (b + header).assumingMemoryBound(to: Int8.self), dimension)
            let residualDot = a.load(as: Float.self) * b.load(as: Float.self) * Float(codes)
            if euclidean {
                return max(0, a.load(fromByteOffset: 4, as: Float.self) + b.load(fromByteOffset: 4, as: Float.self) - 2 * residualDot)
            }
            let dot = residualDot + a.load(fromByteOffset: 8, as: Float.self) + b.load(fromByteOffset: 8, as: Float.self)
                + centreNormSquared
            return bias + sign * dot
        }
    }
}

/// Raw, reference-count-free read access to an index value's pages, valid only inside
/// ``VectorIndex/withGraphView(_:)``. Every search and graph walk reads through it.
struct GraphView {
    /// The rows searches read: the float32 originals, or the code rows of a compact encoding.
    let vectorPages: UnsafePointer<UnsafeMutableRawPointer>
    let vectorShift: Int, vectorRowBytes: Int
    let level0Pages: UnsafePointer<UnsafeMutablePointer<UInt32>>
    let level0Shift: Int, level0Stride: Int
    let upperPages: UnsafePointer<UnsafeMutablePointer<UInt32>>
    let upperShift: Int, upperStride: Int
    let nodePages: UnsafePointer<UnsafeMutablePointer<NodeRecord>>
    let nodeShift: Int
    let nodeCount: Int
    /// The distance between search rows (the query encoded the same way).
    let distance: DistanceFunction
    /// The exact distance between float32 originals.
    let exactDistance: DistanceFunction
    /// Bytes of a vector worth prefetching ahead of its distance computation.
    let prefetchBytes: Int

    /// The search row of `node`.
    @inline(__always)
    func vector(_ node: UInt32) -> UnsafeRawPointer {
        let n = Int(node)
        return UnsafeRawPointer(vectorPages[n >> vectorShift] + (n & ((1 << vectorShift) - 1)) * vectorRowBytes)
    }

    @inline(__always)
    func record(_ node: UInt32) -> NodeRecord {
        let n = Int(node)
        return nodePages[n >> nodeShift][n & ((1 << nodeShift) - 1)]
    }

    /// The links of `node` at `level`: element 0 is the count, the neighbours follow.
    @inline(__always)
    func links(_ node: UInt32, level: Int) -> UnsafePointer<UInt32> {
        if level == 0 {
            let n = Int(node)
            return UnsafePointer(level0Pages[n >> level0Shift] + (n & ((1 << level0Shift) - 1)) * level0Stride)
        }
        let row = Int(record(node).upperStart) + level - 1
        return UnsafePointer(upperPages[row >> upperShift] + (row & ((1 << upperShift) - 1)) * upperStride)
    }

    /// `hits` (nearest first by search-row distance) as a search returns them: under a
    /// compact encoding, those of the first `keep` that were re-scored with the float32
    /// `originals` (in memory or on their stored pages), nearest first by exact distance;
    /// under float32, unchanged.
    ///
    /// A candidate is re-scored only if it can still be among the best `k`: once `k` are
    /// re-scored, one whose code distance less ``DistanceFunction/errorBound(query:queryNorm:row:codeDistance:)``
    /// is above the `k`-th exact distance so far is skipped, since its exact distance is
    /// too. So the result is that of re-scoring all `keep`, with fewer reads (on minilm at
    /// k 10, about 15 of 30 under int8, 10–12 under float16 and bfloat16).
    func rescored(_ hits: [HeapEntry], query: UnsafePointer<Float>, code: UnsafeRawPointer, k: Int, keep: Int,
                  originals: PagedRows<Float>, scratch: SearchScratch) throws(SemblanceError) -> [HeapEntry] {
        guard distance.encoding != .float32 else { return hits }
        let reader = OriginalReader(originals)
        let queryNorm = distance.codeNorm(code)
        // The best k exact distances so far; its top is the k-th.
        var best = scratch.best
        best.removeAll()
        defer { scratch.best = best }
        var exact: [HeapEntry] = []
        exact.reserveCapacity(min(keep, hits.count))
        // A NaN exact distance (inf − inf of huge components) would break the heap's order:
        // it stays out of the heap, and after one every candidate is re-scored.
        var skipping = true
        for hit in hits.prefix(keep) {
            if skipping && best.count == k {
                let bound = distance.errorBound(query: code, queryNorm: queryNorm, row: vector(hit.node),
                                                codeDistance: hit.distance)
                if Double(hit.distance) - Double(bound) > Double(best.top.distance) { continue }
            }
            let entry = HeapEntry(distance: try reader.withOriginal(Int(hit.node)) { exactDistance(query, $0) }, node: hit.node)
            exact.append(entry)
            if entry.distance.isNaN {
                skipping = false
            } else {
                best.keep(entry, limit: k)
            }
        }
        exact.sort(by: HeapEntry.nearerFirst)
        return exact
    }

    // Prefetches are left out of debug builds: unoptimized, computing the address costs
    // more than the cache miss it hides.
    @inline(__always)
    func prefetchVector(_ node: UInt32) {
        #if !DEBUG
        sk_prefetch(vector(node), prefetchBytes)
        #endif
    }

    @inline(__always)
    func prefetchLinks(_ node: UInt32, level: Int) {
        #if !DEBUG
        if level == 0 { sk_prefetch(links(node, level: 0), 64) }
        #endif
    }
}

extension VectorIndex {
    /// Calls `body` with a raw view of this value's pages. The view must not escape.
    func withGraphView<R>(_ body: (GraphView) throws -> R) rethrows -> R {
        let exact = exactDistance
        let distance = searchDistance
        let rows = searchRows
        let prefetchBytes = min(rows.rowBytes, 256)
        return try rows.withPageBases { vectorPages in
            try level0Links.withPageBases { level0Pages in
                try upperLinks.withPageBases { upperPages in
                    try nodes.withPageBases { nodePages in
                        try body(GraphView(
                            vectorPages: vectorPages, vectorShift: rows.shift, vectorRowBytes: rows.rowBytes,
                            level0Pages: level0Pages, level0Shift: level0Links.shift,
                            level0Stride: level0Links.stride,
                            upperPages: upperPages, upperShift: upperLinks.shift, upperStride: upperLinks.stride,
                            nodePages: nodePages, nodeShift: nodes.shift, nodeCount: nodes.count,
                            distance: distance, exactDistance: exact, prefetchBytes: prefetchBytes))
                    }
                }
            }
        }
    }

    /// The exact distance between float32 originals (a query's and a stored one).
    var exactDistance: DistanceFunction {
        DistanceFunction(metric: configuration.metric, dimension: configuration.dimension, kernels: kernels)
    }

    /// The distance between search rows (code rows under a compact encoding).
    var searchDistance: DistanceFunction {
        DistanceFunction(metric: configuration.metric, dimension: configuration.dimension, kernels: kernels,
                         encoding: configuration.encoding, centreNormSquared: centreNormSquared)
    }

    /// The rows the graph search and build read.
    var searchRows: SearchRows { SearchRows(originals: vectors, codes: codes, compact: codec.isCompact) }
}

/// The rows the graph search and the graph build read: the code rows of a compact encoding,
/// or the float32 originals. Holding one shares the pages; it copies nothing.
struct SearchRows {
    let originals: PagedRows<Float>
    let codes: PagedRows<UInt8>
    let compact: Bool

    var shift: Int { compact ? codes.shift : originals.shift }
    var rowBytes: Int { compact ? codes.stride : originals.stride * MemoryLayout<Float>.stride }

    /// The row of `node`.
    @inline(__always)
    func row(_ node: UInt32) -> UnsafeRawPointer {
        compact ? UnsafeRawPointer(codes.row(Int(node))) : UnsafeRawPointer(originals.row(Int(node)))
    }

    /// Calls `body` with the address of every page of these rows.
    func withPageBases<R>(_ body: (UnsafePointer<UnsafeMutableRawPointer>) throws -> R) rethrows -> R {
        compact ? try codes.withRawPageBases(body) : try originals.withRawPageBases(body)
    }
}
