/// The settings of a ``VectorCollection``: what its vectors are, how they are indexed and
/// sharded, and how its writes reach the disk.
///
/// ```swift
/// var configuration = CollectionConfiguration(dimension: 384, metric: .cosine)
/// configuration.shardCount = 4
/// configuration.durability = .periodic(seconds: 0.05)
/// ```
public struct CollectionConfiguration: Sendable, Hashable, Codable {
    /// Components per vector.
    public var dimension: Int
    /// How distance is measured; lower is more similar.
    public var metric: DistanceMetric
    /// How many shards ids spread over (1...256). More shards write and compact in
    /// parallel; one shard searches fastest. Default 1.
    public var shardCount: Int
    /// HNSW links per node (layer 0 keeps twice as many). Default 16.
    public var m: Int
    /// Candidates examined when linking a new node. Default 200.
    public var efConstruction: Int
    /// Candidates examined by a search that names no `ef`. Default 64.
    public var defaultEf: Int
    /// The form of the vectors searches and the build read; the float32 originals are kept
    /// as well, on disk (and, once durable, read from there on demand). Default `.float32`.
    public var encoding: VectorEncoding
    /// With a compact encoding, how many times `k` of a search's best candidates are
    /// re-scored with the float32 originals. Default 3.
    public var rerankMultiple: Int
    /// When acknowledged writes reach the disk. Default `.durable`.
    public var durability: Durability
    /// When the logs are folded into a commit by themselves.
    public var checkpointPolicy: CheckpointPolicy
    /// The fraction of deleted vectors in a shard above which it needs compaction. Default 0.2.
    public var compactionThreshold: Double
    /// Which commits garbage collection keeps. Default: all of them (only objects that no
    /// commit names are collected).
    public var retention: RetentionPolicy

    /// Settings for vectors of `dimension` components. The other parameters set the properties
    /// of the same names; by default: cosine, one shard, `m` 16, `efConstruction` 200,
    /// `defaultEf` 64, durable writes, the default ``CheckpointPolicy``, compaction above 0.2,
    /// every commit kept, float32 vectors, re-scoring 3 × k.
    public init(
        dimension: Int, metric: DistanceMetric = .cosine, shardCount: Int = 1, m: Int = 16,
        efConstruction: Int = 200, defaultEf: Int = 64, durability: Durability = .durable,
        checkpointPolicy: CheckpointPolicy = CheckpointPolicy(), compactionThreshold: Double = 0.2,
        retention: RetentionPolicy = .keepAll, encoding: VectorEncoding = .float32, rerankMultiple: Int = 3
    ) {
        self.dimension = dimension
        self.metric = metric
        self.shardCount = shardCount
        self.m = m
        self.efConstruction = efConstruction
        self.defaultEf = defaultEf
        self.encoding = encoding
        self.rerankMultiple = rerankMultiple
        self.durability = durability
        self.checkpointPolicy = checkpointPolicy
        self.compactionThreshold = compactionThreshold
        self.retention = retention
    }

    /// The index parameters of each shard.
    public var index: IndexConfiguration {
        IndexConfiguration(dimension: dimension, metric: metric, m: m, efConstruction: efConstruction, defaultEf: defaultEf,
                           encoding: encoding, rerankMultiple: rerankMultiple)
    }

    /// Throws `.invalidConfiguration` naming the first bad setting.
    public func validate() throws(SemblanceError) {
        func fail(_ message: String) -> SemblanceError { SemblanceError(.invalidConfiguration, message) }
        try index.validate()
        guard (1...256).contains(shardCount) else { throw fail("shard count must be between 1 and 256, got \(shardCount)") }
        guard compactionThreshold > 0 && compactionThreshold <= 1 else {
            throw fail("compactionThreshold must be in (0, 1], got \(compactionThreshold)")
        }
        if case .periodic(let seconds) = durability, !(seconds >= 0.001 && seconds <= Self.maximumSyncInterval) {
            throw fail("the periodic sync interval must be between 0.001 and \(Int(Self.maximumSyncInterval)) seconds, got \(seconds)")
        }
        let policy = checkpointPolicy
        guard policy.maxOperations > 0 else { throw fail("checkpoint maxOperations must be positive, got \(policy.maxOperations)") }
        guard policy.maxLogBytes > 0 else { throw fail("checkpoint maxLogBytes must be positive, got \(policy.maxLogBytes)") }
        guard policy.maxAgeSeconds >= 0.001 else {
            throw fail("checkpoint maxAgeSeconds must be at least 0.001 (infinity: never by age), got \(policy.maxAgeSeconds)")
        }
        try retention.validate()
    }

    /// The longest periodic sync interval: a day (longer ones are surely a mistake, and the
    /// timer's arithmetic stays far from overflow).
    public static let maximumSyncInterval: Double = 86_400
}
