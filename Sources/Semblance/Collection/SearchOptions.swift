/// How a search runs: one value for every search of a collection or snapshot, single or
/// batch. The labelled `search(_:k:ef:filter:...)` calls are the everyday form; keep a
/// `SearchOptions` when the same settings serve many calls.
///
/// ```swift
/// var options = SearchOptions(k: 5, filter: .equals("lang", "en"))
/// options.ef = 128
/// let hits = try await docs.search(query, options: options)
/// ```
public struct SearchOptions: Sendable {
    /// How many results at most (≥ 1).
    public var k: Int
    /// The beam width; nil: the collection's `defaultEf` (always at least `k`).
    public var ef: Int?
    /// Only records that match. At least `k` matches means `k` results, whatever the
    /// filter's selectivity.
    public var filter: Filter?
    /// Only these ids.
    public var ids: Set<String>?
    /// Drop hits farther than this.
    public var maxDistance: Float?
    /// Drop hits less similar than this, for the cosine metric (similarity: the cosine of the
    /// angle, `1 - distance`) and inner product (similarity: the inner product,
    /// `-distance`). With ``maxDistance`` too, a hit must satisfy both.
    public var minSimilarity: Float?
    /// Stop a graph search after this many expansions in a row that did not improve its best
    /// `k` (≥ 1; nil: search until the beam is exhausted). Lower is faster and may lose recall.
    public var patience: Int?
    /// Stop at this instant with the best found so far, marked ``SearchResults/isPartial``.
    public var deadline: ContinuousClock.Instant?
    /// Return each hit's stored vector.
    public var includeVectors: Bool
    /// Return each hit's metadata.
    public var includeMetadata: Bool

    /// Options with the defaults of the labelled `search` calls: 10 results, the collection's
    /// `defaultEf`, no filter, ids or distance limit, no deadline, no vectors or metadata.
    public init(
        k: Int = 10, ef: Int? = nil, filter: Filter? = nil, ids: Set<String>? = nil, maxDistance: Float? = nil,
        minSimilarity: Float? = nil, patience: Int? = nil,
        deadline: ContinuousClock.Instant? = nil, includeVectors: Bool = false, includeMetadata: Bool = false
    ) {
        self.k = k
        self.ef = ef
        self.filter = filter
        self.ids = ids
        self.maxDistance = maxDistance
        self.minSimilarity = minSimilarity
        self.patience = patience
        self.deadline = deadline
        self.includeVectors = includeVectors
        self.includeMetadata = includeMetadata
    }

    /// Throws `.invalidArgument` for k ≤ 0, ef ≤ 0, a NaN `maxDistance` or `minSimilarity`,
    /// patience ≤ 0, or a `minSimilarity` under the squared Euclidean metric (it has no
    /// similarity: use `maxDistance`).
    func validate(metric: DistanceMetric) throws(SemblanceError) {
        try VectorIndex.validateSearch(k: k, ef: ef, maxDistance: maxDistance)
        if let patience, patience < 1 { throw .invalidArgument("patience must be at least 1, got \(patience)") }
        guard let minSimilarity else { return }
        if minSimilarity.isNaN { throw .invalidArgument("minSimilarity must not be NaN") }
        if metric == .squaredEuclidean {
            throw .invalidArgument("minSimilarity applies to the cosine and inner product metrics; under squaredEuclidean use maxDistance")
        }
    }

    /// The distance the search may stop at: ``maxDistance``, and ``minSimilarity`` as a
    /// distance. Under cosine `1 - s` is rounded, so the bound keeps two units of rounding of
    /// 1 in hand and ``isSimilarEnough(_:metric:)`` makes the exact cut.
    func distanceLimit(metric: DistanceMetric) -> Float? {
        let fromSimilarity: Float? = minSimilarity.map { metric == .cosine ? 1 - $0 + 2 * Float.ulpOfOne : -$0 }
        switch (maxDistance, fromSimilarity) {
        case (let a?, let b?): return min(a, b)
        case (let a, let b): return a ?? b
        }
    }

    /// Whether a hit at `distance` is as similar as ``minSimilarity`` asks (always, without
    /// one): the similarity computed as the documentation defines it.
    func isSimilarEnough(_ distance: Float, metric: DistanceMetric) -> Bool {
        guard let minSimilarity else { return true }
        return (metric == .cosine ? 1 - distance : -distance) >= minSimilarity
    }
}
