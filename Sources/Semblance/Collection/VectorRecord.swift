/// One stored record: an id and its vector.
public struct VectorRecord: Sendable, Hashable {
    public var id: String
    public var vector: [Float]

    public init(id: String, vector: [Float]) {
        self.id = id
        self.vector = vector
    }
}
