extension VectorIndex {
    /// The nearest live vectors to `query`, nearest first.
    ///
    /// - Parameters:
    ///   - query: a vector of the index's dimension.
    ///   - k: how many results at most; larger than ``count`` returns every live vector.
    ///   - ef: the search beam width (at least `k` is used); defaults to the configuration's
    ///     `defaultEf`. Larger is slower and more accurate.
    ///   - maxDistance: drop results farther than this.
    ///   - allowedIDs: search only among these ids. Small sets are scanned exactly.
    ///   - filter: search only among records whose metadata (or id) matches. The matching
    ///     set comes from the metadata indexes; when it is small it is scanned exactly,
    ///     otherwise the graph is searched keeping only matching nodes. Whenever at least
    ///     `k` records match, `k` results come back (unless `maxDistance` cuts them).
    /// - Returns: up to `k` results; exactly `min(k, live candidates)` when no `maxDistance`
    ///   cuts them.
    /// - Throws: ``SemblanceError`` (`.invalidArgument`, `.dimensionMismatch`,
    ///   `.nonFiniteComponent`, `.zeroVector`; `.io` naming the file when a stored page of
    ///   originals cannot be read).
    public func search(
        _ query: [Float], k: Int, ef: Int? = nil, maxDistance: Float? = nil,
        allowedIDs: Set<String>? = nil, filter: Filter? = nil
    ) throws(SemblanceError) -> [SearchResult] {
        try search(query, k: k, ef: ef, maxDistance: maxDistance, allowedIDs: allowedIDs, budget: nil, filter: filter).results
    }

    /// Throws `.invalidArgument` for k ≤ 0, ef ≤ 0 or a NaN maxDistance.
    static func validateSearch(k: Int, ef: Int?, maxDistance: Float?) throws(SemblanceError) {
        guard k > 0 else { throw .invalidArgument("k must be at least 1, got \(k)") }
        if let ef, ef <= 0 { throw .invalidArgument("ef must be at least 1, got \(ef)") }
        if let maxDistance, maxDistance.isNaN { throw .invalidArgument("maxDistance must not be NaN") }
    }

    /// ``search(_:k:ef:maxDistance:allowedIDs:)`` that stops when `budget` is spent and
    /// returns the best found so far, with `complete` false.
    func search(
        _ query: [Float], k: Int, ef: Int?, maxDistance: Float?, allowedIDs: Set<String>?,
        budget: SearchBudget?, includeVectors: Bool = false, filter: Filter? = nil
    ) throws(SemblanceError) -> (results: [SearchResult], complete: Bool) {
        try validate(vector: query, role: "query")
        try Self.validateSearch(k: k, ef: ef, maxDistance: maxDistance)

        let beam = max(ef ?? configuration.defaultEf, k)
        let hits: [HeapEntry]
        var complete = true
        if let filter {
            // Few matches (by the index sizes): collect them and scan. Many: search the graph
            // testing each node against the filter, without collecting the matches at all.
            var estimate = metadataIndex.estimatedCount(of: filter, live: liveCount)
            if let allowedIDs { estimate = min(estimate, allowedIDs.count) }
            if estimate <= Self.exactScanLimit(live: liveCount) || allowedIDs != nil {
                var allowed = matchingNodes(filter)
                if let allowedIDs { allowed.formIntersection(allowedIDs.compactMap { node(of: $0) }) }
                hits = try searchAllowed(query, k: k, ef: beam, allowed: Array(allowed), budget: budget, complete: &complete)
            } else {
                hits = try searchMatching(query, filter: filter, k: k, ef: beam, budget: budget, complete: &complete)
            }
        } else if let allowedIDs {
            let allowed = allowedIDs.compactMap { node(of: $0) }
            hits = try searchAllowed(query, k: k, ef: beam, allowed: allowed, budget: budget, complete: &complete)
        } else {
            hits = try searchLive(query, k: k, ef: beam, budget: budget, complete: &complete)
        }
        var results: [SearchResult] = []
        results.reserveCapacity(hits.count)
        for hit in hits {
            if let maxDistance, hit.distance > maxDistance { break }
            results.append(SearchResult(id: nodeIDs[Int(hit.node)], distance: hit.distance,
                                        vector: includeVectors ? try readVector(of: hit.node) : nil))
        }
        return (results, complete)
    }

