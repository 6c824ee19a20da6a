import SemblanceKernels

/// The distance of the index's metric over raw rows: `bias + sign · kernel(a, b)`.
/// Cosine runs the dot kernel on unit vectors (1 − a·b); inner product negates the dot.
struct DistanceFunction {
    let kernel: RawKernel
    let dimension: Int
    let bias: Float
    let sign: Float

    init(metric: DistanceMetric, dimension: Int, kernels: DistanceKernels) {
        self.dimension = dimension
        switch metric {
        case .squaredEuclidean: (kernel, bias, sign) = (kernels.l2sq, 0, 1)
        case .innerProduct: (kernel, bias, sign) = (kernels.dot, 0, -1)
        case .cosine: (kernel, bias, sign) = (kernels.dot, 1, -1)
        }
    }

    @inline(__always)
    func callAsFunction(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>) -> Float {
        bias + sign * kernel(a, b, dimension)
    }
}

/// Raw, reference-count-free read access to an index value's pages, valid only inside
/// ``VectorIndex/withGraphView(_:)``. Every search and graph walk reads through it.
struct GraphView {
    let vectorPages: UnsafePointer<UnsafeMutablePointer<Float>>
    let vectorShift: Int, vectorStride: Int
    let level0Pages: UnsafePointer<UnsafeMutablePointer<UInt32>>
    let level0Shift: Int, level0Stride: Int
    let upperPages: UnsafePointer<UnsafeMutablePointer<UInt32>>
    let upperShift: Int, upperStride: Int
    let nodePages: UnsafePointer<UnsafeMutablePointer<NodeRecord>>
    let nodeShift: Int
    let nodeCount: Int
    let distance: DistanceFunction
    /// Bytes of a vector worth prefetching ahead of its distance computation.
    let prefetchBytes: Int

    @inline(__always)
    func vector(_ node: UInt32) -> UnsafePointer<Float> {
        let n = Int(node)
        return UnsafePointer(vectorPages[n >> vectorShift] + (n & ((1 << vectorShift) - 1)) * vectorStride)
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
        let distance = DistanceFunction(
            metric: configuration.metric, dimension: configuration.dimension, kernels: kernels)
        let prefetchBytes = min(configuration.dimension * 4, 256)
        return try vectors.withPageBases { vectorPages in
            try level0Links.withPageBases { level0Pages in
                try upperLinks.withPageBases { upperPages in
                    try nodes.withPageBases { nodePages in
                        try body(GraphView(
                            vectorPages: vectorPages, vectorShift: vectors.shift, vectorStride: vectors.stride,
                            level0Pages: level0Pages, level0Shift: level0Links.shift,
                            level0Stride: level0Links.stride,
                            upperPages: upperPages, upperShift: upperLinks.shift, upperStride: upperLinks.stride,
                            nodePages: nodePages, nodeShift: nodes.shift, nodeCount: nodes.count,
                            distance: distance, prefetchBytes: prefetchBytes))
                    }
                }
            }
        }
    }
}
