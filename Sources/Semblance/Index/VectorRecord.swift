/// One stored record: an id, its vector, and optional metadata.
public struct VectorRecord: Sendable, Hashable {
    /// The record's id: unique in its collection.
    public var id: String
    /// The vector, of the collection's dimension.
    public var vector: [Float]
    /// JSON-like values stored with the record, for filters and for the application.
    public var metadata: Metadata?

    /// A record of `id`, `vector` and optional `metadata`.
    public init(id: String, vector: [Float], metadata: Metadata? = nil) {
        self.id = id
        self.vector = vector
        self.metadata = metadata
    }
}
