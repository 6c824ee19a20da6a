/// What changed between two commits, by id.
public struct CollectionDiff: Sendable, Hashable, Codable {
    /// Ids only in the second commit, sorted.
    public var added: [String] = []
    /// Ids only in the first commit, sorted.
    public var removed: [String] = []
    /// Ids in both whose vector differs, sorted.
    public var vectorChanged: [String] = []
    /// Ids in both whose metadata differs, sorted (an id can be in both lists).
    public var metadataChanged: [String] = []

    public init() {}

    /// True when the two commits hold the same records.
    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && vectorChanged.isEmpty && metadataChanged.isEmpty }
}

/// A record as a diff or merge compares it. A diff that needs no values reads only the
/// vector's digest (`vector` is then empty); a merge reads the vector too.
struct StoredRecord: Equatable, Sendable {
    var vector: [Float]
    var metadata: Metadata?
    /// The first 16 bytes of the SHA-256 of the vector's components (see `VectorIndex.digest`).
    var digest: [UInt8] = []

    init(vector: [Float], metadata: Metadata?, digest: [UInt8]? = nil) {
        self.vector = vector
        self.metadata = metadata
        self.digest = digest ?? vector.withUnsafeBytes { VectorIndex.digest($0) }
    }

    /// Same vector: by digest (what every record has), bit for bit.
    static func sameVector(_ a: StoredRecord, _ b: StoredRecord) -> Bool { a.digest == b.digest }

    /// Vectors compare bit for bit (so 0 and -0 differ, as they do on disk).
    static func sameVector(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
    }
}

/// One id whose record differs between two commits: nil where it is absent.
struct RecordDelta: Sendable {
    var before: StoredRecord?
    var after: StoredRecord?

    var vectorChanged: Bool {
        guard let before, let after else { return false }
        return !StoredRecord.sameVector(before, after)
    }
    var metadataChanged: Bool {
        guard let before, let after else { return false }
        return before.metadata != after.metadata
    }
}

/// Compares two commits by their content addresses: a range of 1,024 node numbers whose
/// pages (ids, vectors, node records, metadata) have the same hashes in both holds the same
/// records at the same node numbers, and is not read. Only the ranges where some page
/// differs are read, on both sides, and their live records compared by id. Its cost grows
/// with the number of changed ranges: with the changed records when they are near each
/// other in insertion order (an upsert appends a node and marks the old one deleted), with
/// the collection when they are scattered or a compaction renumbered the nodes.
///
/// Why it is exact: an id live in a changed range on one side and live on the other side
/// is live in a changed range there too, since an unchanged range holds the same live ids
/// on both sides and an id is live at most once per shard.
struct CommitDiffer {
    let files: CollectionFiles

    static let rangeSize = 1024

    /// Every id that differs between `from` and `to` (nil: the empty collection). Without
    /// `values`, vectors are compared by their digests and not read (a diff); with them, the
    /// records carry their vectors (a merge).
    func deltas(from: ObjectHash?, to: ObjectHash?, values: Bool = true) throws(SemblanceError) -> [String: RecordDelta] {
        let a = try from.map { (hash) throws(SemblanceError) in try files.commit(hash) }
        let b = try to.map { (hash) throws(SemblanceError) in try files.commit(hash) }
        var deltas: [String: RecordDelta] = [:]
        for shard in 0..<files.configuration.shardCount {
            var left = try ShardPages(files, a?.shards[shard])
            var right = try ShardPages(files, b?.shards[shard])
            let ranges = left.changedRanges(comparedWith: right)
            let before = try left.liveRecords(in: ranges)
            let after = try right.liveRecords(in: ranges)
            for (id, node) in before {
                let old = try left.record(node, values: values)
                if let newNode = after[id] {
                    let new = try right.record(newNode, values: values)
                    if !StoredRecord.sameVector(old, new) || old.metadata != new.metadata {
                        deltas[id] = RecordDelta(before: old, after: new)
                    }
                } else {
                    deltas[id] = RecordDelta(before: old, after: nil)
                }
            }
            for (id, node) in after where before[id] == nil {
                deltas[id] = RecordDelta(before: nil, after: try right.record(node, values: values))
            }
        }
        return deltas
    }

