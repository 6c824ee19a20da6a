/// The checks a write passes before anything is logged: each request is checked whole, so
/// one bad record fails its request and changes nothing.
enum WriteChecks {
    /// Why `records` (with their metadata) cannot be upserted as one batch, or nil.
    static func check(_ records: [VectorRecord], configuration: IndexConfiguration) -> SemblanceError? {
        var seen = Set<String>()
        for (offset, record) in records.enumerated() {
            do {
                try IndexConfiguration.validate(id: record.id)
                try configuration.validate(vector: record.vector)
                try record.metadata?.validate()
            } catch {
                return SemblanceError(error.code, records.count == 1 ? error.message : "record \(offset): \(error.message)")
            }
            guard seen.insert(record.id).inserted else {
                return SemblanceError(.duplicateID, "record \(offset): id \(record.id.debugDescription) appears twice in the batch")
            }
        }
        return nil
    }

    /// Why `ids` cannot be deleted, or nil when they can.
    static func check(_ ids: [String]) -> SemblanceError? {
        for id in ids {
            do { try IndexConfiguration.validate(id: id) } catch { return error }
        }
        return nil
    }

    /// Why these metadata changes cannot be made, or nil when they can.
    static func check(_ changes: [(id: String, metadata: Metadata?)]) -> SemblanceError? {
        for (offset, change) in changes.enumerated() {
            do {
                try IndexConfiguration.validate(id: change.id)
                try change.metadata?.validate()
            } catch {
                return SemblanceError(error.code, changes.count == 1 ? error.message : "change \(offset): \(error.message)")
            }
        }
        return nil
    }
}
