import Crypto

/// One shard's state in a commit: its page objects per table and the index's scalar fields.
struct ShardManifest: Codable, Equatable, Sendable {
    var nodeCount: Int
    var upperRowCount: Int
    var liveCount: Int
    var entryPoint: UInt32?
    var maxLevel: Int
    var levelGeneratorState: UInt64
    /// The last write-ahead-log sequence number this state includes (0: none).
    var appliedSequence: UInt64
    var vectors: [ObjectHash]
    var level0Links: [ObjectHash]
    var upperLinks: [ObjectHash]
    var nodeRecords: [ObjectHash]
    var ids: [ObjectHash]
    /// Metadata pages: live nodes' metadata, one page per 1,024 node numbers that have
    /// some (absent in commits written before metadata existed).
    var metadata: [ObjectHash]? = nil
    /// The 1,024-node range of each metadata page (node number / 1,024), in the same order:
    /// a diff finds a node's metadata page without reading the others.
    var metadataGroups: [UInt32]? = nil
    /// For each vector page, a page of 16-byte digests of its rows (the first 16 bytes of
    /// the SHA-256 of each vector's components): a diff compares these instead of reading
    /// vectors.
    var vectorDigests: [ObjectHash]? = nil

    var allObjects: [ObjectHash] { vectors + level0Links + upperLinks + nodeRecords + ids + (metadata ?? []) + (vectorDigests ?? []) }

    /// Each vector page's digest page.
    var digestOfVectorPage: [ObjectHash: ObjectHash] {
        guard let vectorDigests, vectorDigests.count == vectors.count else { return [:] }
        return Dictionary(zip(vectors, vectorDigests)) { first, _ in first }
    }
}

/// What writing a shard's pages cost.
struct PageWriteStatistics: Equatable, Sendable {
    var objects = 0
    var objectsWritten = 0
    var bytes = 0
    var bytesWritten = 0

    mutating func add(_ other: PageWriteStatistics) {
        objects += other.objects
        objectsWritten += other.objectsWritten
        bytes += other.bytes
        bytesWritten += other.bytesWritten
    }
}

extension VectorIndex {
    /// Writes every page of this index as a content-addressed object (those that exist are
    /// not written again) and returns the manifest that names them.
    func writePages(to store: ObjectStore, durable: inout Set<ObjectHash>, appliedSequence: UInt64,
                    digests known: [ObjectHash: ObjectHash] = [:]) throws(SemblanceError) -> (ShardManifest, PageWriteStatistics) {
        var statistics = PageWriteStatistics()
        func put(_ bytes: [UInt8]) throws(SemblanceError) -> ObjectHash {
            let (hash, written) = try store.put(bytes, durable: &durable)
            statistics.objects += 1
            statistics.bytes += bytes.count
            if written {
                statistics.objectsWritten += 1
                statistics.bytesWritten += bytes.count
            }
            return hash
        }
        func table<T>(_ rows: PagedRows<T>, _ kind: PageObject.Kind) throws(SemblanceError) -> [ObjectHash] {
            var hashes: [ObjectHash] = []
            let rowBytes = rows.stride * MemoryLayout<T>.stride
            for p in 0..<rows.pages.count {
                let used = min(rows.rowsPerPage, rows.count - p * rows.rowsPerPage)
                // A stored page is its object: named again without reading it, when durable here.
                if let stored = rows.stored(page: p), let hash = ObjectHash(hex: stored.name), durable.contains(hash) {
                    store.pins?.use(hash)
                    statistics.objects += 1
                    statistics.bytes += PageObject.headerSize + used * rowBytes
                    hashes.append(hash)
                    continue
                }
                hashes.append(try rows.withRows(ofPage: p) { (base) throws(SemblanceError) in
                    try put(PageObject.encode(kind: kind, count: used, payload: UnsafeRawBufferPointer(start: base, count: used * rowBytes)))
                })
            }
            return hashes
        }
        let metadata = metadataPages()
        let vectorPages = try table(vectors, .vectors)
        // A vector page stored before keeps its digest page: only new pages are hashed row by row.
        var digestPages: [ObjectHash] = []
        for (p, page) in vectorPages.enumerated() {
            if let digest = known[page], durable.contains(digest) {
                store.pins?.use(digest)
                digestPages.append(digest)
                statistics.objects += 1
                continue
            }
            digestPages.append(try put(try rowDigests(ofPage: p)))
        }
        let manifest = ShardManifest(
            nodeCount: nodes.count, upperRowCount: upperLinks.count, liveCount: liveCount,
            entryPoint: entryPoint, maxLevel: maxLevel, levelGeneratorState: levels.state,
            appliedSequence: appliedSequence,
            vectors: vectorPages, level0Links: try table(level0Links, .level0Links),
            upperLinks: try table(upperLinks, .upperLinks), nodeRecords: try table(nodes, .nodeRecords),
            ids: try nodeIDs.chunks.map { (chunk) throws(SemblanceError) in try put(PageObject.encodeIDs(chunk)) },
            metadata: metadata.isEmpty ? nil : try metadata.map { (page) throws(SemblanceError) in try put(PageObject.encodeMetadata(page)) },
            metadataGroups: metadata.isEmpty ? nil : metadata.map { $0[0].node / 1024 },
            vectorDigests: digestPages)
        return (manifest, statistics)
    }

