extension IndexConfiguration {
    /// Checks a vector before anything is changed: length, finiteness, and a direction
    /// under cosine. `role` names it in the message ("vector", "query").
    /// Under ``VectorEncoding/float16`` or ``VectorEncoding/bfloat16`` (and a metric other
    /// than cosine, which stores unit vectors), a component beyond the encoding's
    /// ``VectorEncoding/largestComponent`` has no finite code and is refused too.
    /// - Throws: `.dimensionMismatch`, `.nonFiniteComponent` or `.zeroVector`.
    public func validate(vector: [Float], role: String = "vector") throws(SemblanceError) {
        guard vector.count == dimension else {
            throw SemblanceError(.dimensionMismatch,
                "\(role) has \(vector.count) components, the index expects \(dimension)")
        }
        let largest = metric == .cosine ? .greatestFiniteMagnitude : encoding.largestComponent
        var sumOfSquares: Float = 0
        for (i, x) in vector.enumerated() {
            guard x.isFinite else {
                throw SemblanceError(.nonFiniteComponent, "\(role) component \(i) is \(x); components must be finite")
            }
            guard abs(x) <= largest else {
                throw SemblanceError(.nonFiniteComponent,
                    "\(role) component \(i) is \(x), beyond \(encoding)'s ±\(largest), the index's encoding (float32 holds it)")
            }
            sumOfSquares += x * x
        }
        if metric == .cosine && sumOfSquares == 0 && !vector.contains(where: { $0 != 0 }) {
            throw SemblanceError(.zeroVector, "\(role) is all zeros, which has no direction under the cosine metric")
        }
    }

    /// Checks an id: not empty, at most ``maximumIDBytes`` UTF-8 bytes, no NUL.
    /// - Throws: `.invalidID`.
    public static func validate(id: String) throws(SemblanceError) {
        guard !id.isEmpty else { throw SemblanceError(.invalidID, "an id must not be empty") }
        let bytes = id.utf8.count
        guard bytes <= maximumIDBytes else {
            throw SemblanceError(.invalidID, "id of \(bytes) bytes is longer than the limit of \(maximumIDBytes) bytes")
        }
        guard !id.utf8.contains(0) else {
            throw SemblanceError(.invalidID, "id \(id.debugDescription) contains a NUL character")
        }
    }
}

extension VectorIndex {
    func validate(vector: [Float], role: String = "vector") throws(SemblanceError) {
        try configuration.validate(vector: vector, role: role)
    }

    static func validate(id: String) throws(SemblanceError) {
        try IndexConfiguration.validate(id: id)
    }
}
