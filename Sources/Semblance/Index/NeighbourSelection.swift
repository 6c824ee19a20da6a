extension VectorIndex {
    /// Links `node` on `level` to the best of `candidates` (nearest first), and links each
    /// chosen neighbour back, pruning its list with the same heuristic when it is full.
    /// `between` is the distance between two stored nodes.
    static func connect<W: LinkWriter>(
        _ node: UInt32, to candidates: [HeapEntry], level: Int, m: Int,
        writer: inout W, between: (UInt32, UInt32) -> Float
    ) {
        let maxDegree = level == 0 ? 2 * m : m
        let selected = selectNeighbours(candidates.filter { $0.node != node }, limit: m, distanceBetween: between)
        writer.withMutableLinks(node, level: level) { own in
            own[0] = UInt32(selected.count)
            for (j, neighbour) in selected.enumerated() { own[j + 1] = neighbour.node }
        }
        for neighbour in selected {
            writer.withMutableLinks(neighbour.node, level: level) { links in
                let count = Int(links[0])
                if count < maxDegree {
                    links[count + 1] = node
                    links[0] = UInt32(count + 1)
                    return
                }
                var pool = [HeapEntry(distance: neighbour.distance, node: node)]
                pool.reserveCapacity(count + 1)
                for j in 1...count {
                    pool.append(HeapEntry(distance: between(neighbour.node, links[j]), node: links[j]))
                }
                pool.sort { $0.distance < $1.distance }
                let kept = selectNeighbours(pool, limit: maxDegree, distanceBetween: between)
                links[0] = UInt32(kept.count)
                for (j, entry) in kept.enumerated() { links[j + 1] = entry.node }
            }
        }
    }

    /// The neighbour-selection heuristic (Malkov & Yashunin, algorithm 4, as in hnswlib):
    /// walking `candidates` nearest first, keep one only if it is closer to the base node
    /// than to every neighbour kept so far. This spreads links across directions, which
    /// keeps clustered data connected.
    static func selectNeighbours(
        _ candidates: [HeapEntry], limit: Int, distanceBetween: (UInt32, UInt32) -> Float
    ) -> [HeapEntry] {
        if candidates.count <= limit { return candidates }
        var kept: [HeapEntry] = []
        kept.reserveCapacity(limit)
        for candidate in candidates {
            var diverse = true
            for other in kept where distanceBetween(candidate.node, other.node) < candidate.distance {
                diverse = false
                break
            }
            if diverse {
                kept.append(candidate)
                if kept.count >= limit { break }
            }
        }
        return kept
    }

    /// The links row of `node` on `level`, made unique for writing.
    mutating func mutableLinks(_ node: UInt32, level: Int) -> UnsafeMutablePointer<UInt32> {
        if level == 0 { return level0Links.mutableRow(Int(node)) }
        let start = Int(nodes.row(Int(node)).pointee.upperStart)
        return upperLinks.mutableRow(start + level - 1)
    }
}
