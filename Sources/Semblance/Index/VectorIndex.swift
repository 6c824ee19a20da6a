import HashTreeCollections

/// One shard's vectors and their HNSW graph, as a Swift value.
///
/// `VectorIndex` has value semantics with copy-on-write per page: `var b = a` is O(1),
/// the first write to `b` copies only the pages it touches, and `a` is never affected.
/// Writes to a uniquely held index happen in place. A copy is `Sendable`, so a snapshot can
/// be searched from any number of tasks while its original keeps changing.
///
/// ```swift
/// var index = try VectorIndex(IndexConfiguration(dimension: 3, metric: .cosine))
/// try index.insert(id: "a", vector: [1, 0, 0])
/// try index.insert(id: "b", vector: [0, 1, 0])
/// let hits = try index.search([0.9, 0.1, 0], k: 1)   // [SearchResult(id: "a", ...)]
/// ```
public struct VectorIndex: Sendable {
    /// The parameters the index was created with.
    public let configuration: IndexConfiguration

    /// The float32 originals (unit length under cosine), padded to 16 components.
    var vectors: PagedRows<Float>
    /// The code rows of a compact encoding, one per node; empty under float32.
    var codes: PagedRows<UInt8>
    let codec: VectorCodec
    /// int8: the mean of the shard's first nodes' originals (see
    /// ``VectorCodec/trainingNodes(forNodeCount:)``), subtracted before scaling; else empty.
    var centre: [Float] = []
    /// ‖centre‖².
    var centreNormSquared: Float = 0
    var level0Links: PagedRows<UInt32>
    var upperLinks: PagedRows<UInt32>
    var nodes: PagedRows<NodeRecord>
    /// The id of every node, deleted ones included.
    var nodeIDs = ChunkedArray<String>()
    /// The live node of each id.
    var nodeByID = IDTable()
    /// Metadata of the live nodes that have some, and the indexes over its fields.
    var metadataByNode = TreeDictionary<UInt32, Metadata>()
    var metadataIndex = MetadataIndex()
    var entryPoint: UInt32?
    var maxLevel = 0
    var liveCount = 0
    var levels: LevelGenerator
    let scratchPool: SearchScratchPool
    let kernels: DistanceKernels

    /// An empty index.
    /// - Throws: ``SemblanceError/Code/invalidConfiguration`` when a parameter is out of range.
    public init(_ configuration: IndexConfiguration) throws(SemblanceError) {
        try configuration.validate()
        self.configuration = configuration
        let paddedDimension = (configuration.dimension + 15) / 16 * 16
        vectors = PagedRows(stride: paddedDimension)
        codec = VectorCodec(encoding: configuration.encoding, dimension: configuration.dimension)
        codes = PagedRows(stride: max(codec.rowBytes, 1))
        // Link pages are small: an insert rewrites the lists of up to 2·M random neighbours,
        // and after a copy each of those writes copies one page.
        level0Links = PagedRows(stride: 2 * configuration.m + 1, targetPageBytes: 64 << 10)
        upperLinks = PagedRows(stride: configuration.m + 1, targetPageBytes: 32 << 10)
        nodes = PagedRows(stride: 1, targetPageBytes: 16 << 10)
        levels = LevelGenerator(seed: configuration.seed, m: configuration.m)
        scratchPool = SearchScratchPool(dimension: configuration.dimension, codeBytes: codec.rowBytes)
        kernels = .best
    }

    /// Live (not deleted) vectors.
    public var count: Int { liveCount }
    /// Whether the index holds no live vector.
    public var isEmpty: Bool { liveCount == 0 }
    /// Nodes in the graph, deleted ones included; compaction (rebuilding) drops the deleted.
    public var nodeCount: Int { nodes.count }
    /// Deleted vectors still in the graph as tombstones.
    public var deletedCount: Int { nodes.count - liveCount }

    /// Whether `id` names a live vector.
    public func contains(_ id: String) -> Bool { node(of: id) != nil }

