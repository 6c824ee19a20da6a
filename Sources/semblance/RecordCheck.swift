import Semblance

/// The library's checks on a record, made here first so that a bad record is reported with
/// its line number rather than its place in a batch.
enum RecordCheck {
    /// Why `vector` cannot be stored in (or searched in) a collection with `configuration`,
    /// or nil. `role` names it in the message: "vector", "query".
    static func problem(with vector: [Float], role: String = "vector", configuration: CollectionConfiguration) -> String? {
        // Worded for the command line, which speaks of collections, not of indexes.
        guard vector.count == configuration.dimension else {
            return "\(role) has \(vector.count) components, the collection's dimension is \(configuration.dimension)"
        }
        do {
            try configuration.index.validate(vector: vector, role: role)
            return nil
        } catch {
            return error.message
        }
    }

    /// Why `id` cannot be stored, or nil.
    static func problem(withID id: String) -> String? {
        do {
            try IndexConfiguration.validate(id: id)
            return nil
        } catch {
            return error.message
        }
    }
}
