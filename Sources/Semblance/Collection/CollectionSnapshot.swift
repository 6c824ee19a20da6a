/// An immutable view of a collection at one moment: one index value per shard.
///
/// A snapshot is a value: search it from any thread without awaiting, keep it as long as you
/// like (later writes to the collection do not change it), or copy it into a `var` and
/// change the copy (a fork: O(1), the original stays as it was).
public struct CollectionSnapshot: Sendable {
    /// Each shard's index value.
    public private(set) var shards: [VectorIndex]
    /// The collection's settings.
    public let configuration: CollectionConfiguration
    /// The commit this value was read from, or whose state plus the branch's log it holds:
    /// the parent of a branch made from it.
    let baseCommit: ObjectHash?

    init(shards: [VectorIndex], configuration: CollectionConfiguration, baseCommit: ObjectHash? = nil) {
        self.shards = shards
        self.configuration = configuration
        self.baseCommit = baseCommit
    }

    /// Live records.
    public var count: Int { shards.reduce(0) { $0 + $1.count } }

    /// The vector stored under `id`, or nil.
    public func get(_ id: String) -> [Float]? { shards[shard(of: id)].get(id) }

    /// The record stored under `id` (vector and metadata), or nil.
    public func record(_ id: String) -> VectorRecord? {
        let index = shards[shard(of: id)]
        return index.get(id).map { VectorRecord(id: id, vector: $0, metadata: index.metadata(of: id)) }
    }

    /// How many live records match `filter`, answered from the metadata indexes.
    public func count(where filter: Filter) -> Int { shards.reduce(0) { $0 + $1.count(where: filter) } }

    /// The ids of the live records that match `filter`, in no particular order.
    public func ids(where filter: Filter) -> [String] { shards.flatMap { $0.ids(where: filter) } }

    /// Whether `id` is stored.
    public func contains(_ id: String) -> Bool { shards[shard(of: id)].contains(id) }

    /// Adds or replaces a record in this value only (a fork of the collection's state).
    public mutating func upsert(id: String, vector: [Float], metadata: Metadata? = nil) throws(SemblanceError) {
        try shards[shard(of: id)].upsert(id: id, vector: vector, metadata: metadata)
    }

    /// Replaces the metadata of `id` in this value only.
    /// - Throws: `.unknownID` when `id` is not stored, `.invalidMetadata`.
    public mutating func setMetadata(_ metadata: Metadata?, for id: String) throws(SemblanceError) {
        try shards[shard(of: id)].setMetadata(metadata, for: id)
    }

    /// Deletes `id` from this value only; returns whether it was there.
    @discardableResult
    public mutating func delete(_ id: String) throws(SemblanceError) -> Bool {
        try shards[shard(of: id)].delete(id)
    }

    func shard(of id: String) -> Int { ShardRouting.shard(of: id, shardCount: shards.count) }

    /// The nearest live records to `query`, searching the shards one after another on the
    /// calling thread. ``VectorCollection/search(_:k:ef:filter:ids:maxDistance:deadline:includeVectors:includeMetadata:)->SearchResults``
    /// searches them in parallel.
    public func search(
        _ query: [Float], k: Int = 10, ef: Int? = nil, filter: Filter? = nil, ids: Set<String>? = nil, maxDistance: Float? = nil,
        deadline: ContinuousClock.Instant? = nil, includeVectors: Bool = false, includeMetadata: Bool = false
    ) throws(SemblanceError) -> SearchResults {
        try search(query, options: SearchOptions(k: k, ef: ef, filter: filter, ids: ids, maxDistance: maxDistance, deadline: deadline,
                                                 includeVectors: includeVectors, includeMetadata: includeMetadata))
    }

    /// The nearest live records to `query`, as `options` say.
    public func search(_ query: [Float], options: SearchOptions) throws(SemblanceError) -> SearchResults {
        try options.validate(metric: configuration.metric)
        var parts: [ShardHits] = []
        for shard in shards.indices {
            parts.append(try search(query, shard: shard, options: options))
        }
        return Self.merge(parts, k: options.k)
    }

    /// One shard's part of a search; the caller has validated `options`.
    func search(_ query: [Float], shard: Int, options: SearchOptions) throws(SemblanceError) -> ShardHits {
        let index = shards[shard]
        let metric = index.configuration.metric
        var (results, complete) = try index.search(
            query, k: options.k, ef: options.ef, maxDistance: options.distanceLimit(metric: metric), allowedIDs: options.ids,
            budget: SearchBudget(deadline: options.deadline, patience: options.patience, k: options.k),
            includeVectors: options.includeVectors, filter: options.filter)
        if options.minSimilarity != nil { results.removeAll { !options.isSimilarEnough($0.distance, metric: metric) } }
        if options.includeMetadata {
            for i in results.indices { results[i].metadata = index.metadata(of: results[i].id) }
        }
        return ShardHits(results: results, complete: complete)
    }

    /// The best `k` of the shards' hits, nearest first (ties by id, so the order is stable).
    static func merge(_ parts: [ShardHits], k: Int) -> SearchResults {
        if parts.count == 1 {
            return SearchResults(hits: parts[0].results, isPartial: !parts[0].complete)
        }
        let all = parts.flatMap(\.results).sorted { ($0.distance, $0.id) < ($1.distance, $1.id) }
        return SearchResults(hits: Array(all.prefix(k)), isPartial: parts.contains { !$0.complete })
    }
}

/// What one search asks for, checked once.

/// One shard's hits for one query.
struct ShardHits: Sendable {
    var results: [SearchResult]
    var complete: Bool
}