    static func summary(_ deltas: [String: RecordDelta]) -> CollectionDiff {
        var diff = CollectionDiff()
        for (id, delta) in deltas {
            if delta.before == nil { diff.added.append(id) }
            else if delta.after == nil { diff.removed.append(id) }
            else {
                if delta.vectorChanged { diff.vectorChanged.append(id) }
                if delta.metadataChanged { diff.metadataChanged.append(id) }
            }
        }
        diff.added.sort()
        diff.removed.sort()
        diff.vectorChanged.sort()
        diff.metadataChanged.sort()
        return diff
    }
}

/// One shard of one commit, read a page at a time as a diff asks for nodes.
private struct ShardPages {
    let store: ObjectStore
    let manifest: ShardManifest?
    let dimension: Int
    let vectorStride: Int
    let vectorRowsPerPage: Int
    let nodeRowsPerPage: Int
    /// The metadata page of each 1,024-node range that has one.
    let metadataPageOfRange: [UInt32: ObjectHash]
    private var ids: [Int: ContiguousArray<String>] = [:]
    private var nodeRecords: [Int: [UInt8]] = [:]
    private var vectors: [Int: [UInt8]] = [:]
    private var metadata: [UInt32: [UInt32: Metadata]] = [:]
    private var digests: [Int: [UInt8]] = [:]

    init(_ files: CollectionFiles, _ manifest: ShardManifest?) throws(SemblanceError) {
        store = files.objects
        self.manifest = manifest
        let template = try VectorIndex(files.configuration.index)
        dimension = files.configuration.index.dimension
        vectorStride = template.vectors.stride
        vectorRowsPerPage = template.vectors.rowsPerPage
        nodeRowsPerPage = template.nodes.rowsPerPage
        var pages: [UInt32: ObjectHash] = [:]
        if let manifest, let hashes = manifest.metadata {
            guard let groups = manifest.metadataGroups, groups.count == hashes.count else {
                throw SemblanceError(.corruptFile, "the shard manifest's metadataGroups do not match its metadata pages", path: files.directory)
            }
            for (group, hash) in zip(groups, hashes) { pages[group] = hash }
        }
        metadataPageOfRange = pages
    }

    var nodeCount: Int { manifest?.nodeCount ?? 0 }

    /// The 1,024-node ranges in which a page differs from `other`'s (or exists on one side only).
    func changedRanges(comparedWith other: ShardPages) -> [Int] {
        let size = CommitDiffer.rangeSize
        let ranges = (max(nodeCount, other.nodeCount) + size - 1) / size
        func same(_ a: [ObjectHash]?, _ b: [ObjectHash]?, pages: Range<Int>) -> Bool {
            pages.allSatisfy { p in
                let left = a.flatMap { p < $0.count ? $0[p] : nil }
                let right = b.flatMap { p < $0.count ? $0[p] : nil }
                return left == right
            }
        }
        func pages(of range: Int, rowsPerPage: Int) -> Range<Int> {
            (range * size / rowsPerPage)..<(((range + 1) * size - 1) / rowsPerPage + 1)
        }
        // A vector page and its digest page change together: the digest pages, when both sides
        // have them, are the smaller to compare (and the ones read).
        let bothDigested = manifest?.vectorDigests != nil && other.manifest?.vectorDigests != nil
        let leftVectors = bothDigested ? manifest?.vectorDigests : manifest?.vectors
        let rightVectors = bothDigested ? other.manifest?.vectorDigests : other.manifest?.vectors
        return (0..<ranges).filter { range in
            !(same(manifest?.ids, other.manifest?.ids, pages: range..<(range + 1))
                && same(leftVectors, rightVectors, pages: pages(of: range, rowsPerPage: vectorRowsPerPage))
                && same(manifest?.nodeRecords, other.manifest?.nodeRecords, pages: pages(of: range, rowsPerPage: nodeRowsPerPage))
                && metadataPageOfRange[UInt32(range)] == other.metadataPageOfRange[UInt32(range)])
        }
    }

