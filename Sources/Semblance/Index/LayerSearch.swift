extension GraphView {
    /// How many neighbours ahead of its distance a layer search fetches a vector.
    static let prefetchAhead = 6

    /// Greedy descent on one upper layer: moves to a closer neighbour until none is closer.
    @inline(__always)
    func greedyClosest<R: LinkReader>(
        _ query: UnsafeRawPointer, from start: HeapEntry, level: Int, reader: R, buffer: UnsafeMutablePointer<UInt32>
    ) -> HeapEntry {
        var best = start
        var changed = true
        while changed {
            changed = false
            let links = reader.links(best.node, level: level, in: self, buffer: buffer)
            let count = Int(links[0])
            for j in 1..<(count + 1) {
                let neighbour = links[j]
                let d = distance(query, vector(neighbour))
                if d < best.distance {
                    best = HeapEntry(distance: d, node: neighbour)
                    changed = true
                }
            }
        }
        return best
    }

    /// Walks from the entry point down to layer 1 greedily and returns the closest node found.
    func descend<R: LinkReader>(
        _ query: UnsafeRawPointer, entryPoint: UInt32, fromLevel top: Int, toLevel bottom: Int,
        reader: R, buffer: UnsafeMutablePointer<UInt32>
    ) -> HeapEntry {
        var current = HeapEntry(distance: distance(query, vector(entryPoint)), node: entryPoint)
        var level = top
        while level > bottom {
            current = greedyClosest(query, from: current, level: level, reader: reader, buffer: buffer)
            level -= 1
        }
        return current
    }

    /// The best-first beam search of HNSW on one layer (Malkov & Yashunin, algorithm 2).
    ///
    /// Leaves up to `ef` accepted nodes in `scratch.results` (a max-heap). Rejected nodes are
    /// expanded but never kept; with a filter that rejects some, the search goes on until it
    /// holds `ef` accepted nodes or runs out of candidates.
    /// - Parameter budget: checked every 64 expansions; when it is spent the search stops
    ///   and leaves the best nodes found so far. Its patience, when set, ends the search
    ///   (normally) after that many expansions in a row that added nothing to its best `k`.
    /// - Returns: false when the budget stopped the search early.
    @inline(__always) @discardableResult
    func searchLayer<F: NodeFilter, R: LinkReader>(
        _ query: UnsafeRawPointer, entry: HeapEntry, ef: Int, level: Int,
        filter: F, reader: R, scratch: SearchScratch, budget: SearchBudget? = nil
    ) -> Bool {
        let buffer = scratch.linkBuffer
        let fresh = scratch.freshNeighbours
        let stamp = scratch.begin(nodes: nodeCount)
        let visited = scratch.visited
        var candidates = scratch.candidates
        var results = scratch.results
        // Patience (0: none) watches the best `keep` accepted nodes: an expansion that adds
        // none to them counts toward the stop.
        let patience = budget?.patience ?? 0
        let keep = budget?.k ?? 1
        var best = scratch.best
        best.removeAll()
        var stale = 0
        var improved = true
        defer {
            scratch.candidates = candidates
            scratch.results = results
            scratch.best = best
        }
        var lowerBound = Float.infinity
        visited[Int(entry.node)] = stamp
        candidates.push(entry)
        if filter.accepts(entry.node, in: self) {
            results.push(entry)
            lowerBound = entry.distance
            if patience > 0 { best.push(entry) }
        }

        var expansions = 0
        while !candidates.isEmpty {
            let current = candidates.top
            if current.distance > lowerBound && (results.count >= ef || !filter.rejectsSome) { break }
            if let budget {
                expansions &+= 1
                if expansions & 63 == 0 && budget.isSpent { return false }
            }
            if patience > 0 {
                stale = improved ? 0 : stale + 1
                if stale >= patience { break }
                improved = false
            }
            candidates.pop()
            let links = reader.links(current.node, level: level, in: self, buffer: buffer)
            // The neighbours not visited yet, marked now, so that only their vectors are
            // fetched, `prefetchAhead` ahead of their distances: one ahead left most of each
            // row's cache miss exposed (minilm int8 at ef 64: 6,000–7,300 queries/s one
            // ahead, 7,500–8,300 three ahead, 8,000–8,800 six ahead; twelve no better).
            // While loops: a range's iterator is not specialized in debug builds.
            let count = Int(links[0])
            var freshCount = 0
            var i = 1
            while i <= count {
                let neighbour = links[i]
                i += 1
                if visited[Int(neighbour)] == stamp { continue }
                visited[Int(neighbour)] = stamp
                if freshCount < Self.prefetchAhead { prefetchVector(neighbour) }
                fresh[freshCount] = neighbour
                freshCount += 1
            }
            var ahead = min(Self.prefetchAhead, freshCount)
            var j = 0
            while j < freshCount {
                let neighbour = fresh[j]
                j += 1
                if ahead < freshCount {
                    prefetchVector(fresh[ahead])
                    ahead += 1
                }
                let d = distance(query, vector(neighbour))
                if results.count < ef || d < lowerBound {
                    candidates.push(HeapEntry(distance: d, node: neighbour))
                    // The best candidate is expanded next: fetch its links meanwhile.
                    prefetchLinks(candidates.top.node, level: level)
                    if filter.accepts(neighbour, in: self) {
                        if results.count < ef {
                            results.push(HeapEntry(distance: d, node: neighbour))
                        } else {
                            results.replaceTop(HeapEntry(distance: d, node: neighbour))
                        }
                        lowerBound = results.top.distance
                        if patience > 0 && best.keep(HeapEntry(distance: d, node: neighbour), limit: keep) {
                            improved = true
                        }
                    }
                }
            }
        }
        return true
    }
}
