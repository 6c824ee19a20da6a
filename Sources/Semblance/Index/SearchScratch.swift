import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The reusable memory of one search: a generation-stamped visited array (no clearing
/// between searches), the two queues, and an aligned buffer for the normalised query.
final class SearchScratch: @unchecked Sendable {
    // Invariant (why @unchecked): a scratch is used by one search at a time; it is taken
    // out of its pool under the pool's lock and given back only when the search is done.
    private(set) var visited: UnsafeMutablePointer<UInt16>
    private(set) var visitedCapacity: Int
    private(set) var stamp: UInt16 = 0
    var candidates = MinHeap(capacity: 256)
    var results = MaxHeap(capacity: 256)
    /// The best `k` of a search with patience: whether an expansion improved them.
    var best = MaxHeap(capacity: 16)
    private(set) var query: UnsafeMutablePointer<Float>
    private(set) var queryCapacity: Int
    /// Room for one node's links, copied out under its lock during a parallel build.
    let linkBuffer = UnsafeMutablePointer<UInt32>.allocate(capacity: 2 * IndexConfiguration.largestM + 1)
    /// Room for the neighbours of one node that a layer search has not visited yet.
    let freshNeighbours = UnsafeMutablePointer<UInt32>.allocate(capacity: 2 * IndexConfiguration.largestM)
    /// The query as a code row of the index's compact encoding.
    private let code: UnsafeMutableRawPointer

    init(nodes: Int, dimension: Int, codeBytes: Int) {
        code = UnsafeMutableRawPointer.allocate(byteCount: max(codeBytes, 64), alignment: 64)
        code.initializeMemory(as: UInt8.self, repeating: 0, count: max(codeBytes, 64))
        visitedCapacity = max(nodes, 1024)
        visited = .allocate(capacity: visitedCapacity)
        visited.initialize(repeating: 0, count: visitedCapacity)
        queryCapacity = max(dimension, 16)
        query = UnsafeMutableRawPointer.allocate(byteCount: queryCapacity * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: queryCapacity)
    }

    deinit {
        visited.deallocate()
        UnsafeMutableRawPointer(query).deallocate()
        code.deallocate()
        candidates.deallocate()
        results.deallocate()
        best.deallocate()
        linkBuffer.deallocate()
        freshNeighbours.deallocate()
    }

    /// Starts a search over `nodes` nodes: a fresh stamp marks nothing as visited.
    @inline(__always)
    func begin(nodes: Int) -> UInt16 {
        if nodes > visitedCapacity { growVisited(to: nodes) }
        stamp &+= 1
        if stamp == 0 {
            visited.update(repeating: 0, count: visitedCapacity)
            stamp = 1
        }
        candidates.removeAll()
        results.removeAll()
        return stamp
    }

    /// Copies `vector` into the aligned query buffer, normalised when asked.
    func loadQuery(_ vector: [Float], normalize: Bool) -> UnsafePointer<Float> {
        if vector.count > queryCapacity {
            UnsafeMutableRawPointer(query).deallocate()
            queryCapacity = vector.count
            query = UnsafeMutableRawPointer.allocate(byteCount: queryCapacity * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: queryCapacity)
        }
        if normalize {
            VectorMath.normalize(vector, into: query)
        } else {
            for i in 0..<vector.count { query[i] = vector[i] }
        }
        return UnsafePointer(query)
    }

    /// The query as the rows searches read: `query` itself under float32, else its code
    /// row in this scratch's buffer.
    func encodeQuery(_ query: UnsafePointer<Float>, codec: VectorCodec, centre: [Float]) -> UnsafeRawPointer {
        guard codec.isCompact else { return UnsafeRawPointer(query) }
        codec.encode(query, into: code, centre: centre)
        return UnsafeRawPointer(code)
    }

    @inline(never)
    private func growVisited(to nodes: Int) {
        visited.deallocate()
        visitedCapacity = max(nodes, visitedCapacity * 2)
        visited = .allocate(capacity: visitedCapacity)
        visited.initialize(repeating: 0, count: visitedCapacity)
        stamp = 0
    }
}

/// A small pool of scratch spaces shared by every copy of an index, so that concurrent
/// searches on copies each get their own and sequential searches reuse one.
final class SearchScratchPool: Sendable {
    private let free = Mutex<[SearchScratch]>([])
    private let dimension: Int
    private let codeBytes: Int

    init(dimension: Int, codeBytes: Int) {
        self.dimension = dimension
        self.codeBytes = codeBytes
    }

    func withScratch<R>(nodes: Int, _ body: (SearchScratch) throws -> R) rethrows -> R {
        let scratch = free.withLock { $0.popLast() }
            ?? SearchScratch(nodes: nodes, dimension: dimension, codeBytes: codeBytes)
        defer { free.withLock { if $0.count < 64 { $0.append(scratch) } } }
        return try body(scratch)
    }
}

/// Small vector helpers used off the hot path.
enum VectorMath {
    /// Writes `v / ‖v‖` to `destination` (room for `v.count` floats); `v` is finite and
    /// not all zeros.
    ///
    /// Computed in double precision, whose range holds the square of every finite Float
    /// (2^-149 squares to 2^-298, 2^128 to 2^256) and its inverse norm: components of 1e-40
    /// or 1e30, whose squares leave Float's range, still give a finite unit vector, with
    /// no scaling first. A vector already of unit length to float precision is copied
    /// unchanged, so that normalizing is idempotent (an exported cosine collection imports
    /// back bit for bit).
    static func normalize(_ v: [Float], into destination: UnsafeMutablePointer<Float>) {
        var sum = 0.0
        for x in v { sum += Double(x) * Double(x) }
        if abs(sum - 1) < 1e-6 {
            for i in 0..<v.count { destination[i] = v[i] }
            return
        }
        let inverse = 1 / sum.squareRoot()
        for i in 0..<v.count { destination[i] = Float(Double(v[i]) * inverse) }
    }
}
