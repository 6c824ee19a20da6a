import Testing
@testable import Semblance

@Suite("IDTable maps ids to live nodes")
struct IDTableTests {
    /// Random inserts and removals checked against a Dictionary, through several growths;
    /// with thousands of removals, some shift entries back across the table's end (likely,
    /// not certain: String hashes are seeded per process).
    @Test("agrees with a Dictionary through inserts, removals and growth")
    func agreesWithDictionary() {
        var ids = ChunkedArray<String>()
        var table = IDTable()
        var model: [String: UInt32] = [:]
        var rng = SeededGenerator(seed: 7)
        for step in 0..<40_000 {
            // Few distinct ids, so most steps hit an id already in the table or just removed.
            let id = "id\(Int.random(in: 0..<6_000, using: &rng))"
            if Bool.random(using: &rng) || step < 2_000 {
                if model[id] == nil {
                    ids.append(id)
                    let node = UInt32(ids.count - 1)
                    #expect(table.insert(node, ids: ids) == nil)
                    model[id] = node
                } else {
                    // The id is present: a second node under it is refused and names the first.
                    ids.append(id)
                    #expect(table.insert(UInt32(ids.count - 1), ids: ids) == model[id])
                }
            } else {
                #expect(table.remove(id, ids: ids) == model.removeValue(forKey: id))
            }
            if step % 997 == 0 {
                for (id, node) in model { #expect(table.node(of: id, ids: ids) == node) }
            }
        }
        #expect(table.count == model.count)
        for (id, node) in model { #expect(table.node(of: id, ids: ids) == node) }
        #expect(table.node(of: "never", ids: ids) == nil)
        var nodes: [UInt32] = []
        table.forEachNode { nodes.append($0) }
        #expect(nodes.sorted() == model.values.sorted())
    }

    @Test("a copy keeps its entries while the original changes")
    func copiesAreIndependent() {
        var ids = ChunkedArray<String>()
        var table = IDTable()
        for i in 0..<5_000 {
            ids.append("k\(i)")
            _ = table.insert(UInt32(i), ids: ids)
        }
        let copy = table
        for i in stride(from: 0, to: 5_000, by: 2) { _ = table.remove("k\(i)", ids: ids) }
        for i in 5_000..<9_000 {
            ids.append("k\(i)")
            _ = table.insert(UInt32(i), ids: ids)
        }
        #expect(copy.count == 5_000)
        #expect(table.count == 6_500)
        for i in 0..<5_000 { #expect(copy.node(of: "k\(i)", ids: ids) == UInt32(i)) }
        for i in 5_000..<9_000 { #expect(copy.node(of: "k\(i)", ids: ids) == nil) }
        for i in 0..<9_000 { #expect(table.node(of: "k\(i)", ids: ids) == (i < 5_000 && i % 2 == 0 ? nil : UInt32(i))) }
    }
}
