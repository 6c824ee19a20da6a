import Dispatch
import Synchronization

extension VectorIndex {
    /// Links the already appended nodes `range` into the graph on `threads` threads, as
    /// hnswlib does: each link list is read and written under its node's lock, and a node
    /// that raises the top layer holds the entry-point lock while it links.
    mutating func linkInParallel(_ range: Range<UInt32>, threads: Int) {
        guard let firstEntry = entryPoint else { return }
        level0Links.makeAllPagesUnique()
        upperLinks.makeAllPagesUnique()
        let locks = NodeLocks.allocate(count: nodes.count)
        defer { locks.deallocate() }
        let entry = ParallelEntryPoint(node: firstEntry, level: maxLevel)
        let next = Atomic<Int>(Int(range.lowerBound))
        let m = configuration.m
        let efConstruction = configuration.efConstruction
        let pool = scratchPool
        let nodeCount = nodes.count

        withGraphView { view in
            let shared = UncheckedSendable(view)
            DispatchQueue.concurrentPerform(iterations: threads) { _ in
                let view = shared.value
                pool.withScratch(nodes: nodeCount) { scratch in
                    var writer = LockedLinkWriter(view: view, locks: locks)
                    let reader = LockedLinkReader(locks: locks)
                    while true {
                        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                        guard index < Int(range.upperBound) else { break }
                        let node = UInt32(index)
                        let level = Int(view.record(node).level)
                        entry.withEntryPoint(forLevel: level) { entryPoint, topLevel in
                            let layers = view.neighbourhoods(
                                of: node, level: level, entryPoint: entryPoint, topLevel: topLevel,
                                efConstruction: efConstruction, reader: reader, scratch: scratch)
                            for (layer, candidates) in layers {
                                Self.connect(node, to: candidates, level: layer, m: m, writer: &writer) {
                                    view.distance(view.vector($0), view.vector($1))
                                }
                            }
                            return level > topLevel ? node : nil
                        }
                    }
                }
            }
        }
        (entryPoint, maxLevel) = entry.current
    }
}

/// The entry point of a graph under parallel construction.
private final class ParallelEntryPoint: Sendable {
    private let state: Mutex<(node: UInt32, level: Int)>
    /// Held for the whole linking of a node that will raise the top layer, so that two such
    /// nodes never race to become the entry point.
    private let raising = Mutex<Void>(())

    init(node: UInt32, level: Int) { state = Mutex((node, level)) }

    var current: (UInt32?, Int) { state.withLock { ($0.node, $0.level) } }

    /// Calls `body` with the entry point and top level; when it returns a node, that node
    /// becomes the new entry point on `level`.
    func withEntryPoint(forLevel level: Int, _ body: (UInt32, Int) -> UInt32?) {
        let (node, top) = state.withLock { ($0.node, $0.level) }
        if level <= top {
            _ = body(node, top)
            return
        }
        raising.withLock { _ in
            let (node, top) = state.withLock { ($0.node, $0.level) }
            if let raised = body(node, top), level > top {
                state.withLock { $0 = (raised, level) }
            }
        }
    }
}

/// Carries a value that is not Sendable into concurrent work.
struct UncheckedSendable<Value>: @unchecked Sendable {
    // Invariant (why @unchecked): used only to hand state to the threads of one
    // DispatchQueue.concurrentPerform, which returns before the owner touches it again, and
    // every use says why its threads do not race: a GraphView whose links are written only
    // under per-node locks; per-shard logs and indexes where thread i touches only shard i.
    let value: Value
    init(_ value: Value) { self.value = value }
}