    /// The stored vector of `id` (unit length under ``DistanceMetric/cosine``), or nil.
    ///
    /// Under a compact encoding, the originals of a shard opened from disk are read from its
    /// page files on demand; if the disk fails under such a read, the process stops with a
    /// message naming the file.
    public func get(_ id: String) -> [Float]? {
        guard let node = node(of: id) else { return nil }
        return vector(of: node)
    }

    /// Every live (id, vector) pair, in insertion order of their current versions.
    public var records: Records { Records(index: self) }

    /// A sequence of the live (id, vector) pairs of an index value.
    public struct Records: Sequence, Sendable {
        let index: VectorIndex

        public func makeIterator() -> Iterator { Iterator(index: index) }

        /// Iterates over the live (id, vector) pairs in insertion order, skipping deleted ones.
        public struct Iterator: IteratorProtocol, Sendable {
            let index: VectorIndex
            var position = 0

            public mutating func next() -> (id: String, vector: [Float])? {
                while position < index.nodes.count {
                    let node = position
                    position += 1
                    if !index.nodes.row(node).pointee.isDeleted {
                        return (index.nodeIDs[node], index.vector(of: UInt32(node)))
                    }
                }
                return nil
            }
        }
    }

    /// The original of `node`. A stored page that can no longer be read (the disk failed
    /// under an open file) stops the process, naming the file: this accessor cannot throw.
    func vector(of node: UInt32) -> [Float] {
        OriginalReader(vectors).withOriginalOrStop(Int(node)) { Array(UnsafeBufferPointer(start: $0, count: configuration.dimension)) }
    }

    /// The original of `node`, from memory or from its stored page.
    func readVector(of node: UInt32) throws(SemblanceError) -> [Float] {
        try OriginalReader(vectors).vector(Int(node), count: configuration.dimension)
    }

    func record(of node: UInt32) -> NodeRecord { nodes.row(Int(node)).pointee }

    /// The live node of `id`, or nil.
    func node(of id: String) -> UInt32? { nodeByID.node(of: id, ids: nodeIDs) }
}

/// One search hit: the id and its distance to the query (lower is more similar).
public struct SearchResult: Sendable, Hashable {
    /// The record's id.
    public var id: String
    /// The distance to the query under the metric; lower is more similar.
    public var distance: Float
    /// The stored vector, when the search asked for vectors (normalized under cosine).
    public var vector: [Float]?
    /// The record's metadata, when the search asked for it (nil also when it has none).
    public var metadata: Metadata?

    /// A hit for `id` at `distance`, with its vector and metadata when asked for.
    public init(id: String, distance: Float, vector: [Float]? = nil, metadata: Metadata? = nil) {
        self.id = id
        self.distance = distance
        self.vector = vector
        self.metadata = metadata
    }
}

/// Memory and copy-on-write figures of an index value.
public struct IndexStatistics: Sendable, Hashable {
    /// Bytes allocated in memory for vectors (the float32 originals and any code rows),
    /// links and node records; pages of originals read from their files take none.
    public var allocatedBytes: Int
    /// Bytes this value copied because pages it wrote were shared with another value.
    public var copiedBytes: Int
    /// Edges (directed links) in the graph, all layers.
    public var edges: Int
}

extension VectorIndex {
    /// Memory and copy-on-write figures. Counting edges walks every node.
    public var statistics: IndexStatistics {
        var edges = 0
        for node in 0..<nodes.count {
            let record = nodes.row(node).pointee
            edges += Int(level0Links.row(node).pointee)
            for level in 0..<Int(record.level) {
                edges += Int(upperLinks.row(Int(record.upperStart) + level).pointee)
            }
        }
        return IndexStatistics(
            allocatedBytes: vectors.allocatedBytes + codes.allocatedBytes + level0Links.allocatedBytes
                + upperLinks.allocatedBytes + nodes.allocatedBytes,
            copiedBytes: vectors.copiedBytes + codes.copiedBytes + level0Links.copiedBytes + upperLinks.copiedBytes
                + nodes.copiedBytes,
            edges: edges)
    }
}
