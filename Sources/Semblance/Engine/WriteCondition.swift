/// What a write needs of the records it names, checked by the writer when it takes the write
/// (so no other write can come between the check and the write). A write whose condition
/// fails is answered with the error and leaves out of its group: nothing of it is logged.
enum WriteCondition: Sendable {
    /// Upserts, deletes and metadata changes as they come.
    case none
    /// An insert: no id may be stored (`.idExists` names those that are).
    case idsAbsent
    /// A change of vectors: every id must be stored (`.unknownID` otherwise), and its
    /// metadata stays (each upsert is given the metadata stored with its id).
    case idsStoredKeepingMetadata
}

/// The records as the writer's indexes hold them, with the writes of the group being
/// assembled applied on top: what a conditional write is checked against. Built only for a
/// group with a conditional write, over all the group's shards at once, and it tracks
/// metadata; `ShardStore.admit` then decides, per shard, which records change something and
/// are logged (a question every group asks, answered without metadata).
final class GroupView {
    private enum Known {
        case absent
        case stored(Metadata?)
    }

    private let indexes: [VectorIndex]
    /// Ids the group's earlier writes changed.
    private var changed: [String: Known] = [:]

    /// The indexes with `records` (the group's writes so far) applied.
    init(indexes: [VectorIndex], applying records: [LogRecord]) {
        self.indexes = indexes
        apply(records)
    }

    /// `records` as they will be logged when `condition` holds for them here, or the error;
    /// either way nothing is applied yet (see ``apply(_:)``).
    func resolve(_ records: [LogRecord], _ condition: WriteCondition) -> Result<[LogRecord], SemblanceError> {
        switch condition {
        case .none:
            return .success(records)
        case .idsAbsent:
            let existing = records.map(\.id).filter(isStored)
            guard existing.isEmpty else { return .failure(.idsExist(existing)) }
            return .success(records)
        case .idsStoredKeepingMetadata:
            var resolved: [LogRecord] = []
            resolved.reserveCapacity(records.count)
            for record in records {
                guard case .stored(let metadata) = known(record.id), let vector = record.vector else {
                    return .failure(SemblanceError(.unknownID, records.count == 1
                        ? "id \(record.id.debugDescription) is not stored"
                        : "record \(resolved.count): id \(record.id.debugDescription) is not stored"))
                }
                resolved.append(metadata.map { .upsertWithMetadata(id: record.id, vector: vector, metadata: $0) }
                                ?? .upsert(id: record.id, vector: vector))
            }
            return .success(resolved)
        }
    }

    /// Takes `records` (an accepted write of the group) into the view.
    func apply(_ records: [LogRecord]) {
        for record in records {
            switch record {
            case .upsert(let id, _): changed[id] = .stored(nil)
            case .upsertWithMetadata(let id, _, let metadata): changed[id] = .stored(metadata)
            case .delete(let id): changed[id] = .absent
            case .setMetadata(let id, let metadata):
                if isStored(id) { changed[id] = .stored(metadata) }
            }
        }
    }

    /// Whether `id` is stored here, without reading its metadata.
    private func isStored(_ id: String) -> Bool {
        if let known = changed[id] { if case .stored = known { return true } else { return false } }
        return indexes[ShardRouting.shard(of: id, shardCount: indexes.count)].contains(id)
    }

    private func known(_ id: String) -> Known {
        if let known = changed[id] { return known }
        let index = indexes[ShardRouting.shard(of: id, shardCount: indexes.count)]
        return index.contains(id) ? .stored(index.metadata(of: id)) : .absent
    }
}

extension SemblanceError {
    /// An insert met stored ids.
    static func idsExist(_ ids: [String]) -> SemblanceError {
        let named = ids.prefix(3).map(\.debugDescription).joined(separator: ", ") + (ids.count > 3 ? " and \(ids.count - 3) more" : "")
        var error = SemblanceError(.idExists, ids.count == 1 ? "id \(named) is stored already" : "ids \(named) are stored already")
        error.ids = ids
        return error
    }
}
