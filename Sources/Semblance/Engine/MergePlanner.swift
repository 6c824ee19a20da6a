import Foundation

/// What a merge does with an id changed differently on both sides.
public enum MergeStrategy: String, Sendable, Hashable, Codable, CaseIterable {
    /// Throw `.mergeConflict` listing the ids; nothing is written.
    case failOnConflict = "fail"
    /// Keep the current branch's record.
    case ours
    /// Take the merged branch's record.
    case theirs
}

/// A three-way merge by id: the changes from the common ancestor to the merged commit
/// ("theirs") are applied to the current branch ("ours": its shards as they are now, the
/// writes in its log included), except where ours changed the same thing differently (a
/// conflict). A vector changed on one side and metadata on the other merge field by field;
/// so do identical changes on both sides. Only the ids theirs changed are looked at: an id
/// only ours changed stays as it is.
struct MergePlanner {
    let files: CollectionFiles
    let base: ObjectHash?
    let theirs: ObjectHash

    /// `current` (ours' shards) with theirs' changes applied.
    /// - Throws: `.mergeConflict` with the conflicting ids under `.failOnConflict`.
    func merge(_ current: [VectorIndex], strategy: MergeStrategy) throws(SemblanceError) -> [VectorIndex] {
        let theirChanges = try CommitDiffer(files: files).deltas(from: base, to: theirs)
        var records: [LogRecord] = []
        var conflicts: [String] = []
        for (id, their) in theirChanges {
            let shard = current[ShardRouting.shard(of: id, shardCount: current.count)]
            let ours = shard.get(id).map { StoredRecord(vector: $0, metadata: shard.metadata(of: id)) }
            if StoredRecord.same(ours, their.after) { continue }
            if StoredRecord.same(ours, their.before) {
                records.append(Self.record(id, their.after))
                continue
            }
            if let merged = Self.fieldByField(RecordDelta(before: their.before, after: ours), their) {
                if !StoredRecord.same(merged, ours) { records.append(Self.record(id, merged)) }
                continue
            }
            switch strategy {
            case .failOnConflict: conflicts.append(id)
            case .ours: continue
            case .theirs: records.append(Self.record(id, their.after))
            }
        }
        if !conflicts.isEmpty {
            conflicts.sort()
            var error = SemblanceError(.mergeConflict,
                "\(conflicts.count) id\(conflicts.count == 1 ? "" : "s") changed differently on both sides: \(conflicts.prefix(10).map(\.debugDescription).joined(separator: ", "))\(conflicts.count > 10 ? ", …" : ""); nothing was merged (choose the strategy ours or theirs)")
            error.ids = conflicts
            throw error
        }
        let (perShard, _) = ShardRouting.split(records, shardCount: current.count)
        var merged = current
        for shard in merged.indices where !perShard[shard].isEmpty {
            ShardStore.apply(perShard[shard], to: &merged[shard], parallelism: ProcessInfo.processInfo.activeProcessorCount)
        }
        return merged
    }

    /// The record both sides agree on field by field, or nil when a field changed
    /// differently on both (or one side deleted or added what the other has otherwise).
    static func fieldByField(_ our: RecordDelta, _ their: RecordDelta) -> StoredRecord? {
        guard let before = our.before, let ourAfter = our.after, let theirAfter = their.after else { return nil }
        let ourVector = !StoredRecord.sameVector(before, ourAfter)
        let theirVector = !StoredRecord.sameVector(before, theirAfter)
        if ourVector && theirVector && !StoredRecord.sameVector(ourAfter, theirAfter) { return nil }
        let ourMetadata = before.metadata != ourAfter.metadata
        let theirMetadata = before.metadata != theirAfter.metadata
        if ourMetadata && theirMetadata && ourAfter.metadata != theirAfter.metadata { return nil }
        return StoredRecord(vector: theirVector ? theirAfter.vector : ourAfter.vector,
                            metadata: theirMetadata ? theirAfter.metadata : ourAfter.metadata)
    }

    static func record(_ id: String, _ record: StoredRecord?) -> LogRecord {
        guard let record else { return .delete(id: id) }
        return record.metadata.map { .upsertWithMetadata(id: id, vector: record.vector, metadata: $0) }
            ?? .upsert(id: id, vector: record.vector)
    }
}
