/// Per-node bookkeeping: the node's HNSW level, where its upper-layer links start, and
/// whether it has been deleted (a tombstone that searches pass through but never return).
struct NodeRecord: BitwiseCopyable {
    /// First row of this node's links in the upper-layer table (levels 1...level, in order).
    var upperStart: UInt32
    var level: UInt8
    var flags: UInt8
    var reserved: UInt16

    static let deletedFlag: UInt8 = 1

    var isDeleted: Bool { flags & Self.deletedFlag != 0 }
}
