extension VectorIndex {
    /// A new index with this one's live records (vectors and metadata) and none of its
    /// tombstones: the work of a compaction. Same configuration; the graph is built afresh.
    /// - Parameters:
    ///   - parallelism: threads that link nodes into the graph.
    ///   - progress: called after each chunk with (records linked, records in all).
    func rebuiltWithoutDeletions(
        parallelism: Int, progress: ((Int, Int) -> Void)? = nil
    ) throws(SemblanceError) -> VectorIndex {
        var rebuilt = try VectorIndex(configuration)
        let total = count
        var chunk: [(id: String, vector: [Float])] = []
        chunk.reserveCapacity(Self.rebuildChunk)
        var linked = 0
        // Node order, through one reader: a stored page of originals is read once, whole.
        let originals = OriginalReader(vectors)
        for node in 0..<nodes.count where !nodes.row(node).pointee.isDeleted {
            chunk.append((id: nodeIDs[node], vector: try originals.vector(node, count: configuration.dimension, wholePage: true)))
            if chunk.count == Self.rebuildChunk {
                try rebuilt.insert(contentsOf: chunk, parallelism: parallelism)
                linked += chunk.count
                chunk.removeAll(keepingCapacity: true)
                progress?(linked, total)
            }
        }
        try rebuilt.insert(contentsOf: chunk, parallelism: parallelism)
        for (node, metadata) in metadataByNode { try rebuilt.setMetadata(metadata, for: nodeIDs[Int(node)]) }
        progress?(total, total)
        return rebuilt
    }

    /// Records linked between progress reports.
    static let rebuildChunk = 4096
}
