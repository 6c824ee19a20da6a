/// The hits of one search, nearest first. A `RandomAccessCollection` of ``SearchResult``.
///
/// ``isPartial`` is true when the search stopped early, at its deadline or because its task
/// was cancelled: the hits are then the best found so far, not necessarily the nearest.
public struct SearchResults: RandomAccessCollection, Sendable, Hashable {
    /// The hits, nearest first.
    public var hits: [SearchResult]
    /// True when a deadline or cancellation cut the search short.
    public var isPartial: Bool

    /// Results holding `hits` (nearest first).
    public init(hits: [SearchResult], isPartial: Bool = false) {
        self.hits = hits
        self.isPartial = isPartial
    }

    public var startIndex: Int { hits.startIndex }
    public var endIndex: Int { hits.endIndex }
    public subscript(position: Int) -> SearchResult { hits[position] }

    /// The ids of the hits, nearest first.
    public var ids: [String] { hits.map(\.id) }
}
