extension VectorIndex {
    /// Fills the code rows from the originals, once these were restored from pages: codes
    /// (and the int8 centre) are derived, never stored.
    mutating func encodeRestoredVectors() {
        guard codec.isCompact else { return }
        precondition(codes.count == 0, "codes are encoded once, into an empty table")
        for _ in 0..<vectors.count { _ = codes.appendRow() }
        reencodeAll()
    }

    /// Encodes the last original into a new code row; under int8, when the node count
    /// reaches a training size, retrains the centre and re-encodes every row.
    mutating func appendCodeRow() {
        let node = codes.appendRow()
        if codec.encoding == .int8 && VectorCodec.trainingNodes(forNodeCount: vectors.count) == vectors.count {
            reencodeAll()
        } else {
            codec.encode(vectors.row(node), into: codes.mutableRow(node), centre: centre)
        }
    }

    /// Trains the int8 centre on the current training nodes, then encodes every code row.
    private mutating func reencodeAll() {
        if codec.encoding == .int8 {
            do {
                (centre, centreNormSquared) = try trainedCentre()
            } catch {
                fatalError("cannot read a stored vector: \(error)")
            }
        }
        let reader = OriginalReader(vectors)
        for node in 0..<codes.count {
            let row = codes.mutableRow(node)
            reader.withOriginalOrStop(node, wholePage: true) { codec.encode($0, into: row, centre: centre) }
        }
    }

    /// The int8 centre for the current node count: the mean of the first training nodes'
    /// originals, and its squared length.
    func trainedCentre() throws(SemblanceError) -> (centre: [Float], normSquared: Float) {
        let training = VectorCodec.trainingNodes(forNodeCount: vectors.count)
        guard training > 0 else { return ([], 0) }
        var sums = [Double](repeating: 0, count: configuration.dimension)
        let reader = OriginalReader(vectors)
        for node in 0..<training {
            try reader.withOriginal(node, wholePage: true) { row in
                for i in sums.indices { sums[i] += Double(row[i]) }
            }
        }
        let centre = sums.map { Float($0 / Double(training)) }
        return (centre, Float(centre.reduce(0.0) { $0 + Double($1) * Double($1) }))
    }

    /// Nodes whose code row is not the encoding of their original under the current centre
    /// (the first few), or whose centre is not the trained one: for the invariant check.
    func codeRowViolations() -> [String] {
        guard codec.isCompact else { return codes.count == 0 ? [] : ["\(codes.count) code rows under float32"] }
        guard codes.count == vectors.count else { return ["\(codes.count) code rows for \(vectors.count) originals"] }
        var problems: [String] = []
        guard let trained = try? trainedCentre() else { return ["the stored pages of the int8 centre's training nodes cannot be read"] }
        if codec.encoding == .int8 && (trained.centre != centre || trained.normSquared != centreNormSquared) {
            problems.append("the int8 centre is not the mean of the first \(VectorCodec.trainingNodes(forNodeCount: vectors.count)) nodes")
        }
        let expected = UnsafeMutableRawPointer.allocate(byteCount: codec.rowBytes, alignment: 64)
        defer { expected.deallocate() }
        let reader = OriginalReader(vectors)
        for node in 0..<codes.count where problems.count < 5 {
            expected.initializeMemory(as: UInt8.self, repeating: 0, count: codec.rowBytes)
            guard (try? reader.withOriginal(node, wholePage: true, { codec.encode($0, into: expected, centre: centre) })) != nil else {
                problems.append("the stored page of node \(node)'s original cannot be read")
                continue
            }
            let stored = UnsafeRawBufferPointer(start: codes.row(node), count: codec.rowBytes)
            if !UnsafeRawBufferPointer(start: expected, count: codec.rowBytes).elementsEqual(stored) {
                problems.append("the code row of node \(node) is not the encoding of its original")
            }
        }
        return problems
    }
}