    /// The digest page of vector page `p`: 16 bytes per row in it.
    private func rowDigests(ofPage p: Int) throws(SemblanceError) -> [UInt8] {
        let rows = min(vectors.rowsPerPage, vectors.count - p * vectors.rowsPerPage)
        var payload: [UInt8] = []
        payload.reserveCapacity(rows * 16)
        try vectors.withRows(ofPage: p) { base in
            for row in 0..<rows {
                payload += Self.digest(UnsafeRawBufferPointer(start: base + row * vectors.stride, count: configuration.dimension * 4))
            }
        }
        return payload.withUnsafeBytes { PageObject.encode(kind: .vectorDigests, count: rows, payload: $0) }
    }

    /// Checks that a digest page (row count, payload) holds the digests of a vector page's rows.
    static func checkDigests(_ digests: (count: Int, payload: [UInt8]), of vectors: (count: Int, payload: [UInt8]),
                             dimension: Int, file: String) throws(SemblanceError) {
        guard digests.count == vectors.count, digests.payload.count == vectors.count * 16, vectors.count > 0,
              vectors.payload.count % vectors.count == 0, vectors.payload.count / vectors.count >= dimension * 4 else {
            throw SemblanceError(.corruptFile, "vector digest page holds \(digests.count) rows in \(digests.payload.count) bytes for a vector page of \(vectors.count) rows", path: file)
        }
        let stride = vectors.payload.count / vectors.count
        let wrong = vectors.payload.withUnsafeBytes { raw in
            (0..<vectors.count).first { row in
                let start = row * stride
                return !digest(UnsafeRawBufferPointer(rebasing: raw[start..<(start + dimension * 4)]))
                    .elementsEqual(digests.payload[(row * 16)..<(row * 16 + 16)])
            }
        }
        if let wrong {
            throw SemblanceError(.corruptFile, "the digest of row \(wrong) (payload bytes \(wrong * 16) ..< \(wrong * 16 + 16)) does not match its vector", path: file)
        }
    }

    /// The first 16 bytes of the SHA-256 of a vector's components, as stored.
    static func digest(_ components: UnsafeRawBufferPointer) -> [UInt8] {
        Array(SHA256.hash(data: components).prefix(16))
    }

    /// The metadata entries sorted by node, split where node numbers cross a multiple of
    /// 1,024: a change touches one page, and the other pages keep their bytes and hashes.
    private func metadataPages() -> [[(node: UInt32, metadata: Metadata)]] {
        let sorted = metadataByNode.map { (node: $0.key, metadata: $0.value) }.sorted { $0.node < $1.node }
        var pages: [[(node: UInt32, metadata: Metadata)]] = []
        var currentPage = UInt32.max
        for entry in sorted {
            if entry.node / 1024 != currentPage {
                pages.append([])
                currentPage = entry.node / 1024
            }
            pages[pages.count - 1].append(entry)
        }
        return pages
    }

