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

    /// Parameters for vectors of `dimension` components. The other parameters set the
    /// properties of the same names; by default: cosine, `m` 16, `efConstruction` 200,
    /// `defaultEf` 64, a fixed seed.
    public init(
        dimension: Int,
        metric: DistanceMetric = .cosine,
        m: Int = 16,
        efConstruction: Int = 200,
        defaultEf: Int = 64,
        seed: UInt64 = 0x5EB1_A4CE
    ) {
        self.dimension = dimension
        self.metric = metric
        self.m = m
        self.efConstruction = efConstruction
        self.defaultEf = defaultEf
        self.seed = seed
    }

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
        guard (2...256).contains(m) else { throw fail("m must be between 2 and 256, got \(m)") }
        guard (1...100_000).contains(efConstruction) else {
            throw fail("efConstruction must be between 1 and 100000, got \(efConstruction)")
        }
        guard (1...100_000).contains(defaultEf) else {
            throw fail("defaultEf must be between 1 and 100000, got \(defaultEf)")
        }
    }
}
