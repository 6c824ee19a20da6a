extension VectorIndex {
    /// Adds a vector under a new id.
    /// - Throws: ``SemblanceError`` with `.invalidID`, `.duplicateID` (the id is already
    ///   present: use ``upsert(id:vector:)``), `.dimensionMismatch`, `.nonFiniteComponent`
    ///   or `.zeroVector`; `.io` when the last page of originals, kept in its file under a
    ///   compact encoding, cannot be read back to append to. The index is unchanged when it throws.
    public mutating func insert(id: String, vector: [Float]) throws(SemblanceError) {
        try Self.validate(id: id)
        try validate(vector: vector)
        guard node(of: id) == nil else {
            throw SemblanceError(.duplicateID, "id \(id.debugDescription) is already in the index; use upsert to replace its vector")
        }
        try vectors.loadLastPage()
        let node = appendNode(id: id, vector: vector)
        link(node)
    }

    /// Adds many vectors under new ids. Every record is checked first: if any is invalid,
    /// or an id repeats or already exists, nothing is added.
    ///
    /// - Parameter records: the new ids and their vectors.
    /// - Parameter parallelism: threads that link the new nodes into the graph. With more
    ///   than one the build is faster but the graph depends on thread timing; with one (the
    ///   default) the same inputs always give the same graph. A parallel batch first copies
    ///   any link page this value shares with a copy.
    public mutating func insert(
        contentsOf records: some Sequence<(id: String, vector: [Float])>, parallelism: Int = 1
    ) throws(SemblanceError) {
        let batch = Array(records)
        try validate(batch: batch)
        try vectors.loadLastPage()
        guard parallelism > 1 && batch.count >= 4 * parallelism else {
            for record in batch { link(appendNode(id: record.id, vector: record.vector)) }
            return
        }
        var rest = batch[...]
        if entryPoint == nil, let first = rest.popFirst() { link(appendNode(id: first.id, vector: first.vector)) }
        let firstNode = UInt32(nodes.count)
        for record in rest { _ = appendNode(id: record.id, vector: record.vector) }
        linkInParallel(firstNode..<UInt32(nodes.count), threads: parallelism)
    }

    /// Adds `id`, or replaces its vector if it exists (the old version becomes a tombstone).
    /// - Returns: whether an existing vector was replaced.
    @discardableResult
    public mutating func upsert(id: String, vector: [Float]) throws(SemblanceError) -> Bool {
        try Self.validate(id: id)
        try validate(vector: vector)
        try vectors.loadLastPage()
        let replaced = markDeleted(id)
        link(appendNode(id: id, vector: vector))
        return replaced
    }

    /// Deletes `id`. Its node stays in the graph as a tombstone that searches pass through
    /// but never return, until the index is rebuilt.
    /// - Returns: whether the id was present.
    @discardableResult
    public mutating func delete(_ id: String) throws(SemblanceError) -> Bool {
        try Self.validate(id: id)
        return markDeleted(id)
    }

    private func validate(batch: [(id: String, vector: [Float])]) throws(SemblanceError) {
        var seen = Set<String>()
        seen.reserveCapacity(batch.count)
        for (offset, record) in batch.enumerated() {
            do {
                try Self.validate(id: record.id)
                try validate(vector: record.vector)
            } catch {
                throw SemblanceError(error.code, "record \(offset): \(error.message)")
            }
            guard node(of: record.id) == nil else {
                throw SemblanceError(.duplicateID, "record \(offset): id \(record.id.debugDescription) is already in the index")
            }
            guard seen.insert(record.id).inserted else {
                throw SemblanceError(.duplicateID, "record \(offset): id \(record.id.debugDescription) appears twice in the batch")
            }
        }
    }

    private mutating func markDeleted(_ id: String) -> Bool {
        guard let node = nodeByID.remove(id, ids: nodeIDs) else { return false }
        if let metadata = metadataByNode.removeValue(forKey: node) { metadataIndex.remove(node, metadata) }
        nodes.mutableRow(Int(node)).pointee.flags |= NodeRecord.deletedFlag
        liveCount -= 1
        return true
    }

    /// Appends the rows of a validated record, with its level drawn, but links nothing.
    private mutating func appendNode(id: String, vector: [Float]) -> UInt32 {
        let node = UInt32(nodes.count)
        let level = levels.nextLevel()
        let destination = vectors.mutableRow(vectors.appendRow())
        if configuration.metric == .cosine {
            VectorMath.normalize(vector, into: destination)
        } else {
            for i in 0..<vector.count { destination[i] = vector[i] }
        }
        if codec.isCompact { appendCodeRow() }

        let record = NodeRecord(
            upperStart: level > 0 ? UInt32(upperLinks.count) : 0, level: UInt8(level), flags: 0, reserved: 0)
        nodes.mutableRow(nodes.appendRow()).pointee = record
        for _ in 0..<level { _ = upperLinks.appendRow() }
        _ = level0Links.appendRow()
        nodeIDs.append(id)
        _ = nodeByID.insert(node, ids: nodeIDs)
        liveCount += 1
        return node
    }

    /// Links an appended node into every layer up to its level (Malkov & Yashunin,
    /// algorithm 1), writing through copy-on-write pages.
    private mutating func link(_ node: UInt32) {
        let level = Int(record(of: node).level)
        guard let entryPoint else {
            entryPoint = node
            maxLevel = level
            return
        }
        let layers = searchNeighbourhoods(of: node, level: level, entryPoint: entryPoint, topLevel: maxLevel,
                                          reader: DirectLinkReader())
        // Read-only while linking; sharing them copies nothing. The build measures what
        // searches measure: code rows under a compact encoding.
        let rows = searchRows
        let distance = searchDistance
        let m = configuration.m
        withUnsafeMutablePointer(to: &self) { index in
            var writer = CopyOnWriteLinkWriter(index: index)
            for (layer, candidates) in layers {
                Self.connect(node, to: candidates, level: layer, m: m, writer: &writer) {
                    distance(rows.row($0), rows.row($1))
                }
            }
        }
        if level > maxLevel {
            self.entryPoint = node
            maxLevel = level
        }
    }

    /// For each layer the node joins, top down, the `efConstruction` nearest nodes found.
    private func searchNeighbourhoods<R: LinkReader>(
        of node: UInt32, level: Int, entryPoint: UInt32, topLevel: Int, reader: R
    ) -> [(layer: Int, candidates: [HeapEntry])] {
        let efConstruction = configuration.efConstruction
        return scratchPool.withScratch(nodes: nodes.count) { scratch in
            withGraphView { view in
                view.neighbourhoods(of: node, level: level, entryPoint: entryPoint, topLevel: topLevel,
                                    efConstruction: efConstruction, reader: reader, scratch: scratch)
            }
        }
    }
}

extension GraphView {
    /// The construction-time searches of a new node: greedy descent to its level, then a
    /// beam search of width `efConstruction` on each layer it joins.
    func neighbourhoods<R: LinkReader>(
        of node: UInt32, level: Int, entryPoint: UInt32, topLevel: Int, efConstruction: Int,
        reader: R, scratch: SearchScratch
    ) -> [(layer: Int, candidates: [HeapEntry])] {
        let query = vector(node)
        var entry = descend(query, entryPoint: entryPoint, fromLevel: topLevel, toLevel: level,
                            reader: reader, buffer: scratch.linkBuffer)
        var found: [(layer: Int, candidates: [HeapEntry])] = []
        var layer = min(level, topLevel)
        while layer >= 0 {
            searchLayer(query, entry: entry, ef: efConstruction, level: layer,
                        filter: AcceptAllNodes(), reader: reader, scratch: scratch)
            let candidates = scratch.results.drainAscending()
            found.append((layer, candidates))
            entry = candidates[0]
            layer -= 1
        }
        return found
    }
}