    /// Rebuilds an index from a manifest's pages, reading each object once and checking its
    /// hash; nothing of the graph is recomputed. The structure is checked for bounds (links
    /// in range, levels and counts consistent) so that damage can never crash a search.
    /// - Parameter storingOriginals: whether the pages of originals are then read from
    ///   their objects on demand (``storeOriginals(_:in:only:)``), as an index that is kept
    ///   wants; false for one that is only checked and dropped.
    static func readPages(_ manifest: ShardManifest, configuration: IndexConfiguration, store: ObjectStore,
                          storingOriginals: Bool = true) throws(SemblanceError) -> VectorIndex {
        var index = try VectorIndex(configuration)
        guard manifest.nodeCount >= 0, manifest.upperRowCount >= 0, manifest.liveCount >= 0,
              manifest.nodeCount < Int(UInt32.max), manifest.maxLevel >= 0, manifest.maxLevel <= 31,
              manifest.appliedSequence < UInt64.max / 2
        else {
            throw SemblanceError(.corruptFile, "shard manifest has counts out of range (in its commit)", path: store.directory)
        }
        func rows<T>(_ template: PagedRows<T>, _ hashes: [ObjectHash], _ kind: PageObject.Kind, count: Int) throws(SemblanceError) -> PagedRows<T> {
            try PagedRows.restore(like: template, count: count, pages: hashes.count, source: "\(store.directory) (\(kind) pages)") { (p) throws(SemblanceError) in
                try PageObject.decode(store.get(hashes[p]), kind: kind, file: store.path(of: hashes[p])).payload
            }
        }
        index.vectors = try rows(index.vectors, manifest.vectors, .vectors, count: manifest.nodeCount)
        index.encodeRestoredVectors()
        // At once, before the other tables are read: the originals' memory goes back first.
        if storingOriginals { index.storeOriginals(manifest.vectors, in: store) }
        index.level0Links = try rows(index.level0Links, manifest.level0Links, .level0Links, count: manifest.nodeCount)
        index.upperLinks = try rows(index.upperLinks, manifest.upperLinks, .upperLinks, count: manifest.upperRowCount)
        index.nodes = try rows(index.nodes, manifest.nodeRecords, .nodeRecords, count: manifest.nodeCount)
        var chunks: [ContiguousArray<String>] = []
        for (i, hash) in manifest.ids.enumerated() {
            let chunk = try PageObject.decodeIDs(store.get(hash), file: store.path(of: hash))
            // Every id page but the last holds exactly one chunk's worth, or lookups would miss.
            let expected = min(ChunkedArray<String>.chunkSize, manifest.nodeCount - i * ChunkedArray<String>.chunkSize)
            guard chunk.count == expected else {
                throw SemblanceError(.corruptFile, "id page \(i) holds \(chunk.count) ids, expected \(expected)", path: store.path(of: hash), offset: 0)
            }
            chunks.append(chunk)
        }
        index.nodeIDs = ChunkedArray(chunks: chunks)
        index.entryPoint = manifest.entryPoint
        index.maxLevel = manifest.maxLevel
        index.levels = LevelGenerator(state: manifest.levelGeneratorState, m: configuration.m)
        try index.rebuildIDMapAndCheckBounds(manifest: manifest, source: store.directory)
        guard manifest.vectorDigests.map({ $0.count == manifest.vectors.count }) ?? true else {
            throw SemblanceError(.corruptFile, "the shard manifest names \(manifest.vectorDigests?.count ?? 0) vector digest pages for \(manifest.vectors.count) vector pages", path: store.directory)
        }
        // The digest pages are read too (their hashes and row counts checked): a commit whose
        // diff pages are damaged does not open, as one with damaged vectors does not.
        for (p, hash) in (manifest.vectorDigests ?? []).enumerated() {
            let file = store.path(of: hash)
            let (rows, payload) = try PageObject.decode(store.get(hash), kind: .vectorDigests, file: file)
            let expected = min(index.vectors.rowsPerPage, manifest.nodeCount - p * index.vectors.rowsPerPage)
            guard rows == expected, payload.count == rows * 16 else {
                throw SemblanceError(.corruptFile, "vector digest page \(p) holds \(rows) rows in \(payload.count) bytes, expected \(expected) rows of 16 bytes", path: file, offset: 0)
            }
        }
        let metadataPages = manifest.metadata ?? []
        guard manifest.metadataGroups.map({ $0.count == metadataPages.count && zip($0, $0.dropFirst()).allSatisfy { $0 < $1 } })
                ?? metadataPages.isEmpty else {
            throw SemblanceError(.corruptFile, "the shard manifest's metadataGroups do not match its \(metadataPages.count) metadata pages", path: store.directory)
        }
        for (page, hash) in metadataPages.enumerated() {
            let file = store.path(of: hash)
            for (node, metadata) in try PageObject.decodeMetadata(store.get(hash), file: file) {
                guard Int(node) < index.nodes.count, node / 1024 == manifest.metadataGroups![page], !index.nodes.row(Int(node)).pointee.isDeleted,
                      index.metadataByNode.updateValue(metadata, forKey: node) == nil
                else {
                    throw SemblanceError(.corruptFile, "metadata for node \(node), which is not a live node or appears twice", path: file, offset: 0)
                }
                // The field indexes are not stored: they are rebuilt here from the metadata.
                index.metadataIndex.add(node, metadata)
            }
        }
        return index
    }