    /// The live ids in `ranges`, and their nodes.
    mutating func liveRecords(in ranges: [Int]) throws(SemblanceError) -> [String: UInt32] {
        var live: [String: UInt32] = [:]
        for range in ranges {
            let end = min((range + 1) * CommitDiffer.rangeSize, nodeCount)
            var node = range * CommitDiffer.rangeSize
            while node < end {
                if try !isDeleted(node) { live[try id(node)] = UInt32(node) }
                node += 1
            }
        }
        return live
    }

    mutating func record(_ node: UInt32, values: Bool) throws(SemblanceError) -> StoredRecord {
        if !values, let digest = try digest(Int(node)) {
            return StoredRecord(vector: [], metadata: try metadata(node), digest: digest)
        }
        return StoredRecord(vector: try vector(Int(node)), metadata: try metadata(node))
    }

    /// The stored digest of a node's vector, nil when the commit has no digest pages.
    private mutating func digest(_ node: Int) throws(SemblanceError) -> [UInt8]? {
        guard let pages = manifest?.vectorDigests else { return nil }
        let page = node / vectorRowsPerPage
        if digests[page] == nil { digests[page] = try payload(pages, page, .vectorDigests) }
        let offset = (node % vectorRowsPerPage) * 16
        guard offset + 16 <= digests[page]!.count else { throw damaged("digest page \(page) ends before node \(node)") }
        return Array(digests[page]![offset..<(offset + 16)])
    }

    private mutating func id(_ node: Int) throws(SemblanceError) -> String {
        let page = node / ChunkedArray<String>.chunkSize
        if ids[page] == nil {
            let hash = manifest!.ids[page]
            ids[page] = try PageObject.decodeIDs(store.get(hash), file: store.path(of: hash))
        }
        let chunk = ids[page]!
        let row = node % ChunkedArray<String>.chunkSize
        guard row < chunk.count else { throw damaged("id page \(page) ends before node \(node)") }
        return chunk[row]
    }

    private mutating func isDeleted(_ node: Int) throws(SemblanceError) -> Bool {
        let page = node / nodeRowsPerPage
        if nodeRecords[page] == nil { nodeRecords[page] = try payload(manifest!.nodeRecords, page, .nodeRecords) }
        let offset = (node % nodeRowsPerPage) * MemoryLayout<NodeRecord>.stride
        guard offset + MemoryLayout<NodeRecord>.stride <= nodeRecords[page]!.count else { throw damaged("node page \(page) ends before node \(node)") }
        let record = nodeRecords[page]!.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: NodeRecord.self) }
        return record.isDeleted
    }

    private mutating func vector(_ node: Int) throws(SemblanceError) -> [Float] {
        let page = node / vectorRowsPerPage
        if vectors[page] == nil { vectors[page] = try payload(manifest!.vectors, page, .vectors) }
        let offset = (node % vectorRowsPerPage) * vectorStride * 4
        guard offset + dimension * 4 <= vectors[page]!.count else { throw damaged("vector page \(page) ends before node \(node)") }
        return vectors[page]!.withUnsafeBytes { raw in
            (0..<dimension).map { raw.loadUnaligned(fromByteOffset: offset + $0 * 4, as: Float.self) }
        }
    }

    private mutating func metadata(_ node: UInt32) throws(SemblanceError) -> Metadata? {
        let range = node / UInt32(CommitDiffer.rangeSize)
        guard let hash = metadataPageOfRange[range] else { return nil }
        if metadata[range] == nil {
            var entries: [UInt32: Metadata] = [:]
            for (entryNode, value) in try PageObject.decodeMetadata(store.get(hash), file: store.path(of: hash)) { entries[entryNode] = value }
            metadata[range] = entries
        }
        return metadata[range]![node]
    }

    private func payload(_ hashes: [ObjectHash], _ page: Int, _ kind: PageObject.Kind) throws(SemblanceError) -> [UInt8] {
        guard page < hashes.count else { throw damaged("no \(kind) page \(page)") }
        return try PageObject.decode(store.get(hashes[page]), kind: kind, file: store.path(of: hashes[page])).payload
    }

    private func damaged(_ what: String) -> SemblanceError {
        SemblanceError(.corruptFile, "shard pages inconsistent: \(what)", path: store.directory)
    }
}
