import SemblanceKernels

/// How a layer search reads a node's links.
protocol LinkReader {
    /// The links of `node` on `level` (element 0 is the count), possibly copied into `buffer`.
    func links(_ node: UInt32, level: Int, in view: GraphView, buffer: UnsafeMutablePointer<UInt32>) -> UnsafePointer<UInt32>
}

/// Reads links in place: searches of an index value, which no one writes meanwhile.
struct DirectLinkReader: LinkReader {
    @inline(__always)
    func links(_ node: UInt32, level: Int, in view: GraphView, buffer: UnsafeMutablePointer<UInt32>) -> UnsafePointer<UInt32> {
        view.links(node, level: level)
    }
}

/// Copies links out under the node's lock: searches during a parallel build, while other
/// threads rewrite link lists.
struct LockedLinkReader: LinkReader {
    let locks: NodeLocks

    @inline(__always)
    func links(_ node: UInt32, level: Int, in view: GraphView, buffer: UnsafeMutablePointer<UInt32>) -> UnsafePointer<UInt32> {
        let source = view.links(node, level: level)
        locks.lock(node)
        let count = Int(source[0])
        // A plain loop: the lists are short, and a memmove call costs more than the copy.
        for i in 0...count { buffer[i] = source[i] }
        locks.unlock(node)
        return UnsafePointer(buffer)
    }
}

/// One spin lock per node, for a parallel build.
struct NodeLocks: @unchecked Sendable {
    // Invariant (why @unchecked): the words are touched only through sk_spin_lock/unlock
    // (atomics); the allocation outlives every thread of the build that uses it.
    let words: UnsafeMutablePointer<UInt32>

    static func allocate(count: Int) -> NodeLocks {
        let words = UnsafeMutablePointer<UInt32>.allocate(capacity: max(count, 1))
        words.initialize(repeating: 0, count: max(count, 1))
        return NodeLocks(words: words)
    }

    func deallocate() { words.deallocate() }

    @inline(__always) func lock(_ node: UInt32) { sk_spin_lock(words + Int(node)) }
    @inline(__always) func unlock(_ node: UInt32) { sk_spin_unlock(words + Int(node)) }
}

/// How linking writes a node's links.
protocol LinkWriter {
    /// Calls `body` with the writable links of `node` on `level`.
    mutating func withMutableLinks<R>(_ node: UInt32, level: Int, _ body: (UnsafeMutablePointer<UInt32>) -> R) -> R
}

/// Writes through the index's copy-on-write pages: single inserts, which copy only the
/// pages they touch when the value is shared.
struct CopyOnWriteLinkWriter: LinkWriter {
    let index: UnsafeMutablePointer<VectorIndex>

    @inline(__always)
    mutating func withMutableLinks<R>(_ node: UInt32, level: Int, _ body: (UnsafeMutablePointer<UInt32>) -> R) -> R {
        body(index.pointee.mutableLinks(node, level: level))
    }
}

/// Writes in place under the node's lock: a parallel build, after every page was made unique.
struct LockedLinkWriter: LinkWriter {
    let view: GraphView
    let locks: NodeLocks

    @inline(__always)
    mutating func withMutableLinks<R>(_ node: UInt32, level: Int, _ body: (UnsafeMutablePointer<UInt32>) -> R) -> R {
        locks.lock(node)
        defer { locks.unlock(node) }
        return body(UnsafeMutablePointer(mutating: view.links(node, level: level)))
    }
}
