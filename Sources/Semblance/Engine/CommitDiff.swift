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

    /// An empty diff.
    public init() {}

    /// True when the two commits hold the same records.
    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && vectorChanged.isEmpty && metadataChanged.isEmpty }
}

/// A record as a diff or merge compares it. A diff reads only the vector's digest (`vector`
/// is then empty); a merge reads the vectors of the records it may write.
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

    /// The same record, or both absent: the vector by digest, the metadata by value.
    static func same(_ a: StoredRecord?, _ b: StoredRecord?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return sameVector(a, b) && a.metadata == b.metadata
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
/// records at the same node numbers, and is not read. In a changed range whose id and vector
/// pages are the same on both sides (nodes are only ever appended, so a node keeps its id
/// and vector until a compaction renumbers them), only liveness and metadata can differ:
/// the diff compares those node by node and looks up the ids of the nodes that differ. A
/// changed range whose ids or vectors differ (new nodes at the end, or a compaction) is read
/// whole on both sides. Its cost grows with the number of changed nodes and whole-read
/// ranges, plus a liveness read of every changed range (8 bytes a node); vectors are
/// compared by their digests (16 bytes a node), never read for a diff.
///
/// Why it is exact: an id live on one side at a node that is not live at the same node on
/// the other side is live, on the other side, at most at one node, and that node is in a
/// changed range too (an unchanged range holds the same live ids on both sides), where it
/// is either not live at the same node on this side or in a range read whole. Pairing the
/// ids so collected finds every moved, added and removed record.
struct CommitDiffer {
    let files: CollectionFiles

    static let rangeSize = 1024

    /// Every id that differs between `from` and `to` (nil: the empty collection). Vectors
    /// are compared by their digests; with `values`, the records of `to` carry their vectors
    /// too (what a merge writes), and those of `from` never do.
    func deltas(from: ObjectHash?, to: ObjectHash?, values: Bool = true) throws(SemblanceError) -> [String: RecordDelta] {
        let a = try from.map { (hash) throws(SemblanceError) in try files.commit(hash) }
        let b = try to.map { (hash) throws(SemblanceError) in try files.commit(hash) }
        var deltas: [String: RecordDelta] = [:]
        for shard in 0..<files.configuration.shardCount {
            var left = try ShardPages(files, a?.shards[shard])
            var right = try ShardPages(files, b?.shards[shard])
            // Ids live on one side only at their node, with that node.
            var before: [String: UInt32] = [:]
            var after: [String: UInt32] = [:]
            for range in left.changedRanges(comparedWith: right) {
                guard left.sameNodes(in: range, as: right) else {
                    before.merge(try left.liveRecords(in: range)) { first, _ in first }
                    after.merge(try right.liveRecords(in: range)) { first, _ in first }
                    continue
                }
                let liveBefore = try left.liveness(in: range), liveAfter = try right.liveness(in: range)
                let metadataPages = left.metadataPageOfRange[UInt32(range)] == right.metadataPageOfRange[UInt32(range)]
                    ? nil : (try left.metadataPage(UInt32(range)), try right.metadataPage(UInt32(range)))
                for (row, node) in left.nodes(in: range).enumerated() {
                    switch (liveBefore[row], liveAfter[row]) {
                    case (true, true):
                        if let (mine, theirs) = metadataPages, try !MetadataPage.same(node, mine, theirs) {
                            // Same id, same vector: the metadata alone changed.
                            deltas[try left.id(node)] = RecordDelta(before: try left.record(node, values: false),
                                                                   after: try right.record(node, values: values))
                        }
                    case (true, false): before[try left.id(node)] = node
                    case (false, true): after[try right.id(node)] = node
                    case (false, false): break
                    }
                }
            }
            for (id, node) in before {
                let old = try left.record(node, values: false)
                if let newNode = after[id] {
                    let new = try right.record(newNode, values: values)
                    if !StoredRecord.same(old, new) {
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
    private var metadataPages: [UInt32: MetadataPage] = [:]
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
        let (leftVectors, rightVectors) = comparableVectorPages(other)
        return (0..<ranges).filter { range in
            !(same(manifest?.ids, other.manifest?.ids, pages: range..<(range + 1))
                && same(leftVectors, rightVectors, pages: Self.pages(of: range, rowsPerPage: vectorRowsPerPage))
                && same(manifest?.nodeRecords, other.manifest?.nodeRecords, pages: Self.pages(of: range, rowsPerPage: nodeRowsPerPage))
                && metadataPageOfRange[UInt32(range)] == other.metadataPageOfRange[UInt32(range)])
        }
    }

    /// The node numbers of a 1,024-node range that this side has.
    func nodes(in range: Int) -> Range<UInt32> {
        let start = range * CommitDiffer.rangeSize
        return UInt32(min(start, nodeCount))..<UInt32(min(start + CommitDiffer.rangeSize, nodeCount))
    }

    /// The pages of a row table that hold the rows of a 1,024-node range.
    private static func pages(of range: Int, rowsPerPage: Int) -> Range<Int> {
        let size = CommitDiffer.rangeSize
        return (range * size / rowsPerPage)..<(((range + 1) * size - 1) / rowsPerPage + 1)
    }

    /// The pages that tell whether two sides hold the same vectors: a vector page and its
    /// digest page change together, and the digest pages, when both sides have them, are the
    /// smaller to compare (and the ones read).
    private func comparableVectorPages(_ other: ShardPages) -> ([ObjectHash]?, [ObjectHash]?) {
        guard let mine = manifest?.vectorDigests, let theirs = other.manifest?.vectorDigests else {
            return (manifest?.vectors, other.manifest?.vectors)
        }
        return (mine, theirs)
    }

    /// True when `range` holds the same ids and vectors at the same nodes on both sides (so
    /// only liveness and metadata can differ there).
    func sameNodes(in range: Int, as other: ShardPages) -> Bool {
        guard nodes(in: range) == other.nodes(in: range), let ids = manifest?.ids, let otherIDs = other.manifest?.ids,
              range < ids.count, range < otherIDs.count, ids[range] == otherIDs[range] else { return false }
        let pages = Self.pages(of: range, rowsPerPage: vectorRowsPerPage)
        let (mine, theirs) = comparableVectorPages(other)
        guard let mine, let theirs, pages.upperBound <= mine.count, pages.upperBound <= theirs.count else { return false }
        return pages.allSatisfy { mine[$0] == theirs[$0] }
    }

    /// The live ids in `range`, and their nodes.
    mutating func liveRecords(in range: Int) throws(SemblanceError) -> [String: UInt32] {
        var live: [String: UInt32] = [:]
        for (row, isLive) in try liveness(in: range).enumerated() where isLive {
            let node = nodes(in: range).lowerBound + UInt32(row)
            live[try id(node)] = node
        }
        return live
    }

    /// Whether each node of `range` is live, in node order.
    mutating func liveness(in range: Int) throws(SemblanceError) -> [Bool] {
        let nodes = nodes(in: range)
        var live: [Bool] = []
        live.reserveCapacity(nodes.count)
        var page = -1
        var records: [UInt8] = []
        for node in nodes.lazy.map(Int.init) {
            if node / nodeRowsPerPage != page {
                page = node / nodeRowsPerPage
                if nodeRecords[page] == nil { nodeRecords[page] = try payload(manifest!.nodeRecords, page, .nodeRecords) }
                records = nodeRecords[page]!
            }
            let offset = (node % nodeRowsPerPage) * MemoryLayout<NodeRecord>.stride
            guard offset + MemoryLayout<NodeRecord>.stride <= records.count else { throw damaged("node page \(page) ends before node \(node)") }
            live.append(!records.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: NodeRecord.self) }.isDeleted)
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

    mutating func id(_ node: UInt32) throws(SemblanceError) -> String {
        let node = Int(node)
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
        try metadataPage(node / UInt32(CommitDiffer.rangeSize))?.metadata(node)
    }

    /// The metadata page of a 1,024-node range, nil when it has none.
    mutating func metadataPage(_ range: UInt32) throws(SemblanceError) -> MetadataPage? {
        guard let hash = metadataPageOfRange[range] else { return nil }
        if let page = metadataPages[range] { return page }
        let page = try MetadataPage(store.get(hash), range: range, file: store.path(of: hash))
        metadataPages[range] = page
        return page
    }

    private func payload(_ hashes: [ObjectHash], _ page: Int, _ kind: PageObject.Kind) throws(SemblanceError) -> [UInt8] {
        guard page < hashes.count else { throw damaged("no \(kind) page \(page)") }
        return try PageObject.decode(store.get(hashes[page]), kind: kind, file: store.path(of: hashes[page])).payload
    }

    private func damaged(_ what: String) -> SemblanceError {
        SemblanceError(.corruptFile, "shard pages inconsistent: \(what)", path: store.directory)
    }
}

/// One metadata page as a diff reads it: each node's entry as bytes, decoded on demand.
private struct MetadataPage {
    let payload: [UInt8]
    let file: String
    /// Where each node's entry lies in the payload, by node within the 1,024-node range.
    let entries: [Range<Int>?]
    let firstNode: UInt32

    init(_ bytes: [UInt8], range: UInt32, file: String) throws(SemblanceError) {
        let (payload, list) = try PageObject.metadataEntryBytes(bytes, file: file)
        var entries = [Range<Int>?](repeating: nil, count: CommitDiffer.rangeSize)
        firstNode = range * UInt32(CommitDiffer.rangeSize)
        for (node, bytes) in list {
            guard node >= firstNode, node - firstNode < UInt32(CommitDiffer.rangeSize) else {
                throw SemblanceError(.corruptFile, "metadata page for nodes from \(firstNode) holds node \(node)", path: file)
            }
            entries[Int(node - firstNode)] = bytes
        }
        self.payload = payload
        self.file = file
        self.entries = entries
    }

    func entry(_ node: UInt32) -> ArraySlice<UInt8>? {
        entries[Int(node - firstNode)].map { payload[$0] }
    }

    /// Whether a node has the same metadata in two pages (nil: no page): by their bytes, and
    /// by value only where the bytes differ (0 and -0 are equal numbers).
    static func same(_ node: UInt32, _ a: MetadataPage?, _ b: MetadataPage?) throws(SemblanceError) -> Bool {
        let mine = a?.entry(node), theirs = b?.entry(node)
        if mine == theirs { return true }
        guard let a, let b, mine != nil, theirs != nil else { return false }
        return try a.metadata(node) == b.metadata(node)
    }

    func metadata(_ node: UInt32) throws(SemblanceError) -> Metadata? {
        guard let bytes = entries[Int(node - firstNode)] else { return nil }
        var reader = ByteReader(Array(payload[bytes]), file: file + " (page payload)", baseOffset: bytes.lowerBound)
        return try Metadata.decode(from: &reader)
    }
}
