/// Which nodes a layer search may return. Rejected nodes are still traversed, so the graph
/// stays connected through tombstones and filtered-out nodes.
protocol NodeFilter {
    /// False when every node is accepted, which lets the search stop earlier.
    var rejectsSome: Bool { get }
    func accepts(_ node: UInt32, in view: GraphView) -> Bool
}

/// Accepts every node: graph construction, and searches of an index without deletions.
struct AcceptAllNodes: NodeFilter {
    var rejectsSome: Bool { false }
    @inline(__always) func accepts(_ node: UInt32, in view: GraphView) -> Bool { true }
}

/// Accepts nodes that are not deleted.
struct AcceptLiveNodes: NodeFilter {
    var rejectsSome: Bool { true }
    @inline(__always) func accepts(_ node: UInt32, in view: GraphView) -> Bool {
        !view.record(node).isDeleted
    }
}

/// Accepts live nodes whose bit is set in a bitset over node numbers.
struct AcceptAllowedNodes: NodeFilter {
    let bits: UnsafePointer<UInt64>
    var rejectsSome: Bool { true }
    @inline(__always) func accepts(_ node: UInt32, in view: GraphView) -> Bool {
        bits[Int(node) >> 6] & (1 << UInt64(node & 63)) != 0 && !view.record(node).isDeleted
    }
}

/// Accepts live nodes whose record matches a metadata filter, tested as the search meets
/// them (for filters that match too many nodes to collect first).
struct AcceptMatchingNodes: NodeFilter {
    let index: VectorIndex
    let filter: Filter
    var rejectsSome: Bool { true }
    @inline(__always) func accepts(_ node: UInt32, in view: GraphView) -> Bool {
        !view.record(node).isDeleted && index.matches(node, filter)
    }
}