    /// Restores the id → node map from the node ids and tombstones, and checks every bound a
    /// search relies on.
    private mutating func rebuildIDMapAndCheckBounds(manifest: ShardManifest, source: String) throws(SemblanceError) {
        func damaged(_ what: String) -> SemblanceError {
            SemblanceError(.corruptFile, "shard state inconsistent: \(what) (in its manifest)", path: source)
        }
        let n = nodes.count
        guard nodeIDs.count == n else { throw damaged("\(nodeIDs.count) ids for \(n) nodes") }
        nodeByID = IDTable(reservingCapacityFor: min(max(manifest.liveCount, 0), n))
        var live = 0
        var topLevel = -1
        for node in 0..<n {
            let record = nodes.row(node).pointee
            let level = Int(record.level)
            guard level <= 31, level == 0 || Int(record.upperStart) + level <= upperLinks.count else {
                throw damaged("node \(node) has level \(level) and upper rows from \(record.upperStart)")
            }
            topLevel = max(topLevel, level)
            for layer in 0...level {
                let links = layer == 0 ? level0Links.row(node) : upperLinks.row(Int(record.upperStart) + layer - 1)
                let bound = layer == 0 ? 2 * configuration.m : configuration.m
                guard Int(links[0]) <= bound else { throw damaged("node \(node) has \(links[0]) links on layer \(layer)") }
                for j in 0..<Int(links[0]) {
                    let neighbour = Int(links[j + 1])
                    guard neighbour < n else { throw damaged("node \(node) links to node \(neighbour) of \(n)") }
                    // A search reads the neighbour's links on this layer: it must have them.
                    guard layer == 0 || Int(nodes.row(neighbour).pointee.level) >= layer else {
                        throw damaged("node \(node) links on layer \(layer) to node \(neighbour), which does not reach it")
                    }
                }
            }
            if !record.isDeleted {
                live += 1
                let id = nodeIDs[node]
                guard nodeByID.insert(UInt32(node), ids: nodeIDs) == nil else {
                    throw damaged("id \(id.debugDescription) is live twice")
                }
            }
        }
        liveCount = live
        guard live == manifest.liveCount else { throw damaged("\(live) live nodes, the manifest says \(manifest.liveCount)") }
        if let entryPoint {
            guard Int(entryPoint) < n, Int(nodes.row(Int(entryPoint)).pointee.level) == maxLevel, maxLevel == topLevel else {
                throw damaged("entry point \(entryPoint) on level \(maxLevel) of \(topLevel)")
            }
        } else {
            guard n == 0 else { throw damaged("no entry point for \(n) nodes") }
            maxLevel = 0
        }
    }
}

extension VectorIndex {
    /// Under a compact encoding, searches read the code rows: the originals are then read
    /// on demand from their page objects (`pages`, this index's vector pages, durable in
    /// `store`, each holding the rows now on its page) instead of kept in memory. A page
    /// whose object is compressed, or that cannot be opened (no file descriptor left), stays
    /// in memory.
    mutating func storeOriginals(_ pages: [ObjectHash], in store: ObjectStore, only candidates: [Int]? = nil) {
        guard codec.isCompact else { return }
        let count = min(pages.count, vectors.pages.count)
        for p in candidates ?? Array(0..<count) where p < count && !vectors.isStored(page: p) {
            if let stored = try? store.storedRows(of: pages[p], kind: .vectors) { vectors.store(page: p, in: stored) }
        }
    }
}