    /// Graph search over every live node, with an exact scan as the fallback whenever the
    /// graph yields fewer than `k` results while more are live.
    private func searchLive(_ query: [Float], k: Int, ef: Int, budget: SearchBudget?, complete: inout Bool) throws(SemblanceError) -> [HeapEntry] {
        guard let entryPoint, liveCount > 0 else { return [] }
        let wanted = min(k, liveCount)
        let (hits, finished) = liveCount == nodes.count
            ? try graphSearch(query, from: entryPoint, k: k, ef: ef, filter: AcceptAllNodes(), budget: budget)
            : try graphSearch(query, from: entryPoint, k: k, ef: ef, filter: AcceptLiveNodes(), budget: budget)
        if !finished { complete = false; return Array(hits.prefix(k)) }
        if hits.count >= wanted { return Array(hits.prefix(k)) }
        return try exactSearch(query, k: k, among: nil, budget: budget, complete: &complete)
    }

    /// Search restricted to `allowed` nodes: an exact scan when the set is small, else a
    /// graph search that keeps only allowed nodes (falling back to the scan if short).
    private func searchAllowed(
        _ query: [Float], k: Int, ef: Int, allowed: [UInt32], budget: SearchBudget?, complete: inout Bool
    ) throws(SemblanceError) -> [HeapEntry] {
        guard let entryPoint, !allowed.isEmpty else { return [] }
        if allowed.count <= Self.exactScanLimit(live: liveCount) {
            return try exactSearch(query, k: k, among: allowed, budget: budget, complete: &complete)
        }
        var bits = [UInt64](repeating: 0, count: (nodes.count + 63) / 64)
        for node in allowed { bits[Int(node) >> 6] |= 1 << UInt64(node & 63) }
        let (hits, finished) = try bits.withUnsafeBufferPointer { (bitsBuffer) throws(SemblanceError) in
            try graphSearch(query, from: entryPoint, k: k, ef: ef, filter: AcceptAllowedNodes(bits: bitsBuffer.baseAddress!),
                            budget: budget)
        }
        if !finished { complete = false; return Array(hits.prefix(k)) }
        if hits.count >= min(k, allowed.count) { return Array(hits.prefix(k)) }
        return try exactSearch(query, k: k, among: allowed, budget: budget, complete: &complete)
    }

    /// The HNSW search: greedy descent from `entryPoint`, then the beam search of width `ef`
    /// on layer 0 keeping the nodes `filter` accepts, over the search rows (the query
    /// encoded as they are). Its hits, nearest first, are re-scored as ``GraphView/rescored``
    /// says: under a compact encoding, those of the first `rerankMultiple × k` that can still
    /// reach the best `k`, with exact distances.
    /// `finished` is false when the budget stopped it.
    private func graphSearch<F: NodeFilter>(
        _ query: [Float], from entryPoint: UInt32, k: Int, ef: Int, filter: F, budget: SearchBudget?
    ) throws(SemblanceError) -> (hits: [HeapEntry], finished: Bool) {
        let (product, overflow) = k.multipliedReportingOverflow(by: configuration.rerankMultiple)
        let rescored = overflow ? Int.max : product
        let searched: Result<(hits: [HeapEntry], finished: Bool), SemblanceError> = scratchPool.withScratch(nodes: nodes.count) { scratch in
            withGraphView { view in
                let q = scratch.loadQuery(query, normalize: configuration.metric == .cosine)
                let code = scratch.encodeQuery(q, codec: codec, centre: centre)
                let entry = view.descend(code, entryPoint: entryPoint, fromLevel: maxLevel, toLevel: 0,
                                         reader: DirectLinkReader(), buffer: scratch.linkBuffer)
                let finished = view.searchLayer(code, entry: entry, ef: ef, level: 0, filter: filter, reader: DirectLinkReader(),
                                                scratch: scratch, budget: budget)
                return Result { () throws(SemblanceError) in
                    (try view.rescored(scratch.results.drainAscending(), query: q, code: code, k: k, keep: rescored,
                                       originals: vectors, scratch: scratch), finished)
                }
            }
        }
        return try searched.get()
    }

