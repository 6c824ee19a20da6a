import Semblance

/// The checks the library makes on a record, made here first so that a bad record is
/// reported with its line number rather than its place in a batch.
enum RecordCheck {
    /// Why `vector` cannot be stored in (or searched in) a collection with `configuration`,
    /// or nil. `role` names it in the message: "vector", "query".
    static func problem(with vector: [Float], role: String = "vector", configuration: CollectionConfiguration) -> String? {
        guard vector.count == configuration.dimension else {
            return "\(role) has \(vector.count) components, the collection's dimension is \(configuration.dimension)"
        }
        if let bad = vector.firstIndex(where: { !$0.isFinite }) {
            return "\(role) component \(bad) is \(vector[bad]); components must be finite"
        }
        if configuration.metric == .cosine && vector.allSatisfy({ $0 == 0 }) {
            return "\(role) is all zeros, which has no direction under the cosine metric"
        }
        return nil
    }

    /// Why `id` cannot be stored, or nil.
    static func problem(withID id: String) -> String? {
        if id.isEmpty { return "the id is empty" }
        if id.utf8.count > IndexConfiguration.maximumIDBytes {
            return "the id is \(id.utf8.count) bytes, over the limit of \(IndexConfiguration.maximumIDBytes)"
        }
        if id.utf8.contains(0) { return "the id contains a NUL character" }
        return nil
    }
}
