extension VectorIndex {
    /// Adds a vector under a new id.
    /// - Throws: ``SemblanceError`` with `.invalidID`, `.duplicateID` (the id is already
    ///   present: use ``upsert(id:vector:)``), `.dimensionMismatch`, `.nonFiniteComponent`
    ///   or `.zeroVector`. The index is unchanged when it throws.
    public mutating func insert(id: String, vector: [Float]) throws(SemblanceError) {
        try Self.validate(id: id)
        try validate(vector: vector)
        guard nodeByID[id] == nil else {
            throw SemblanceError(.duplicateID, "id \(id.debugDescription) is already in the index; use upsert to replace its vector")
        }
        addNode(id: id, vector: vector)
    }

    /// Adds many vectors under new ids. Every record is checked first: if any is invalid,
    /// or an id repeats or already exists, nothing is added.
    public mutating func insert(contentsOf records: some Sequence<(id: String, vector: [Float])>) throws(SemblanceError) {
        let batch = Array(records)
        var seen = Set<String>()
        seen.reserveCapacity(batch.count)
        for (offset, record) in batch.enumerated() {
            do {
                try Self.validate(id: record.id)
                try validate(vector: record.vector)
            } catch {
                throw SemblanceError(error.code, "record \(offset): \(error.message)")
            }
            guard nodeByID[record.id] == nil else {
                throw SemblanceError(.duplicateID, "record \(offset): id \(record.id.debugDescription) is already in the index")
            }
            guard seen.insert(record.id).inserted else {
                throw SemblanceError(.duplicateID, "record \(offset): id \(record.id.debugDescription) appears twice in the batch")
            }
        }
        for record in batch { addNode(id: record.id, vector: record.vector) }
    }

    /// Adds `id`, or replaces its vector if it exists (the old version becomes a tombstone).
    /// - Returns: whether an existing vector was replaced.
    @discardableResult
    public mutating func upsert(id: String, vector: [Float]) throws(SemblanceError) -> Bool {
        try Self.validate(id: id)
        try validate(vector: vector)
        let replaced = markDeleted(id)
        addNode(id: id, vector: vector)
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

    private mutating func markDeleted(_ id: String) -> Bool {
        guard let node = nodeByID.removeValue(forKey: id) else { return false }
        nodes.mutableRow(Int(node)).pointee.flags |= NodeRecord.deletedFlag
        liveCount -= 1
        return true
    }

    /// Appends a node for a validated record and links it into every layer up to its level.
    private mutating func addNode(id: String, vector: [Float]) {
        let node = UInt32(nodes.count)
        let level = levels.nextLevel()

        let row = vectors.appendRow()
        let destination = vectors.mutableRow(row)
        let scale = configuration.metric == .cosine ? VectorMath.inverseNorm(vector) : 1
        for i in 0..<vector.count { destination[i] = vector[i] * scale }

        var record = NodeRecord(upperStart: UInt32(upperLinks.count), level: UInt8(level), flags: 0, reserved: 0)
        if level == 0 { record.upperStart = 0 }
        nodes.mutableRow(nodes.appendRow()).pointee = record
        for _ in 0..<level { _ = upperLinks.appendRow() }
        _ = level0Links.appendRow()
        nodeIDs.append(id)
        nodeByID[id] = node
        liveCount += 1

        guard let entry = entryPoint else {
            entryPoint = node
            maxLevel = level
            return
        }
        link(node, level: level, entryPoint: entry)
        if level > maxLevel {
            entryPoint = node
            maxLevel = level
        }
    }

    /// Finds the new node's neighbours on each of its layers and links both ways.
    private mutating func link(_ node: UInt32, level: Int, entryPoint: UInt32) {
        let efConstruction = configuration.efConstruction
        let topLevel = maxLevel
        scratchPool.withScratch(nodes: nodes.count) { scratch in
            var entry = withGraphView { view in
                view.descend(view.vector(node), entryPoint: entryPoint, fromLevel: topLevel, toLevel: level)
            }
            var layer = min(level, topLevel)
            while layer >= 0 {
                let found = withGraphView { view in
                    view.searchLayer(view.vector(node), entry: entry, ef: efConstruction, level: layer,
                                     filter: AcceptAllNodes(), scratch: scratch)
                    return scratch.results.drainAscending()
                }
                connect(node, to: found, level: layer)
                entry = found[0]
                layer -= 1
            }
        }
    }
}
