/// One stored record: an id, its vector, and optional metadata.
public struct VectorRecord: Sendable, Hashable {
    public var id: String
    public var vector: [Float]
    /// JSON-like values stored with the record, for filters and for the application.
    public var metadata: Metadata?

    public init(id: String, vector: [Float], metadata: Metadata? = nil) {
        self.id = id
        self.vector = vector
        self.metadata = metadata
    }
}
