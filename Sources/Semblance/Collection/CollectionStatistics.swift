/// Figures of one collection, as of its latest published snapshot.
public struct CollectionStatistics: Sendable, Hashable, Codable {
    /// The collection's name.
    public var name: String
    /// Vectors stored, live and deleted (tombstones until compaction).
    public var vectors: Int
    /// Vectors that searches can return.
    public var live: Int
    /// Deleted vectors still in the graphs.
    public var deleted: Int
    /// deleted / vectors (0 when empty).
    public var deletionRatio: Double
    /// Directed links in the graphs, all layers.
    public var edges: Int
    /// edges / vectors (0 when empty).
    public var averageDegree: Double
    /// Bytes allocated for vectors (float32 originals and any code rows), links and node records.
    public var memoryBytes: Int
    /// Bytes in the write-ahead logs since the last checkpoint.
    public var logBytes: Int64
    /// The branch these figures are of.
    public var branch: String
    /// The branch's head commit, nil before the first checkpoint (and in memory).
    public var headCommit: String?
    /// Bytes of stored objects each branch holds alone (its commits and pages that no other
    /// branch or tag reaches): filled by ``VectorCollection/statistics(includingBranchBytes:)``,
    /// nil from the cheaper ``VectorCollection/statistics()``.
    public var branchBytes: [String: Int64]?
    /// The number of shards.
    public var shards: Int
    /// The deletion ratio of the worst shard: its deleted vectors over all its vectors.
    public var worstShardDeletionRatio: Double
    /// True when some shard's deletion ratio passes the configured threshold.
    public var needsCompaction: Bool
}
