extension VectorIndex {
    /// Walks the whole structure and lists every broken invariant: links out of range,
    /// self-links, duplicate links, degrees over their bound, links to nodes that do not
    /// reach that layer, a wrong entry point, id tables out of step, and code rows that are
    /// not the encoding of their originals. Empty means sound.
    /// O(n·M); meant for tests and debugging, after mutations.
    func invariantViolations() -> [String] {
        var problems: [String] = []
        let m = configuration.m
        let nodeCount = nodes.count
        if vectors.count != nodeCount || level0Links.count != nodeCount || nodeIDs.count != nodeCount {
            problems.append("table sizes differ: \(vectors.count) vectors, \(level0Links.count) link rows, \(nodeCount) nodes, \(nodeIDs.count) ids")
        }
        problems += codeRowViolations()
        var live = 0
        var topLevel = -1
        var upperRows = 0
        for node in 0..<nodeCount {
            let record = nodes.row(node).pointee
            let level = Int(record.level)
            topLevel = max(topLevel, level)
            upperRows += level
            if !record.isDeleted {
                live += 1
                if self.node(of: nodeIDs[node]) != UInt32(node) {
                    problems.append("node \(node) is live but id \(nodeIDs[node].debugDescription) maps elsewhere")
                }
            }
            for layer in 0...level {
                let links = layer == 0 ? level0Links.row(node) : upperLinks.row(Int(record.upperStart) + layer - 1)
                let count = Int(links[0])
                let bound = layer == 0 ? 2 * m : m
                if count > bound { problems.append("node \(node) layer \(layer): \(count) links, bound \(bound)") }
                var seen = Set<UInt32>()
                for j in 0..<min(count, bound) {
                    let neighbour = links[j + 1]
                    if Int(neighbour) >= nodeCount {
                        problems.append("node \(node) layer \(layer): link \(neighbour) out of range")
                    } else if nodes.row(Int(neighbour)).pointee.level < layer {
                        problems.append("node \(node) layer \(layer): neighbour \(neighbour) does not reach this layer")
                    }
                    if neighbour == UInt32(node) { problems.append("node \(node) layer \(layer): self-link") }
                    if !seen.insert(neighbour).inserted {
                        problems.append("node \(node) layer \(layer): duplicate link \(neighbour)")
                    }
                }
            }
        }
        if upperRows != upperLinks.count {
            problems.append("upper-layer table has \(upperLinks.count) rows, nodes claim \(upperRows)")
        }
        if live != liveCount { problems.append("liveCount \(liveCount), counted \(live)") }
        if nodeByID.count != liveCount { problems.append("id map holds \(nodeByID.count) ids, \(liveCount) live") }
        if let entryPoint {
            if Int(entryPoint) >= nodeCount {
                problems.append("entry point \(entryPoint) out of range")
            } else if Int(nodes.row(Int(entryPoint)).pointee.level) != maxLevel || maxLevel != topLevel {
                problems.append("entry point \(entryPoint) is not on the top layer \(topLevel) (maxLevel \(maxLevel))")
            }
        } else if nodeCount > 0 {
            problems.append("no entry point but \(nodeCount) nodes")
        }
        return problems
    }
}

extension VectorIndex {
    /// Every node's level and links on every layer, as text: two indexes with equal dumps
    /// have the same graph.
    func graphDump() -> [String] {
        (0..<nodes.count).map { node in
            let record = nodes.row(node).pointee
            var line = "\(node) L\(record.level):"
            for layer in 0...Int(record.level) {
                let links = layer == 0 ? level0Links.row(node) : upperLinks.row(Int(record.upperStart) + layer - 1)
                line += " [" + (0..<Int(links[0])).map { String(links[$0 + 1]) }.joined(separator: ",") + "]"
            }
            return line
        }
    }
}