    /// Up to this many matching nodes are scanned exactly rather than searched in the graph:
    /// 4,096, or √(2,000 · live) when that is more (about 11,000 of 60,000; 45,000 of a
    /// million). A scan costs about one distance per match; a filtered graph search about
    /// the unfiltered one's ~1,500 visits divided by the share of nodes that match, each a
    /// distance and a filter test. The two meet near matches² ≈ 2,000 · live.
    public static func exactScanLimit(live: Int) -> Int { max(4096, Int((2000 * Double(live)).squareRoot())) }

    /// Graph search keeping only live nodes that match `filter`, tested as the search meets
    /// them; when the graph yields fewer than `k` while more match, the exact scan of the
    /// matching nodes answers instead.
    private func searchMatching(
        _ query: [Float], filter: Filter, k: Int, ef: Int, budget: SearchBudget?, complete: inout Bool
    ) throws(SemblanceError) -> [HeapEntry] {
        guard let entryPoint, liveCount > 0 else { return [] }
        let (hits, finished) = try graphSearch(query, from: entryPoint, k: k, ef: ef,
                                           filter: AcceptMatchingNodes(index: self, filter: filter), budget: budget)
        if !finished { complete = false; return Array(hits.prefix(k)) }
        if hits.count >= k { return Array(hits.prefix(k)) }
        let matching = matchingNodes(filter)
        if hits.count >= matching.count { return hits }
        return try exactSearch(query, k: k, among: Array(matching), budget: budget, complete: &complete)
    }

    /// The exact scan over the float32 originals (whatever the encoding), in node order so
    /// that a stored page is read once, checking `budget` every 1,024 nodes; `complete`
    /// becomes false if it stopped early (the best of the nodes scanned so far are returned).
    func exactSearch(
        _ query: [Float], k: Int, among candidates: [UInt32]?, budget: SearchBudget?, complete: inout Bool
    ) throws(SemblanceError) -> [HeapEntry] {
        let scanned: Result<(hits: [HeapEntry], finished: Bool), SemblanceError> = scratchPool.withScratch(nodes: nodes.count) { scratch in
            let q = scratch.loadQuery(query, normalize: configuration.metric == .cosine)
            return Result { () throws(SemblanceError) in try exactScan(q, k: k, among: candidates?.sorted(), budget: budget) }
        }
        let (hits, finished) = try scanned.get()
        if !finished { complete = false }
        return hits
    }

    /// ``exactSearch(_:k:among:budget:complete:)`` for a loaded query, over `candidates` in
    /// ascending order (nil: every node). A stored page with many candidates is read whole,
    /// else row by row.
    private func exactScan(
        _ q: UnsafePointer<Float>, k: Int, among candidates: [UInt32]?, budget: SearchBudget?
    ) throws(SemblanceError) -> (hits: [HeapEntry], finished: Bool) {
        let distance = exactDistance
        let reader = OriginalReader(vectors)
        let wholePages = (candidates?.count ?? nodes.count) >= nodes.count / 16
        var best = MaxHeap(capacity: k)
        defer { best.deallocate() }
        // In blocks of 1,024, so the budget is checked between blocks, not per vector.
        let total = candidates?.count ?? nodes.count
        for start in stride(from: 0, to: total, by: 1024) {
            if start > 0, let budget, budget.isSpent { return (best.drainAscending(), false) }
            for i in start..<min(start + 1024, total) {
                let node = candidates?[i] ?? UInt32(i)
                if nodes.row(Int(node)).pointee.isDeleted { continue }
                let d = try reader.withOriginal(Int(node), wholePage: wholePages) { distance(q, $0) }
                best.keep(HeapEntry(distance: d, node: node), limit: k)
            }
        }
        return (best.drainAscending(), true)
    }
}
