extension VectorIndex {
    /// Adds `id` or replaces its record — vector and metadata both (nil metadata: none).
    /// - Throws: as ``upsert(id:vector:)``, and `.invalidMetadata`; nothing changes then.
    @discardableResult
    public mutating func upsert(id: String, vector: [Float], metadata: Metadata?) throws(SemblanceError) -> Bool {
        try metadata?.validate()
        let replaced = try upsert(id: id, vector: vector)
        if let metadata { attach(metadata, to: node(of: id)!) }
        return replaced
    }

    /// Replaces the metadata of `id` (nil removes it) without touching its vector.
    /// - Throws: `.unknownID` when `id` is not stored, `.invalidMetadata`.
    public mutating func setMetadata(_ metadata: Metadata?, for id: String) throws(SemblanceError) {
        try Self.validate(id: id)
        try metadata?.validate()
        guard let node = node(of: id) else { throw SemblanceError(.unknownID, "id \(id.debugDescription) is not stored") }
        if let old = metadataByNode.removeValue(forKey: node) { metadataIndex.remove(node, old) }
        if let metadata { attach(metadata, to: node) }
    }

    /// The metadata stored with `id`, or nil.
    public func metadata(of id: String) -> Metadata? {
        node(of: id).flatMap { metadataByNode[$0] }
    }

    private mutating func attach(_ metadata: Metadata, to node: UInt32) {
        metadataByNode[node] = metadata
        metadataIndex.add(node, metadata)
    }

    // MARK: Filters

    /// How many live records match `filter`, answered from the metadata indexes.
    public func count(where filter: Filter) -> Int { matchingNodes(filter).count }

    /// The ids of the live records that match `filter`, in no particular order.
    public func ids(where filter: Filter) -> [String] { matchingNodes(filter).map { nodeIDs[Int($0)] } }

    /// Whether the live node matches `filter`.
    func matches(_ node: UInt32, _ filter: Filter) -> Bool {
        filter.matches(id: nodeIDs[Int(node)], metadata: metadataByNode[node])
    }

    /// The live nodes that match `filter`, exactly. Positive conditions come from the field
    /// indexes (each candidate checked against the filter unless the indexes answered
    /// exactly); a negation is the complement of what its operand matches among the live
    /// nodes.
    func matchingNodes(_ filter: Filter) -> Set<UInt32> {
        switch filter {
        case .or(let filters):
            var result = Set<UInt32>()
            for part in filters { result.formUnion(matchingNodes(part)) }
            return result
        case .not(let inner):
            return allLiveNodes().subtracting(matchingNodes(inner))
        case .notEquals(let path, let value):
            return allLiveNodes().subtracting(matchingNodes(.equals(path, value)))
        case .notIn(let path, let options):
            return allLiveNodes().subtracting(matchingNodes(.in(path, options)))
        default:
            if let (candidates, exact) = metadataIndex.candidates(for: filter, idNodes: liveNodes) {
                return exact ? candidates : candidates.filter { matches($0, filter) }
            }
            // An `and` of conditions the indexes cannot answer: the first operand's matches,
            // each checked against the rest.
            if case .and(let filters) = filter, let first = filters.first {
                return matchingNodes(first).filter { matches($0, filter) }
            }
            return allLiveNodes().filter { matches($0, filter) }
        }
    }

    private func liveNodes(_ ids: Set<String>) -> Set<UInt32> {
        Set(ids.compactMap { node(of: $0) })
    }

    func allLiveNodes() -> Set<UInt32> {
        var all = Set<UInt32>(minimumCapacity: liveCount)
        nodeByID.forEachNode { all.insert($0) }
        return all
    }
}
