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
        deadline: ContinuousClock.Instant? = nil, includeVectors: Bool = false, includeMetadata: Bool = false
    ) {
        self.k = k
        self.ef = ef
        self.filter = filter
        self.ids = ids
        self.maxDistance = maxDistance
        self.deadline = deadline
        self.includeVectors = includeVectors
        self.includeMetadata = includeMetadata
    }

    /// Throws `.invalidArgument` for k ≤ 0, ef ≤ 0 or a NaN `maxDistance`.
    func validate() throws(SemblanceError) {
        try VectorIndex.validateSearch(k: k, ef: ef, maxDistance: maxDistance)
    }
}
