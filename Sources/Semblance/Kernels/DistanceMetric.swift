/// How the distance between two vectors is measured. Lower always means more similar.
public enum DistanceMetric: String, Sendable, Hashable, Codable, CaseIterable {
    /// 1 − cosine similarity, in [0, 2]. Vectors are stored normalised to unit length, so
    /// ``VectorIndex/get(_:)`` returns the unit vector; an all-zero vector is an error.
    case cosine
    /// Squared Euclidean distance, Σ (aᵢ − bᵢ)².
    case squaredEuclidean
    /// The negated inner product, −Σ aᵢ·bᵢ (as pgvector's `<#>`), so that lower is nearer.
    case innerProduct
}
