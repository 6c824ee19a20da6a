/// The fixed parameters of a ``VectorIndex``.
public struct IndexConfiguration: Sendable, Hashable, Codable {
    /// Components per vector.
    public var dimension: Int
    /// How distance is measured; lower is more similar.
    public var metric: DistanceMetric
    /// HNSW links per node on the upper layers; layer 0 keeps twice as many. Default 16.
    public var m: Int
    /// Candidates examined when linking a new node. Default 200.
    public var efConstruction: Int
    /// Candidates examined by a search that names no `ef`. Default 64.
    public var defaultEf: Int
    /// Seed of the level generator: the same seed and the same inserts give the same graph.
    public var seed: UInt64
    /// The form of the vectors the graph search and the build read. Default `.float32`.
    public var encoding: VectorEncoding
    /// With a compact encoding, a search re-scores its best `rerankMultiple × k` candidates
    /// (at most `ef` of them) with the float32 originals and returns the best `k` of those,
    /// with exact distances. Candidates that the encoding's error bound shows cannot reach
    /// the best `k` are skipped without a read. Default 3; unused under `.float32`.
    public var rerankMultiple: Int

    /// Parameters for vectors of `dimension` components. The other parameters set the
    /// properties of the same names; by default: cosine, `m` 16, `efConstruction` 200,
    /// `defaultEf` 64, a fixed seed, float32, re-scoring 3 × k.
    public init(
        dimension: Int,
        metric: DistanceMetric = .cosine,
        m: Int = 16,
        efConstruction: Int = 200,
        defaultEf: Int = 64,
        seed: UInt64 = 0x5EB1_A4CE,
        encoding: VectorEncoding = .float32,
        rerankMultiple: Int = 3
    ) {
        self.dimension = dimension
        self.metric = metric
        self.m = m
        self.efConstruction = efConstruction
        self.defaultEf = defaultEf
        self.seed = seed
        self.encoding = encoding
        self.rerankMultiple = rerankMultiple
    }

    /// True when `other` differs from this at most in ``encoding`` and ``rerankMultiple``:
    /// the settings a re-encoding changes, which leave the stored pages as they are.
    func storesSamePages(as other: IndexConfiguration) -> Bool {
        var other = other
        other.encoding = encoding
        other.rerankMultiple = rerankMultiple
        return self == other
    }

    /// Throws `.invalidConfiguration` unless `rerankMultiple` is between 1 and 100.
    static func validate(rerankMultiple: Int) throws(SemblanceError) {
        guard (1...100).contains(rerankMultiple) else {
            throw SemblanceError(.invalidConfiguration, "rerankMultiple must be between 1 and 100, got \(rerankMultiple)")
        }
    }

    /// The largest `m` accepted: layer 0 holds up to `2 × m` links a node.
    static let largestM = 256
    /// The largest dimension accepted.
    public static let maximumDimension = 65_536
    /// The longest id accepted, in UTF-8 bytes.
    public static let maximumIDBytes = 1024

    /// Throws ``SemblanceError/Code/invalidConfiguration`` naming the first bad parameter.
    public func validate() throws(SemblanceError) {
        func fail(_ message: String) -> SemblanceError { SemblanceError(.invalidConfiguration, message) }
        guard (1...Self.maximumDimension).contains(dimension) else {
            throw fail("dimension must be between 1 and \(Self.maximumDimension), got \(dimension)")
        }
        guard (2...Self.largestM).contains(m) else { throw fail("m must be between 2 and \(Self.largestM), got \(m)") }
        guard (1...100_000).contains(efConstruction) else {
            throw fail("efConstruction must be between 1 and 100000, got \(efConstruction)")
        }
        guard (1...100_000).contains(defaultEf) else {
            throw fail("defaultEf must be between 1 and 100000, got \(defaultEf)")
        }
        try Self.validate(rerankMultiple: rerankMultiple)
    }
}
